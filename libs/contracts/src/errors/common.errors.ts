// Errors shared by every block (spec/errors.md, "Common" and "Health").
import { ApiError, GrpcCode, badRequest } from './api-error';

export const CommonErrors = {
  malformedRequest(message: string, field?: string): ApiError {
    return new ApiError({
      code: 'ERR_MALFORMED_REQUEST',
      message,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      details: field ? [badRequest(field, message)] : undefined,
    });
  },
  bodyRead(message: string): ApiError {
    return new ApiError({ code: 'ERR_BODY_READ', message, httpStatus: 400, grpcCode: GrpcCode.INVALID_ARGUMENT });
  },
  bodyTooLarge(limit: number): ApiError {
    return new ApiError({
      code: 'ERR_BODY_READ',
      message: `failed to read request body: request body too large: exceeds the limit of ${limit} bytes`,
      httpStatus: 413,
      grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
    });
  },
  badRequest(message: string): ApiError {
    return new ApiError({ code: 'ERR_BAD_REQUEST', message, httpStatus: 400, grpcCode: GrpcCode.INVALID_ARGUMENT });
  },
  /** An API of a building block Tessera does not serve yet. */
  unimplemented(block: string, api: string): ApiError {
    return new ApiError({
      code: 'ERR_API_UNIMPLEMENTED',
      message: `${api} is part of the ${block} building block, which this Tessera build does not serve yet`,
      httpStatus: 501,
      grpcCode: GrpcCode.UNIMPLEMENTED,
      retryable: false,
    });
  },
  internal(message: string): ApiError {
    return new ApiError({ code: 'ERR_INTERNAL', message, httpStatus: 500, grpcCode: GrpcCode.INTERNAL });
  },
  directInvokeNoAppId(): ApiError {
    return new ApiError({
      code: 'ERR_DIRECT_INVOKE',
      message: 'failed getting app id either from the URL path or the header dapr-app-id',
      httpStatus: 404,
      grpcCode: GrpcCode.NOT_FOUND,
    });
  },
  healthNotReady(targets: readonly string[]): ApiError {
    return new ApiError({
      code: 'ERR_HEALTH_NOT_READY',
      message: `dapr is not ready: [${targets.join(' ')}]`,
      httpStatus: 500,
      grpcCode: GrpcCode.UNAVAILABLE,
    });
  },
  healthAppIdNotMatch(): ApiError {
    return new ApiError({
      code: 'ERR_HEALTH_APPID_NOT_MATCH',
      message: 'dapr app-id does not match',
      httpStatus: 500,
      grpcCode: GrpcCode.FAILED_PRECONDITION,
    });
  },
  outboundHealthNotReady(): ApiError {
    return new ApiError({
      code: 'ERR_OUTBOUND_HEALTH_NOT_READY',
      message: 'dapr outbound is not ready',
      httpStatus: 500,
      grpcCode: GrpcCode.UNAVAILABLE,
    });
  },
} as const;
