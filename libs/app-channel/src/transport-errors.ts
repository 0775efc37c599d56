// Failures of the app channel itself (as opposed to the app's own answers, which pass through):
// "nothing listens / the connection broke" -> InvokeErrors.appUnavailable (gRPC UNAVAILABLE,
// retryable by resiliency), anything else -> InvokeErrors.failed.
import { InvokeErrors, isApiError } from '@tessera/contracts';
import type { ApiError } from '@tessera/contracts';

/** errno / node error codes meaning the app could not be reached or dropped the connection. */
const UNREACHABLE: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'ENOENT', // unix socket path missing
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_STREAM_ERROR',
  // undici (the HTTP/1.1 channel): the connection broke or could not be made, the pool is closed
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** The error's code, or its cause's (http2 wraps connect errors in ERR_HTTP2_STREAM_CANCEL). */
export function transportCode(e: unknown): string | undefined {
  const cause = (e as { cause?: unknown } | null)?.cause;
  return codeOf(cause) ?? codeOf(e);
}

export function isUnreachable(e: unknown): boolean {
  const c = transportCode(e);
  return c !== undefined && UNREACHABLE.has(c);
}

/** Maps an error raised while calling the app to the ApiError the caller receives. */
export function channelError(appId: string, e: unknown): ApiError {
  if (isApiError(e)) return e;
  const cause = (e as { cause?: unknown } | null)?.cause;
  const msg = cause instanceof Error ? `${(e as Error).message}: ${cause.message}` : e instanceof Error ? e.message : String(e);
  if (isUnreachable(e)) return InvokeErrors.appUnavailable(appId, `error invoking app channel: ${msg}`);
  return InvokeErrors.failed(appId, `error invoking app channel: ${msg}`);
}
