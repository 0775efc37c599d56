// Secrets block errors: codes, statuses and messages of daprd's predefined secret errors
// (spec/errors.md "Secrets"; legacy errors, no rich details). Note the 401 for an unknown store,
// which daprd answers and SDKs expect.
import { ApiError, GrpcCode } from './api-error';

export const SecretsErrors = {
  notConfigured(): ApiError {
    return new ApiError({
      code: 'ERR_SECRET_STORES_NOT_CONFIGURED',
      message: 'secret store is not configured',
      httpStatus: 500,
      grpcCode: GrpcCode.FAILED_PRECONDITION,
      retryable: false,
    });
  },
  notFound(store: string): ApiError {
    return new ApiError({
      code: 'ERR_SECRET_STORE_NOT_FOUND',
      message: `failed finding secret store with key ${store}`,
      httpStatus: 401,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
    });
  },
  /** Denied by the Configuration's spec.secrets.scopes (Go %q quoting of key and store). */
  permissionDenied(key: string, store: string): ApiError {
    return new ApiError({
      code: 'ERR_PERMISSION_DENIED',
      message: `access denied by policy to get ${JSON.stringify(key)} from ${JSON.stringify(store)}`,
      httpStatus: 403,
      grpcCode: GrpcCode.PERMISSION_DENIED,
      retryable: false,
    });
  },
  /** The component failed, or has no such secret. `retryable` false for a missing secret. */
  get(key: string, store: string, cause: string, retryable = true): ApiError {
    return new ApiError({
      code: 'ERR_SECRET_GET',
      message: `failed getting secret with key ${key} from secret store ${store}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
      retryable,
    });
  },
  bulkGet(store: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_SECRET_GET',
      message: `failed getting secrets from secret store ${store}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
} as const;
