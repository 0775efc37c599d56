// How the transport's own failures of an invocation read to the caller: Dapr's ERR_DIRECT_INVOKE,
// "failed to invoke, id: <target>, err: <reason>" (InvokeErrors.failed), HTTP 500, with the
// transport's gRPC code and retryable flag kept. So a connection failure is grpcCode UNAVAILABLE +
// retryable: true, which is what resiliency's built-in retries for service invocation match on
// (as daprd retries codes.Unavailable); a deadline is DEADLINE_EXCEEDED + retryable; a cancel,
// an oversized or undecodable message are not retryable. Errors the remote gateway sent back
// (access denied, app unavailable, ...) never pass through here: they arrive as they were thrown.
import { ApiError, InvokeErrors } from '@tessera/contracts';
import type { FailureMapper } from '@tessera/transport-core';

export function invokeFailure(targetAppId: string): FailureMapper {
  return (_m, _req, f) => {
    const base = InvokeErrors.failed(targetAppId, f.reason, f.retryable);
    if (base.grpcCode === f.grpcCode) return base;
    return new ApiError({
      code: base.code,
      message: base.message,
      httpStatus: base.httpStatus,
      grpcCode: f.grpcCode,
      details: base.details,
      retryable: base.retryable,
    });
  };
}
