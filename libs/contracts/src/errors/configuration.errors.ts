// Configuration block errors: codes and statuses as spec/errors.md lists them, messages as daprd
// words them (pkg/messages: "configuration store %s not found", "failed to get %s from
// Configuration store %s: %s", ...). Keys are rendered as Go prints a []string: `[a b]`.
// gRPC codes where errors.md lists none follow daprd's gRPC API: FailedPrecondition for "not
// configured", InvalidArgument for "not found".
import { ApiError, GrpcCode } from './api-error';

/** Go's %s of a []string. */
function goKeys(keys: readonly string[]): string {
  return `[${keys.join(' ')}]`;
}

export const ConfigurationErrors = {
  notConfigured(): ApiError {
    return new ApiError({
      code: 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED',
      message: 'configuration stores not configured',
      httpStatus: 500,
      grpcCode: GrpcCode.FAILED_PRECONDITION,
      retryable: false,
    });
  },
  notFound(store: string): ApiError {
    return new ApiError({
      code: 'ERR_CONFIGURATION_STORE_NOT_FOUND',
      message: `configuration store ${store} not found`,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
    });
  },
  get(keys: readonly string[], store: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_CONFIGURATION_GET',
      message: `failed to get ${goKeys(keys)} from Configuration store ${store}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  subscribe(keys: readonly string[], store: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_CONFIGURATION_SUBSCRIBE',
      message: `failed to subscribe ${goKeys(keys)} from Configuration store ${store}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  /** The message of an `{ok:false}` unsubscribe answer (HTTP sends it with a 500). */
  unsubscribe(id: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_CONFIGURATION_UNSUBSCRIBE',
      message: `failed to unsubscribe to configuration request ${id}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  /** HTTP subscribe on a gateway without an app channel (no --app-port). */
  appChannelNil(): ApiError {
    return new ApiError({
      code: 'ERR_APP_CHANNEL_NIL',
      message: 'app channel is not initialized. cannot subscribe to configuration updates',
      httpStatus: 500,
      grpcCode: GrpcCode.FAILED_PRECONDITION,
      retryable: false,
    });
  },
} as const;
