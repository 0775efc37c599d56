// The secrets building block: SecretsApi on top of the loaded SecretStores, as daprd's
// universal secrets API does it: any store loaded? -> the store visible to the app? -> secret
// scopes allow the key? -> call the component -> map its failure to ERR_SECRET_GET. Bulk answers
// are filtered by the scopes. Written once; served in-process by the gateway (all-in-one) and by
// secrets-svc (split). No Nest, no transport, no concrete component here.
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
import { isSecretStoreError } from '@tessera/spi';
import { SecretScopes } from './secret-scopes';
import type { SecretStoreEntry, SecretStores } from './secret-stores';

const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class SecretsBlock implements SecretsApi {
  constructor(
    private readonly stores: SecretStores,
    private readonly scopes: SecretScopes = SecretScopes.ALLOW_ALL,
  ) {}

  async getSecret(req: GetSecretRequest, ctx: CallContext): Promise<GetSecretResponse> {
    const entry = this.entry(req.storeName, ctx);
    if (!this.scopes.allows(req.storeName, req.key)) throw SecretsErrors.permissionDenied(req.key, req.storeName);
    let data: Record<string, string>;
    try {
      data = await entry.store.getSecret(req.key, req.metadata ?? NO_METADATA);
    } catch (e) {
      const missing = isSecretStoreError(e) && e.errorKind === 'not-found';
      throw SecretsErrors.get(req.key, req.storeName, messageOf(e), !missing);
    }
    return { data };
  }

  async getBulkSecret(req: GetBulkSecretRequest, ctx: CallContext): Promise<GetBulkSecretResponse> {
    const entry = this.entry(req.storeName, ctx);
    let all: Record<string, Record<string, string>>;
    try {
      all = await entry.store.bulkGetSecret(req.metadata ?? NO_METADATA);
    } catch (e) {
      throw SecretsErrors.bulkGet(req.storeName, messageOf(e));
    }
    const data: Record<string, SecretResponse> = {};
    for (const [name, secrets] of Object.entries(all)) {
      if (this.scopes.allows(req.storeName, name)) data[name] = { secrets };
    }
    return { data };
  }

  async listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.stores.visibleTo(ctx.appId).map((e) => this.stores.describe(e));
  }

  private entry(name: string, ctx: CallContext): SecretStoreEntry {
    const e = this.stores.get(name, ctx.appId);
    if (e) return e;
    if (this.stores.visibleTo(ctx.appId).length === 0) throw SecretsErrors.notConfigured();
    throw SecretsErrors.notFound(name);
  }
}
