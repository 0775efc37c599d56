// A SecretStore on top of a SecretsApi, so the secret store conformance suite can run through the
// whole block path: SecretsTransportClient -> secrets-svc -> SecretsBlock -> real store, proving
// split mode answers exactly as the store itself. The block's API errors become SecretStoreErrors:
// ERR_SECRET_GET for a missing secret (not retryable) is kind not-found, anything else backend.
import type { CallContext, SecretsApi } from '@tessera/contracts';
import { SecretStoreError } from '@tessera/spi';
import type { SecretStore, SecretStoreFeature } from '@tessera/spi';

function toStoreError(e: unknown): SecretStoreError {
  const a = e as { code?: unknown; message?: unknown; retryable?: unknown };
  const notFound = a.code === 'ERR_SECRET_GET' && a.retryable === false;
  return new SecretStoreError(notFound ? 'not-found' : 'backend', typeof a.code === 'string' ? `${a.code}: ${String(a.message)}` : String(e), { cause: e });
}

export class SecretsApiStore implements SecretStore {
  private featureList: SecretStoreFeature[] = [];

  constructor(
    private readonly api: SecretsApi,
    private readonly storeName: string,
    private readonly close$: () => Promise<void> = async () => undefined,
    private readonly appId = 'conformance',
  ) {}

  private get ctx(): CallContext {
    return { appId: this.appId, namespace: '' };
  }

  async init(): Promise<void> {
    const visible = await this.api.listComponents(this.ctx);
    const me = visible.find((c) => c.name === this.storeName);
    if (!me) throw new Error(`secret store ${this.storeName} is not served`);
    this.featureList = me.capabilities.filter((c): c is SecretStoreFeature => c === 'MULTIPLE_KEY_VALUES_PER_SECRET');
  }

  features(): readonly SecretStoreFeature[] {
    return this.featureList;
  }

  async getSecret(name: string, metadata: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    try {
      return (await this.api.getSecret({ storeName: this.storeName, key: name, metadata: { ...metadata } }, this.ctx)).data;
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async bulkGetSecret(metadata: Readonly<Record<string, string>>): Promise<Record<string, Record<string, string>>> {
    let data;
    try {
      ({ data } = await this.api.getBulkSecret({ storeName: this.storeName, metadata: { ...metadata } }, this.ctx));
    } catch (e) {
      throw toStoreError(e);
    }
    const out: Record<string, Record<string, string>> = {};
    for (const [k, v] of Object.entries(data)) out[k] = v.secrets;
    return out;
  }

  close(): Promise<void> {
    return this.close$();
  }
}
