// Gateway-level APIs that are not building blocks: metadata and the runtime's lifecycle.
import type { CallContext } from '../call-context';
import type { RegisteredComponent } from './state.api';

export interface AppConnectionInfo {
  readonly port: number;
  readonly protocol: string;
  readonly channelAddress: string;
  readonly maxConcurrency: number;
}

/** What GET /v1.0/metadata and gRPC GetMetadata report (spec/http-api.md section 11). */
export interface RuntimeMetadata {
  readonly id: string;
  readonly runtimeVersion: string;
  readonly enabledFeatures: readonly string[];
  readonly components: readonly RegisteredComponent[];
  readonly extended: Readonly<Record<string, string>>;
  readonly appConnectionProperties?: AppConnectionInfo;
}

export interface MetadataApi {
  getMetadata(ctx: CallContext): Promise<RuntimeMetadata>;
  setMetadata(key: string, value: string, ctx: CallContext): Promise<void>;
}

export interface RuntimeLifecycle {
  /** Readiness targets that are not ready yet; empty = ready (`/v1.0/healthz` answers 204). */
  notReady(): readonly string[];
  /** Components are initialised (`/v1.0/healthz/outbound`). */
  outboundReady(): boolean;
  /** Graceful shutdown (force = exit at once with code 1, as `dapr-force-shutdown`). */
  shutdown(force: boolean): void;
}

export const METADATA_API = Symbol.for('tessera.MetadataApi');
export const RUNTIME_LIFECYCLE = Symbol.for('tessera.RuntimeLifecycle');
