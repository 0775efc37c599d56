// RuntimeMetadata (the API's view) -> GetMetadataResponse (the gRPC message).
import { ActorRuntime_ActorRuntimeStatus, PubsubSubscriptionType } from '@tessera/contracts';
import type { GetMetadataResponse, RuntimeMetadata } from '@tessera/contracts';

export function metadataToGrpc(m: RuntimeMetadata): GetMetadataResponse {
  const app = m.appConnectionProperties;
  return {
    id: m.id,
    activeActorsCount: [],
    registeredComponents: m.components.map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [...c.capabilities] })),
    extendedMetadata: { ...m.extended },
    subscriptions: (m.subscriptions ?? []).map((x) => ({
      pubsubName: x.pubsubname,
      topic: x.topic,
      metadata: { ...x.metadata },
      rules: { rules: x.rules.map((r) => ({ match: r.match, path: r.path })) },
      deadLetterTopic: x.deadLetterTopic,
      type: PubsubSubscriptionType[x.type],
    })),
    httpEndpoints: [],
    appConnectionProperties: app
      ? {
          port: app.port,
          protocol: app.protocol,
          channelAddress: app.channelAddress,
          maxConcurrency: app.maxConcurrency,
          health: app.health
            ? {
                healthCheckPath: app.health.healthCheckPath,
                healthProbeInterval: app.health.healthProbeInterval,
                healthProbeTimeout: app.health.healthProbeTimeout,
                healthThreshold: app.health.healthThreshold,
              }
            : undefined,
        }
      : undefined,
    runtimeVersion: m.runtimeVersion,
    enabledFeatures: [...m.enabledFeatures],
    actorRuntime: { runtimeStatus: ActorRuntime_ActorRuntimeStatus.DISABLED, activeActors: [], hostReady: false, placement: '' },
    mcpServers: [],
    workflowAccessPolicies: [],
    resiliencies: [],
  };
}
