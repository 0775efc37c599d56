// The typed secrets API (spec/http-api.md 6, grpc-api.md 2.6). The gateway's HTTP and gRPC edges
// call it; the secrets block implements it in-process and the secrets transport client implements
// it over the wire (secrets-svc), so the edges cannot tell which one they hold. Requests and
// responses are the generated Dapr messages.
import type { CallContext } from '../call-context';
import type {
  GetBulkSecretRequest,
  GetBulkSecretResponse,
  GetSecretRequest,
  GetSecretResponse,
} from '../generated/dapr/proto/runtime/v1/secrets';
import type { RegisteredComponent } from './state.api';

export interface SecretsApi {
  /**
   * The values of one secret (`{key: value}` for single-value stores). Errors are ApiErrors:
   * ERR_SECRET_STORES_NOT_CONFIGURED, ERR_SECRET_STORE_NOT_FOUND (401), ERR_PERMISSION_DENIED
   * (secret scopes), ERR_SECRET_GET (component failure or missing secret).
   */
  getSecret(req: GetSecretRequest, ctx: CallContext): Promise<GetSecretResponse>;
  /** Every secret of the store the caller's secret scopes allow, by secret name. */
  getBulkSecret(req: GetBulkSecretRequest, ctx: CallContext): Promise<GetBulkSecretResponse>;
  /** The secret stores visible to `ctx.appId` (component scopes applied). */
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]>;
}

/** DI token for SecretsApi (Nest binds it to the block or to the remote client). */
export const SECRETS_API = Symbol.for('tessera.SecretsApi');
