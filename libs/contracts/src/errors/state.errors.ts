// State block errors: codes, statuses and rich details as spec/errors.md lists them.
import { ApiError, GrpcCode, badRequest, errorInfo, resourceInfo } from './api-error';

const STORE = 'state';

export const StateErrors = {
  notConfigured(appId: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_STORE_NOT_CONFIGURED',
      message: 'state store is not configured',
      httpStatus: 500,
      grpcCode: GrpcCode.FAILED_PRECONDITION,
      details: [errorInfo('DAPR_STATE_NOT_CONFIGURED', { appID: appId })],
      retryable: false,
    });
  },
  notFound(store: string, appId: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_STORE_NOT_FOUND',
      message: `state store ${store} is not found`,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      details: [errorInfo('DAPR_STATE_NOT_FOUND', { appID: appId }), resourceInfo(STORE, store)],
      retryable: false,
    });
  },
  illegalKey(key: string, store: string, appId: string): ApiError {
    const message = `input key/keyPrefix '${key}' can't contain '||'`;
    return new ApiError({
      code: 'ERR_MALFORMED_REQUEST',
      message,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      details: [errorInfo('DAPR_STATE_ILLEGAL_KEY', { appID: appId }), resourceInfo(STORE, store), badRequest('key', message)],
      retryable: false,
    });
  },
  get(key: string, store: string, cause: string, status = 500): ApiError {
    return new ApiError({
      code: 'ERR_STATE_GET',
      message: `fail to get ${key} from state store ${store}: ${cause}`,
      httpStatus: status,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  bulkGet(store: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_BULK_GET',
      message: `failed getting bulk state from state store ${store}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  save(store: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_SAVE',
      message: `failed saving state in state store ${store}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  delete(key: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_DELETE',
      message: `failed deleting state with key ${key}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  bulkDelete(cause: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_BULK_DELETE',
      message: `failed deleting state: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
    });
  },
  /** ETag mismatch on save (`op` = SAVE) or delete (`op` = DELETE): 409 / Aborted. */
  etagMismatch(op: 'SAVE' | 'DELETE', message: string): ApiError {
    return new ApiError({
      code: `ERR_STATE_${op}`,
      message,
      httpStatus: 409,
      grpcCode: GrpcCode.ABORTED,
      retryable: false,
    });
  },
  /** Malformed ETag on save or delete: 400 / InvalidArgument. */
  etagInvalid(op: 'SAVE' | 'DELETE', message: string): ApiError {
    return new ApiError({
      code: `ERR_STATE_${op}`,
      message,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
    });
  },
  transaction(cause: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_TRANSACTION',
      message: `error while executing state transaction: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
      retryable: false,
    });
  },
  operationNotSupported(op: string): ApiError {
    return new ApiError({
      code: 'ERR_NOT_SUPPORTED_STATE_OPERATION',
      message: `operation type ${op} not supported`,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
    });
  },
  transactionsNotSupported(store: string, appId: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_STORE_NOT_SUPPORTED',
      message: `state store ${store} doesn't support transactions`,
      httpStatus: 500,
      grpcCode: GrpcCode.UNIMPLEMENTED,
      details: [errorInfo('DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED', { appID: appId }), resourceInfo(STORE, store)],
      retryable: false,
    });
  },
  queryNotSupported(store: string, appId: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_STORE_NOT_SUPPORTED',
      message: `state store ${store} doesn't support querying`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
      details: [errorInfo('DAPR_STATE_QUERYING_NOT_SUPPORTED', { appID: appId }), resourceInfo(STORE, store)],
      retryable: false,
    });
  },
  tooManyTransactions(store: string, appId: string, count: number, max: number): ApiError {
    return new ApiError({
      code: 'ERR_STATE_STORE_TOO_MANY_TRANSACTIONS',
      message: `the transaction contains ${count} operations, which is more than what the state store ${store} supports: ${max}`,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      details: [
        errorInfo('DAPR_STATE_TOO_MANY_TRANSACTIONS', {
          appID: appId,
          currentOpsTransaction: String(count),
          maxOpsPerTransaction: String(max),
        }),
        resourceInfo(STORE, store),
      ],
      retryable: false,
    });
  },
  query(store: string, cause: string, appId: string): ApiError {
    return new ApiError({
      code: 'ERR_STATE_QUERY',
      message: `failed query in state store ${store}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
      details: [errorInfo('DAPR_STATE_QUERY_FAILED', { appID: appId }), resourceInfo(STORE, store)],
    });
  },
} as const;
