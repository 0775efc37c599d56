// Service invocation errors (spec/http-api.md 1.1 and errors.md "Service invocation").
import { ApiError, GrpcCode } from './api-error';

export const InvokeErrors = {
  /** No target app id in the path, header or basic auth. */
  noAppId(): ApiError {
    return new ApiError({
      code: 'ERR_DIRECT_INVOKE',
      message: 'failed getting app id either from the URL path or the header dapr-app-id',
      httpStatus: 404,
      grpcCode: GrpcCode.NOT_FOUND,
      retryable: false,
    });
  },
  /** Name resolution, transport or remote gateway failure. */
  failed(appId: string, cause: string, retryable = true): ApiError {
    return new ApiError({
      code: 'ERR_DIRECT_INVOKE',
      message: `failed to invoke, id: ${appId}, err: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
      retryable,
    });
  },
  notReady(): ApiError {
    return new ApiError({
      code: 'ERR_DIRECT_INVOKE',
      message: 'invoke API is not ready',
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  /** The callee's access-control policy refused the call. */
  denied(callerAppId: string, operation: string, verb: string): ApiError {
    return new ApiError({
      code: 'ERR_DIRECT_INVOKE',
      message: `access control policy has denied access to id: ${callerAppId} operation: ${operation} verb: ${verb}`,
      httpStatus: 403,
      grpcCode: GrpcCode.PERMISSION_DENIED,
      retryable: false,
    });
  },
  /** The app is unhealthy (app health checks) or not connected. */
  appUnavailable(appId: string, why = 'app is not in a healthy state'): ApiError {
    return new ApiError({
      code: 'ERR_DIRECT_INVOKE',
      message: `failed to invoke, id: ${appId}, err: ${why}`,
      httpStatus: 500,
      grpcCode: GrpcCode.UNAVAILABLE,
    });
  },
  /** A resiliency timeout fired. */
  timeout(appId: string, ms: number): ApiError {
    return new ApiError({
      code: 'ERR_DIRECT_INVOKE',
      message: `failed to invoke, id: ${appId}, err: timeout after ${ms} ms`,
      httpStatus: 500,
      grpcCode: GrpcCode.DEADLINE_EXCEEDED,
    });
  },
  /** The circuit breaker for the target is open. */
  circuitOpen(appId: string): ApiError {
    return new ApiError({
      code: 'ERR_DIRECT_INVOKE',
      message: `failed to invoke, id: ${appId}, err: circuit breaker is open`,
      httpStatus: 500,
      grpcCode: GrpcCode.UNAVAILABLE,
      retryable: false,
    });
  },
} as const;
