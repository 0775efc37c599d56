// Dapr's error-code catalog (spec/errors.md section 2, runtime Aug 2026): every ERR_* code with
// the HTTP status and gRPC code daprd answers it with. The per-block factories (state.errors.ts,
// …) build ApiErrors; a test checks each factory against this table. Where daprd answers one code
// with several statuses (ETag mismatch 409 vs invalid 400 vs other 500), `alt` lists the others.
import { GrpcCode } from './api-error';

export interface CatalogEntry {
  readonly http: number;
  /** undefined where errors.md lists no gRPC code (HTTP-only errors). */
  readonly grpc?: GrpcCode;
  /** Other statuses daprd uses for the same code, with their gRPC codes. */
  readonly alt?: ReadonlyArray<{ readonly http: number; readonly grpc?: GrpcCode }>;
  /** Carries google.rpc details (ErrorInfo, ResourceInfo, …). */
  readonly rich?: boolean;
}

const G = GrpcCode;

export const ERROR_CATALOG: Readonly<Record<string, CatalogEntry>> = Object.freeze({
  // common
  ERR_BAD_REQUEST: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_BODY_READ: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_MALFORMED_REQUEST: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_MALFORMED_REQUEST_DATA: { http: 500 },
  ERR_MALFORMED_RESPONSE: { http: 500 },
  ERR_API_UNIMPLEMENTED: { http: 501, grpc: G.UNIMPLEMENTED },
  ERR_APP_CHANNEL_NIL: { http: 500 },
  ERR_INTERNAL: { http: 500, grpc: G.INTERNAL },
  ERROR: { http: 500 },
  // service invocation
  ERR_DIRECT_INVOKE: { http: 500, grpc: G.INTERNAL, alt: [{ http: 404, grpc: G.NOT_FOUND }, { http: 403, grpc: G.PERMISSION_DENIED }] },
  // state
  ERR_STATE_STORE_NOT_CONFIGURED: { http: 500, grpc: G.FAILED_PRECONDITION, rich: true },
  ERR_STATE_STORE_NOT_FOUND: { http: 400, grpc: G.INVALID_ARGUMENT, rich: true },
  ERR_STATE_GET: { http: 500, grpc: G.INTERNAL },
  ERR_STATE_BULK_GET: { http: 500, grpc: G.INTERNAL },
  ERR_STATE_SAVE: { http: 500, grpc: G.INTERNAL, alt: [{ http: 409, grpc: G.ABORTED }, { http: 400, grpc: G.INVALID_ARGUMENT }] },
  ERR_STATE_DELETE: { http: 500, grpc: G.INTERNAL, alt: [{ http: 409, grpc: G.ABORTED }, { http: 400, grpc: G.INVALID_ARGUMENT }] },
  ERR_STATE_BULK_DELETE: { http: 500, grpc: G.INTERNAL },
  ERR_STATE_TRANSACTION: { http: 500, grpc: G.INTERNAL },
  ERR_NOT_SUPPORTED_STATE_OPERATION: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_STATE_STORE_NOT_SUPPORTED: { http: 500, grpc: G.UNIMPLEMENTED, alt: [{ http: 500, grpc: G.INTERNAL }], rich: true },
  ERR_STATE_STORE_TOO_MANY_TRANSACTIONS: { http: 400, grpc: G.INVALID_ARGUMENT, rich: true },
  ERR_STATE_QUERY: { http: 500, grpc: G.INTERNAL, rich: true },
  // pub/sub
  ERR_PUBSUB_NOT_CONFIGURED: { http: 400, grpc: G.FAILED_PRECONDITION, rich: true },
  ERR_PUBSUB_EMPTY: { http: 404, grpc: G.INVALID_ARGUMENT, rich: true },
  ERR_PUBSUB_NOT_FOUND: { http: 404, grpc: G.INVALID_ARGUMENT, alt: [{ http: 400, grpc: G.NOT_FOUND }], rich: true },
  ERR_TOPIC_NAME_EMPTY: { http: 404, grpc: G.INVALID_ARGUMENT, rich: true },
  ERR_PUBSUB_FORBIDDEN: { http: 403, grpc: G.PERMISSION_DENIED, rich: true },
  ERR_PUBSUB_PUBLISH_MESSAGE: { http: 500, grpc: G.INTERNAL, rich: true },
  ERR_PUBSUB_REQUEST_METADATA: { http: 400, grpc: G.INVALID_ARGUMENT, rich: true },
  ERR_PUBSUB_CLOUD_EVENTS_SER: { http: 500, grpc: G.INVALID_ARGUMENT, rich: true },
  ERR_PUBSUB_EVENTS_SER: { http: 400, grpc: G.INVALID_ARGUMENT, rich: true },
  ERR_PUBLISH_OUTBOX: { http: 500, grpc: G.INTERNAL, rich: true },
  // bindings
  ERR_INVOKE_OUTPUT_BINDING: { http: 500, grpc: G.INTERNAL },
  // secrets
  ERR_SECRET_STORES_NOT_CONFIGURED: { http: 500, grpc: G.FAILED_PRECONDITION },
  ERR_SECRET_STORE_NOT_FOUND: { http: 401, grpc: G.INVALID_ARGUMENT },
  ERR_PERMISSION_DENIED: { http: 403, grpc: G.PERMISSION_DENIED },
  ERR_SECRET_GET: { http: 500, grpc: G.INTERNAL },
  // configuration
  ERR_CONFIGURATION_STORE_NOT_CONFIGURED: { http: 500 },
  ERR_CONFIGURATION_STORE_NOT_FOUND: { http: 400 },
  ERR_CONFIGURATION_GET: { http: 500, grpc: G.INTERNAL },
  ERR_CONFIGURATION_SUBSCRIBE: { http: 500, grpc: G.INTERNAL },
  ERR_CONFIGURATION_UNSUBSCRIBE: { http: 500, grpc: G.INTERNAL },
  // lock
  ERR_LOCK_STORE_NOT_CONFIGURED: { http: 500, grpc: G.FAILED_PRECONDITION },
  ERR_LOCK_STORE_NOT_FOUND: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_TRY_LOCK: { http: 500, grpc: G.INTERNAL },
  ERR_UNLOCK: { http: 500, grpc: G.INTERNAL },
  // actors
  ERR_ACTOR_INSTANCE_MISSING: { http: 400, grpc: G.INTERNAL },
  ERR_ACTOR_RUNTIME_NOT_FOUND: { http: 500, grpc: G.INTERNAL },
  ERR_ACTOR_NO_APP_CHANNEL: { http: 400, grpc: G.UNAVAILABLE },
  ERR_ACTOR_NO_PLACEMENT: { http: 400, grpc: G.UNAVAILABLE },
  ERR_ACTOR_RUNTIME_CLOSED: { http: 503, grpc: G.UNAVAILABLE },
  ERR_ACTOR_NAMESPACE_REQUIRED: { http: 412, grpc: G.FAILED_PRECONDITION },
  ERR_ACTOR_NO_ADDRESS: { http: 404, grpc: G.FAILED_PRECONDITION },
  ERR_ACTOR_INVOKE_METHOD: { http: 500, grpc: G.INTERNAL },
  ERR_ACTOR_STACK_DEPTH: { http: 500, grpc: G.RESOURCE_EXHAUSTED },
  ERR_ACTOR_STATE_GET: { http: 500, grpc: G.INTERNAL },
  ERR_ACTOR_STATE_TRANSACTION_SAVE: { http: 500, grpc: G.INTERNAL },
  ERR_ACTOR_REMINDER_CREATE: { http: 500, grpc: G.INTERNAL },
  ERR_ACTOR_REMINDER_GET: { http: 500, grpc: G.INTERNAL },
  ERR_ACTOR_REMINDER_DELETE: { http: 500, grpc: G.INTERNAL },
  ERR_ACTOR_REMINDER_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND },
  ERR_ACTOR_REMINDER_ALREADY_EXISTS: { http: 409, grpc: G.ALREADY_EXISTS },
  ERR_ACTOR_REMINDER_NON_HOSTED: { http: 403, grpc: G.PERMISSION_DENIED },
  ERR_ACTOR_TIMER_CREATE: { http: 500, grpc: G.INTERNAL },
  ERR_ACTOR_TYPE_RESERVED: { http: 403, grpc: G.PERMISSION_DENIED },
  // workflows
  ERR_INSTANCE_ID_PROVIDED_MISSING: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_INSTANCE_ID_TOO_LONG: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_INSTANCE_ID_INVALID: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_INSTANCE_ID_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND },
  ERR_WORKFLOW_NAME_MISSING: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_WORKFLOW_EVENT_NAME_MISSING: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_WORKFLOW_COMPONENT_MISSING: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_WORKFLOW_COMPONENT_NOT_FOUND: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_WORKFLOW_APP_ID_INVALID: { http: 400, grpc: G.INVALID_ARGUMENT },
  ERR_START_WORKFLOW: { http: 500, grpc: G.INTERNAL },
  ERR_GET_WORKFLOW: { http: 500, grpc: G.INTERNAL },
  ERR_TERMINATE_WORKFLOW: { http: 500, grpc: G.INTERNAL },
  ERR_RAISE_EVENT_WORKFLOW: { http: 500, grpc: G.INTERNAL },
  ERR_PAUSE_WORKFLOW: { http: 500, grpc: G.INTERNAL },
  ERR_RESUME_WORKFLOW: { http: 500, grpc: G.INTERNAL },
  ERR_PURGE_WORKFLOW: { http: 500, grpc: G.INTERNAL },
  // jobs (rich; the code is the ErrorInfo reason)
  DAPR_SCHEDULER_EMPTY: { http: 400, grpc: G.INVALID_ARGUMENT, rich: true },
  DAPR_SCHEDULER_JOB_NAME_EMPTY: { http: 400, grpc: G.INVALID_ARGUMENT, rich: true },
  DAPR_SCHEDULER_SCHEDULE_EMPTY: { http: 400, grpc: G.INVALID_ARGUMENT, rich: true },
  DAPR_SCHEDULER_JOB_NAME: { http: 400, grpc: G.INVALID_ARGUMENT, rich: true },
  DAPR_SCHEDULER_GET_JOB: { http: 500, grpc: G.INTERNAL, rich: true },
  DAPR_SCHEDULER_DELETE_JOB: { http: 500, grpc: G.INTERNAL, rich: true },
  DAPR_SCHEDULER_LIST_JOBS: { http: 500, grpc: G.INTERNAL, rich: true },
  // health
  ERR_HEALTH_NOT_READY: { http: 500 },
  ERR_HEALTH_APPID_NOT_MATCH: { http: 500 },
  ERR_OUTBOUND_HEALTH_NOT_READY: { http: 500 },
  // crypto, conversation
  ERR_CRYPTO_PROVIDERS_NOT_CONFIGURED: { http: 500 },
  ERR_CRYPTO_PROVIDER_NOT_FOUND: { http: 400 },
  ERR_CRYPTO_KEY: { http: 500 },
  ERR_CRYPTO: { http: 500 },
  ERR_CONVERSATION_NOT_FOUND: { http: 400 },
  ERR_CONVERSATION_INVALID_PARMS: { http: 400 },
  ERR_CONVERSATION_MISSING_INPUTS: { http: 400 },
  ERR_CONVERSATION_INVOKE: { http: 500 },
});

/** True if `http`/`grpc` is one of the answers daprd gives for `code`. */
export function matchesCatalog(code: string, http: number, grpc: number): boolean {
  const e = ERROR_CATALOG[code];
  if (!e) return false;
  return [{ http: e.http, grpc: e.grpc }, ...(e.alt ?? [])].some((a) => a.http === http && (a.grpc === undefined || a.grpc === grpc));
}
