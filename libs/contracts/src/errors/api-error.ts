// The one error type of the API layer. It carries everything either edge needs to answer in
// Dapr's shape: the ERR_* code SDKs switch on, the HTTP status, the gRPC status code and the
// optional rich details (google.rpc ErrorInfo / ResourceInfo / BadRequest).
// Test `isApiError(e)` (a `kind` field), never `instanceof`, which breaks across module copies.

/** gRPC status codes (google.rpc.Code). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

export interface ErrorInfoDetail {
  readonly '@type': 'type.googleapis.com/google.rpc.ErrorInfo';
  readonly reason: string;
  readonly domain: string;
  readonly metadata?: Record<string, string>;
}
export interface ResourceInfoDetail {
  readonly '@type': 'type.googleapis.com/google.rpc.ResourceInfo';
  readonly resource_type: string;
  readonly resource_name: string;
  readonly owner: string;
  readonly description: string;
}
export interface BadRequestDetail {
  readonly '@type': 'type.googleapis.com/google.rpc.BadRequest';
  readonly field_violations: ReadonlyArray<{ field: string; description: string }>;
}
export type ErrorDetail = ErrorInfoDetail | ResourceInfoDetail | BadRequestDetail;

export interface ApiErrorInit {
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number;
  readonly grpcCode: GrpcCode;
  readonly details?: readonly ErrorDetail[];
  /** Resiliency must not retry a terminal error (bad input, ETag mismatch). */
  readonly retryable?: boolean;
}

export class ApiError extends Error {
  readonly kind = 'tessera.api-error' as const;
  readonly code: string;
  readonly httpStatus: number;
  readonly grpcCode: GrpcCode;
  readonly details: readonly ErrorDetail[];
  readonly retryable: boolean;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = 'ApiError';
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.grpcCode = init.grpcCode;
    this.details = init.details ?? [];
    this.retryable = init.retryable ?? init.httpStatus >= 500;
  }

  /** The HTTP body Dapr returns: errorCode + message, plus details for rich errors. */
  toJSON(): { errorCode: string; message: string; details?: readonly ErrorDetail[] } {
    return this.details.length > 0
      ? { errorCode: this.code, message: this.message, details: this.details }
      : { errorCode: this.code, message: this.message };
  }
}

export function isApiError(e: unknown): e is ApiError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.api-error';
}

export const DAPR_DOMAIN = 'dapr.io';

export function errorInfo(reason: string, metadata?: Record<string, string>): ErrorInfoDetail {
  return metadata
    ? { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: DAPR_DOMAIN, metadata }
    : { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: DAPR_DOMAIN };
}

export function resourceInfo(resourceType: string, resourceName: string, description = ''): ResourceInfoDetail {
  return {
    '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
    resource_type: resourceType,
    resource_name: resourceName,
    owner: '',
    description,
  };
}

export function badRequest(field: string, description: string): BadRequestDetail {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field, description }] };
}

/** gRPC -> HTTP status, errors.md section 3. */
export function grpcToHttpStatus(code: number): number {
  switch (code) {
    case GrpcCode.OK: return 200;
    case GrpcCode.CANCELLED: return 408;
    case GrpcCode.INVALID_ARGUMENT: return 400;
    case GrpcCode.DEADLINE_EXCEEDED: return 504;
    case GrpcCode.NOT_FOUND: return 404;
    case GrpcCode.ALREADY_EXISTS: return 409;
    case GrpcCode.PERMISSION_DENIED: return 403;
    case GrpcCode.UNAUTHENTICATED: return 401;
    case GrpcCode.RESOURCE_EXHAUSTED: return 429;
    case GrpcCode.FAILED_PRECONDITION: return 400;
    case GrpcCode.ABORTED: return 409;
    case GrpcCode.OUT_OF_RANGE: return 400;
    case GrpcCode.UNIMPLEMENTED: return 501;
    case GrpcCode.UNAVAILABLE: return 503;
    default: return 500;
  }
}

/** HTTP -> gRPC code, errors.md section 3. */
export function httpToGrpcCode(status: number): GrpcCode {
  if (status >= 200 && status < 300) return GrpcCode.OK;
  switch (status) {
    case 408: return GrpcCode.CANCELLED;
    case 400: return GrpcCode.INTERNAL;
    case 504: return GrpcCode.DEADLINE_EXCEEDED;
    case 404: return GrpcCode.NOT_FOUND;
    case 409: return GrpcCode.ALREADY_EXISTS;
    case 403: return GrpcCode.PERMISSION_DENIED;
    case 401: return GrpcCode.UNAUTHENTICATED;
    case 429: return GrpcCode.RESOURCE_EXHAUSTED;
    case 501: return GrpcCode.UNIMPLEMENTED;
    case 503: return GrpcCode.UNAVAILABLE;
    default: return GrpcCode.UNKNOWN;
  }
}
