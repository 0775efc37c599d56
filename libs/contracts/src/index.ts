// Public surface of @tessera/contracts: the Dapr wire messages, one typed API per block, errors.
export type { CallContext } from './call-context';
export { callContext } from './call-context';
export {
  ApiError,
  GrpcCode,
  isApiError,
  errorInfo,
  resourceInfo,
  badRequest,
  grpcToHttpStatus,
  httpToGrpcCode,
  DAPR_DOMAIN,
} from './errors/api-error';
export type { ApiErrorInit, ErrorDetail, ErrorInfoDetail, ResourceInfoDetail, BadRequestDetail } from './errors/api-error';
export { CommonErrors } from './errors/common.errors';
export { StateErrors } from './errors/state.errors';
export type { StateApi, RegisteredComponent } from './api/state.api';
export { STATE_API } from './api/state.api';
export {
  Etag,
  StateItem,
  StateOptions,
  StateOptions_StateConcurrency,
  StateOptions_StateConsistency,
} from './generated/dapr/proto/common/v1/common';
export {
  GetStateRequest,
  GetStateResponse,
  GetBulkStateRequest,
  GetBulkStateResponse,
  BulkStateItem,
  SaveStateRequest,
  DeleteStateRequest,
  DeleteBulkStateRequest,
  ExecuteStateTransactionRequest,
  TransactionalStateOperation,
  QueryStateRequest,
  QueryStateResponse,
  QueryStateItem,
} from './generated/dapr/proto/runtime/v1/state';
