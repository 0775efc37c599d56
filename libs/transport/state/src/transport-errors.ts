// ApiError <-> ErrorStatus on the wire, and the errors the transport raises itself. A remote call
// must fail exactly as the local block would: every field of an ApiError crosses the wire, and the
// transport's own failures carry the operation's Dapr code (ERR_STATE_GET, ...) with a message
// that names state-svc and the reason. Stacks never cross the wire.
import { ApiError, GrpcCode, isApiError } from '@tessera/contracts';
import type { ErrorDetail } from '@tessera/contracts';
import type { MethodDef } from './state-methods';
import type { ErrorStatus } from './wire';

export function toErrorStatus(e: ApiError): ErrorStatus {
  return {
    code: e.code,
    message: e.message,
    httpStatus: e.httpStatus,
    grpcCode: e.grpcCode,
    detailsJson: e.details.length > 0 ? JSON.stringify(e.details) : '',
    retryable: e.retryable,
  };
}

export function fromErrorStatus(s: ErrorStatus): ApiError {
  return new ApiError({
    code: s.code,
    message: s.message,
    httpStatus: s.httpStatus,
    grpcCode: s.grpcCode <= GrpcCode.UNAUTHENTICATED ? (s.grpcCode as GrpcCode) : GrpcCode.UNKNOWN,
    details: parseDetails(s.detailsJson),
    retryable: s.retryable,
  });
}

function parseDetails(json: string): ErrorDetail[] | undefined {
  if (json === '') return undefined;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as ErrorDetail[]) : undefined;
  } catch {
    return undefined;
  }
}

/** What the server sends for a failure that is not an ApiError: no stack, no internals. */
export function internalError(method: string, e: unknown): ApiError {
  const reason = e instanceof Error ? e.message : String(e);
  return new ApiError({
    code: 'ERR_INTERNAL',
    message: `state-svc failed to serve ${method}: ${reason}`,
    httpStatus: 500,
    grpcCode: GrpcCode.INTERNAL,
  });
}

/** Any thrown value as the ApiError to send back. */
export function asApiError(method: string, e: unknown): ApiError {
  return isApiError(e) ? e : internalError(method, e);
}

/** state-svc cannot be reached, or the connection broke with the call in flight. */
export function unreachable<Req>(m: MethodDef<Req, unknown>, req: Req, address: string, reason: string): ApiError {
  return new ApiError({
    code: m.errorCode,
    message: `${m.describe(req)}: state-svc at ${address} is unreachable: ${reason}`,
    httpStatus: 500,
    grpcCode: GrpcCode.UNAVAILABLE,
    retryable: true,
  });
}

/** The caller's deadline passed before the answer came (Go's context.DeadlineExceeded text). */
export function deadlineExceeded<Req>(m: MethodDef<Req, unknown>, req: Req): ApiError {
  return new ApiError({
    code: m.errorCode,
    message: `${m.describe(req)}: context deadline exceeded`,
    httpStatus: 500,
    grpcCode: GrpcCode.DEADLINE_EXCEEDED,
    retryable: true,
  });
}

/** The caller aborted (Go's context.Canceled text); not retryable, nobody waits for it. */
export function cancelled<Req>(m: MethodDef<Req, unknown>, req: Req): ApiError {
  return new ApiError({
    code: m.errorCode,
    message: `${m.describe(req)}: context canceled`,
    httpStatus: 500,
    grpcCode: GrpcCode.CANCELLED,
    retryable: false,
  });
}

/** The error an abort of `signal` rejects with: its reason if that is an ApiError already. */
export function abortError<Req>(m: MethodDef<Req, unknown>, req: Req, signal: AbortSignal): ApiError {
  const r: unknown = signal.reason;
  if (isApiError(r)) return r;
  if (typeof r === 'object' && r !== null && (r as { name?: unknown }).name === 'TimeoutError') return deadlineExceeded(m, req);
  return cancelled(m, req);
}

/** A frame over the size limit: refused on the side that would send it. */
export function tooLarge<Req>(m: MethodDef<Req, unknown>, req: Req, what: string, bytes: number, limit: number): ApiError {
  return new ApiError({
    code: m.errorCode,
    message: `${m.describe(req)}: ${what} of ${bytes} bytes exceeds the internal transport limit of ${limit} bytes`,
    httpStatus: 500,
    grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
    retryable: false,
  });
}

/** A message that would not encode or decode: a bug or a version skew, never retried. */
export function codecError<Req>(m: MethodDef<Req, unknown>, req: Req, what: string, e: unknown): ApiError {
  const reason = e instanceof Error ? e.message : String(e);
  return new ApiError({
    code: m.errorCode,
    message: `${m.describe(req)}: cannot ${what}: ${reason}`,
    httpStatus: 500,
    grpcCode: GrpcCode.INTERNAL,
    retryable: false,
  });
}
