// Bindings errors (spec/errors.md "Bindings"): daprd's legacy errors, without rich details.
import { ApiError, GrpcCode } from './api-error';

export const BindingsErrors = {
  /** Unknown binding, an operation it does not support, or a component failure: 500 / Internal. */
  invoke(name: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_INVOKE_OUTPUT_BINDING',
      message: `error invoking output binding ${name}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.INTERNAL,
      retryable: false,
    });
  },
  notFound(name: string): ApiError {
    return BindingsErrors.invoke(name, `couldn't find output binding ${name}`);
  },
  /** The request body is not the `{data, metadata, operation}` JSON object. */
  malformed(cause: string): ApiError {
    return new ApiError({
      code: 'ERR_MALFORMED_REQUEST',
      message: `failed deserializing HTTP body: ${cause}`,
      httpStatus: 400,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryable: false,
    });
  },
};
