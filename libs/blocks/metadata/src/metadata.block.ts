// The metadata API of one gateway: who this runtime is, what it loaded, and the extended
// attributes apps set with PUT /v1.0/metadata/{key}. Component lists come from the block APIs,
// so in split mode they reflect what the remote services loaded for this app.
import type { AppConnectionInfo, CallContext, MetadataApi, RegisteredComponent, RuntimeMetadata, SubscriptionInfo } from '@tessera/contracts';

/** Anything that can list the components it serves to an app (every block API can). */
export interface ComponentSource {
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]>;
}

export interface MetadataBlockOptions {
  readonly appId: string;
  readonly runtimeVersion: string;
  readonly enabledFeatures?: readonly string[];
  readonly appConnection?: AppConnectionInfo;
  /** The app's current health when checks are enabled (reported in appConnectionProperties.health). */
  readonly appHealthy?: () => boolean;
  readonly sources: readonly ComponentSource[];
  /** The app's pub/sub subscriptions now. */
  readonly subscriptions?: () => readonly SubscriptionInfo[];
}

export class MetadataBlock implements MetadataApi {
  private readonly extended = new Map<string, string>();

  constructor(private readonly opts: MetadataBlockOptions) {
    this.extended.set('daprRuntimeVersion', opts.runtimeVersion);
  }

  async getMetadata(ctx: CallContext): Promise<RuntimeMetadata> {
    // A block service that is down must not fail the metadata API: the JS SDK uses it as its
    // readiness probe. Its components are left out of the answer until it is back.
    const lists = await Promise.all(this.opts.sources.map((s) => s.listComponents(ctx).catch(() => [])));
    return {
      id: this.opts.appId,
      runtimeVersion: this.opts.runtimeVersion,
      enabledFeatures: this.opts.enabledFeatures ?? [],
      components: lists.flat(),
      extended: Object.fromEntries(this.extended),
      appConnectionProperties: this.appConnection(),
      subscriptions: this.opts.subscriptions?.() ?? [],
    };
  }

  private appConnection(): AppConnectionInfo | undefined {
    const a = this.opts.appConnection;
    if (!a?.health || !this.opts.appHealthy) return a;
    return { ...a, health: { ...a.health, status: this.opts.appHealthy() ? 'healthy' : 'unhealthy' } };
  }

  async setMetadata(key: string, value: string): Promise<void> {
    this.extended.set(key, value);
  }
}
