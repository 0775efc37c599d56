// Secret scopes applied around a SecretsApi that does not know the calling app's Configuration:
// the secrets-svc client in split mode, or a block shared by the apps of a multi-app run. The
// gateway of each app wraps its API with its own scopes, so answers match the in-process block:
// a denied key still answers "not configured" / "store not found" first when that is the case
// (found out through listComponents, on the deny path only), and bulk answers are filtered.
import { SecretsErrors } from '@tessera/contracts';
import type {
  CallContext,
  GetBulkSecretRequest,
  GetBulkSecretResponse,
  GetSecretRequest,
  GetSecretResponse,
  RegisteredComponent,
  SecretResponse,
  SecretsApi,
} from '@tessera/contracts';
import type { SecretScopes } from './secret-scopes';

export class ScopedSecretsApi implements SecretsApi {
  constructor(
    private readonly inner: SecretsApi,
    private readonly scopes: SecretScopes,
  ) {}

  async getSecret(req: GetSecretRequest, ctx: CallContext): Promise<GetSecretResponse> {
    if (this.scopes.allows(req.storeName, req.key)) return this.inner.getSecret(req, ctx);
    const stores = await this.inner.listComponents(ctx);
    if (stores.length === 0) throw SecretsErrors.notConfigured();
    if (!stores.some((c) => c.name === req.storeName)) throw SecretsErrors.notFound(req.storeName);
    throw SecretsErrors.permissionDenied(req.key, req.storeName);
  }

  async getBulkSecret(req: GetBulkSecretRequest, ctx: CallContext): Promise<GetBulkSecretResponse> {
    const res = await this.inner.getBulkSecret(req, ctx);
    const data: Record<string, SecretResponse> = {};
    for (const [name, v] of Object.entries(res.data)) if (this.scopes.allows(req.storeName, name)) data[name] = v;
    return { data };
  }

  listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.inner.listComponents(ctx);
  }
}

/** `api` with `scopes` applied, or `api` itself when the scopes allow everything. */
export function withSecretScopes(api: SecretsApi, scopes: SecretScopes): SecretsApi {
  return scopes.empty ? api : new ScopedSecretsApi(api, scopes);
}
