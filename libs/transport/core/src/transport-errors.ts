// ApiError <-> ErrorStatus on the wire, and the errors the transport raises itself. A remote call
// must fail exactly as the local block would: every field of an ApiError crosses the wire. The
// transport's own failures of a call (unreachable, deadline, cancel, size, codec) are described
// as a TransportFailure, service-neutral, and turned into the caller's ApiError by a
// FailureMapper: by default the operation's Dapr code with "<describe(req)>: <reason>", as
// the block would word it; a typed client may pass its own (invocation: ERR_DIRECT_INVOKE).
// Stacks never cross the wire.
import { ApiError, GrpcCode, isApiError } from '@tessera/contracts';
import type { ErrorDetail } from '@tessera/contracts';
import type { MethodInfo } from './service';
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
export function internalError(serverLabel: string, method: string, e: unknown): ApiError {
  const reason = e instanceof Error ? e.message : String(e);
  return new ApiError({
    code: 'ERR_INTERNAL',
    message: `${serverLabel} failed to serve ${method}: ${reason}`,
    httpStatus: 500,
    grpcCode: GrpcCode.INTERNAL,
  });
}

/** Any thrown value as the ApiError to send back. */
export function asApiError(serverLabel: string, method: string, e: unknown): ApiError {
  return isApiError(e) ? e : internalError(serverLabel, method, e);
}

export type TransportFailureKind = 'unavailable' | 'deadline-exceeded' | 'cancelled' | 'too-large' | 'codec';

/** A call failed in the transport, not in the remote API. */
export interface TransportFailure {
  readonly kind: TransportFailureKind;
  /** Without the operation: "state-svc at h:p is unreachable: connect ECONNREFUSED h:p", "context canceled". */
  readonly reason: string;
  /** UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED or INTERNAL. */
  readonly grpcCode: GrpcCode;
  /** Whether resiliency may retry the call (unreachable and deadline: yes; the others: no). */
  readonly retryable: boolean;
}

/** Turns a transport failure of one call into the ApiError its caller gets. */
export type FailureMapper = (m: MethodInfo, req: unknown, f: TransportFailure) => ApiError;

/** The default FailureMapper: the operation's code, "<describe(req)>: <reason>", HTTP 500. */
export const methodFailure: FailureMapper = (m, req, f) =>
  new ApiError({
    code: m.errorCode,
    message: `${m.describe(req)}: ${f.reason}`,
    httpStatus: 500,
    grpcCode: f.grpcCode,
    retryable: f.retryable,
  });

/** The server cannot be reached, or the connection broke with the call in flight. */
export function unreachable(serverLabel: string, address: string, reason: string): TransportFailure {
  return { kind: 'unavailable', reason: `${serverLabel} at ${address} is unreachable: ${reason}`, grpcCode: GrpcCode.UNAVAILABLE, retryable: true };
}

/** The server is shutting down: its streams end with this so callers can open them elsewhere. */
export function shuttingDown(serverLabel: string): TransportFailure {
  return { kind: 'unavailable', reason: `${serverLabel} is shutting down`, grpcCode: GrpcCode.UNAVAILABLE, retryable: true };
}

/** The peer broke the framing rules for a call (e.g. a stream frame on a unary call). */
export function protocolFailure(reason: string): TransportFailure {
  return { kind: 'codec', reason: `protocol error: ${reason}`, grpcCode: GrpcCode.INTERNAL, retryable: false };
}

/** The caller's deadline passed before the answer came (Go's context.DeadlineExceeded text). */
export const DEADLINE_EXCEEDED: TransportFailure = Object.freeze({
  kind: 'deadline-exceeded',
  reason: 'context deadline exceeded',
  grpcCode: GrpcCode.DEADLINE_EXCEEDED,
  retryable: true,
});

/** The caller aborted (Go's context.Canceled text); not retryable, nobody waits for it. */
export const CANCELLED: TransportFailure = Object.freeze({
  kind: 'cancelled',
  reason: 'context canceled',
  grpcCode: GrpcCode.CANCELLED,
  retryable: false,
});

/** A frame over the size limit: refused on the side that would send it. */
export function tooLarge(what: string, bytes: number, limit: number): TransportFailure {
  return {
    kind: 'too-large',
    reason: `${what} of ${bytes} bytes exceeds the internal transport limit of ${limit} bytes`,
    grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
    retryable: false,
  };
}

/** A message that would not encode or decode: a bug or a version skew, never retried. */
export function codecFailure(what: string, e: unknown): TransportFailure {
  const reason = e instanceof Error ? e.message : String(e);
  return { kind: 'codec', reason: `cannot ${what}: ${reason}`, grpcCode: GrpcCode.INTERNAL, retryable: false };
}

/** The error an abort of `signal` rejects with: its reason if that is an ApiError already. */
export function abortError(m: MethodInfo, req: unknown, signal: AbortSignal, map: FailureMapper): ApiError {
  const r: unknown = signal.reason;
  if (isApiError(r)) return r;
  if (typeof r === 'object' && r !== null && (r as { name?: unknown }).name === 'TimeoutError') return map(m, req, DEADLINE_EXCEEDED);
  return map(m, req, CANCELLED);
}
