// Gateway-level APIs that are not building blocks: metadata and the runtime's lifecycle.
import type { CallContext } from '../call-context';
import type { InvokeApi } from './invoke.api';
import type { RegisteredComponent, StateApi } from './state.api';
import type { SecretsApi } from './secrets.api';
import type { LockApi } from './lock.api';
import type { AppConfigurationSubscriptions, ConfigurationApi } from './configuration.api';
import type { AppStreamingSubscriptions, PubSubApi } from './pubsub.api';
import type { BindingsApi } from './bindings.api';

export interface AppHealthInfo {
  readonly healthCheckPath: string;
  /** Go durations, as daprd reports them. */
  readonly healthProbeInterval: string;
  readonly healthProbeTimeout: string;
  readonly healthThreshold: number;
  /** Tessera's addition: what the latest probes say ('healthy' | 'unhealthy'). */
  readonly status?: string;
}

export interface AppConnectionInfo {
  readonly port: number;
  readonly protocol: string;
  readonly channelAddress: string;
  readonly maxConcurrency: number;
  /** Present when app health checks are enabled. */
  readonly health?: AppHealthInfo;
}

/** What GET /v1.0/metadata and gRPC GetMetadata report (spec/http-api.md section 11). */
/** One subscription of the app, as the metadata API lists it. */
export interface SubscriptionInfo {
  readonly pubsubname: string;
  readonly topic: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly rules: ReadonlyArray<{ readonly match: string; readonly path: string }>;
  readonly deadLetterTopic: string;
  readonly type: 'DECLARATIVE' | 'PROGRAMMATIC' | 'STREAMING';
}

export interface RuntimeMetadata {
  readonly id: string;
  readonly runtimeVersion: string;
  readonly enabledFeatures: readonly string[];
  readonly components: readonly RegisteredComponent[];
  readonly extended: Readonly<Record<string, string>>;
  readonly appConnectionProperties?: AppConnectionInfo;
  /** The app's pub/sub subscriptions (declarative, programmatic, streaming). */
  readonly subscriptions?: readonly SubscriptionInfo[];
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

/** The small logger interface the edges log through (the observability Logger satisfies it). */
export interface EdgeLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** What both Dapr API edges (HTTP and gRPC) are built from. */
export interface EdgeOptions {
  readonly appId: string;
  readonly namespace: string;
  /** DAPR_API_TOKEN; when set every call but the health checks must carry it. */
  readonly apiToken?: string;
  readonly maxBodySize: number;
  readonly enableApiLogging: boolean;
  readonly state: StateApi;
  readonly metadata: MetadataApi;
  readonly lifecycle: RuntimeLifecycle;
  readonly logger: EdgeLogger;
  /** Service invocation; when absent the invoke routes answer as an unbuilt block. */
  readonly invoke?: InvokeApi;
  /** Secrets; when absent the secrets routes and RPCs answer as an unbuilt block. */
  readonly secrets?: SecretsApi;
  /** Distributed lock; when absent the lock routes and RPCs answer as an unbuilt block. */
  readonly lock?: LockApi;
  /** Configuration; when absent the configuration routes and RPCs answer as an unbuilt block. */
  readonly configuration?: ConfigurationApi;
  /** HTTP-API configuration subscriptions delivered to the app (absent: subscribe answers ERR_APP_CHANNEL_NIL). */
  readonly configurationSubscriptions?: AppConfigurationSubscriptions;
  /** Publish and subscribe; when absent the publish routes and RPCs answer as an unbuilt block. */
  readonly pubsub?: PubSubApi;
  /** gRPC SubscribeTopicEventsAlpha1 (absent: that RPC answers as an unbuilt block). */
  readonly streamingSubscriptions?: AppStreamingSubscriptions;
  /** Bindings; when absent the bindings routes and RPCs answer as an unbuilt block. */
  readonly bindings?: BindingsApi;
}
