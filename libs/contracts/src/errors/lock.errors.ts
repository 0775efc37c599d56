// Distributed lock errors (spec/errors.md "Lock", http-api.md 8): daprd's legacy errors, codes
// and messages as its predefined messages word them, without rich details. The validation order
// that decides which one a request gets lives in the lock block.
import { ApiError, GrpcCode } from './api-error';

/** Largest resourceId / lockOwner the lock API accepts, in UTF-8 bytes (Tessera's limit). */
export const LOCK_MAX_FIELD_BYTES = 4096;

function malformed(message: string): ApiError {
  return new ApiError({
    code: 'ERR_MALFORMED_REQUEST',
    message,
    httpStatus: 400,
    grpcCode: GrpcCode.INVALID_ARGUMENT,
    retryable: false,
  });
}

export const LockErrors = {
  notConfigured(): ApiError {
    return new ApiError({
      code: 'ERR_LOCK_STORE_NOT_CONFIGURED',
      message: 'lock store is not configured',
      httpStatus: 500,
      grpcCode: GrpcCode.FAILED_PRECONDITION,
      retryable: false,
    });
  },
  notFound(store: string): ApiError {
    return new ApiError({
      code: 'ERR_LOCK_STORE_NOT_FOUND',
      message: `lock store ${store} not found`,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
    });
  },
  expiryNotPositive(store: string): ApiError {
    return malformed(`ExpiryInSeconds is not positive in lock store ${store}`);
  },
  resourceIdEmpty(store: string): ApiError {
    return malformed(`ResourceId is empty in lock store ${store}`);
  },
  lockOwnerEmpty(store: string): ApiError {
    return malformed(`LockOwner is empty in lock store ${store}`);
  },
  /** Tessera's size limit on resourceId / lockOwner (LOCK_MAX_FIELD_BYTES); daprd has none. */
  fieldTooLong(field: 'ResourceId' | 'LockOwner', bytes: number, store: string): ApiError {
    return malformed(`${field} is ${bytes} bytes in lock store ${store}; at most ${LOCK_MAX_FIELD_BYTES} bytes are allowed`);
  },
  /** The component failed, or the resource id cannot be a lock key (`||`: retryable = false). */
  tryLock(cause: string, retryable = true): ApiError {
    return new ApiError({
      code: 'ERR_TRY_LOCK',
      message: `failed to try acquiring lock: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
      retryable,
    });
  },
  unlock(cause: string, retryable = true): ApiError {
    return new ApiError({
      code: 'ERR_UNLOCK',
      message: `failed to release lock: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
      retryable,
    });
  },
} as const;
