// The secret store contract every secret store component implements (components-contrib
// secretstores/secretstore.go restated). A store maps a secret name to one or more key/value
// pairs: single-value stores answer `{name: value}`, multi-value stores (feature
// MULTIPLE_KEY_VALUES_PER_SECRET) answer the secret's own keys. Secret scopes, component scopes
// and Dapr's error codes are the block's business, not the store's.
//
// Implementers owe:
// - concurrency safety: getSecret/bulkGetSecret may be called concurrently;
// - a missing secret throws SecretStoreError kind 'not-found' (the block answers ERR_SECRET_GET,
//   not retried); any other failure throws, preferably kind 'backend';
// - no reading of process.env or process.cwd(): what a store needs of its host (the environment
//   snapshot of the runtime, the folder relative paths resolve against) arrives in SecretStoreHost;
// - init() parses metadata (throws ComponentConfigError) and checks the backend; close()
//   releases everything; no method is called after it.
import type { ComponentMetadata } from './component';

export type SecretStoreFeature = 'MULTIPLE_KEY_VALUES_PER_SECRET';

export interface SecretStore {
  init(): Promise<void>;
  features(): readonly SecretStoreFeature[];
  /** The values of secret `name`; `metadata` is the request's (`metadata.*` query parameters). */
  getSecret(name: string, metadata: Readonly<Record<string, string>>): Promise<Record<string, string>>;
  /** Every secret of the store, by name. */
  bulkGetSecret(metadata: Readonly<Record<string, string>>): Promise<Record<string, Record<string, string>>>;
  close(): Promise<void>;
}

/** What a secret store may use of the process that hosts it, handed in by the composition root. */
export interface SecretStoreHost {
  /** The runtime's environment, as read once at start-up. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The runtime's working folder: relative file paths in metadata resolve against it. */
  readonly cwd: string;
}

export type SecretStoreFactory = (meta: ComponentMetadata, host: SecretStoreHost) => SecretStore;

export type SecretStoreErrorKind = 'not-found' | 'backend';

/** The errors a secret store throws; the block maps them to Dapr's API errors. */
export class SecretStoreError extends Error {
  readonly kind = 'tessera.secret-store-error' as const;
  constructor(readonly errorKind: SecretStoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretStoreError';
  }
}

export function isSecretStoreError(e: unknown): e is SecretStoreError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.secret-store-error';
}

/** "secret <name> not found", as components-contrib's local stores word it. */
export const secretNotFound = (name: string): SecretStoreError => new SecretStoreError('not-found', `secret ${name} not found`);
