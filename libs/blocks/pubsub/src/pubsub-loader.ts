// Creates and initialises the pub/sub components named by Component resources. The factory
// lookup is passed in by the composition root (it holds the registry), so this block never
// imports a concrete component. A component that fails to start stops start-up with one line
// naming the file and the component, unless it sets spec.ignoreErrors.
import { initWithTimeout } from '@tessera/spi';
import type { ComponentHost, ComponentMetadata, LoadableComponentSpec, PubSub, PubSubFactory } from '@tessera/spi';
import { PubSubComponents, parseTopicScopes } from './pubsub-components';
import { metaGet } from './cloudevents';

export type PubSubComponentSpec = LoadableComponentSpec;

export interface PubSubLoaderLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export class PubSubLoadError extends Error {
  readonly kind = 'tessera.pubsub-load' as const;
}

export async function loadPubSubs(
  specs: readonly PubSubComponentSpec[],
  factoryFor: (type: string, version: string) => PubSubFactory | undefined,
  appId: string,
  logger: PubSubLoaderLogger,
): Promise<PubSubComponents> {
  const components = new PubSubComponents();
  const started: PubSub[] = [];
  const host: ComponentHost = { logger };
  try {
    for (const spec of specs) {
      const where = `${spec.file}: component "${spec.name}"`;
      const factory = factoryFor(spec.type, spec.version);
      if (!factory) throw new PubSubLoadError(`${where}: spec.type: no pub/sub ${spec.type}/${spec.version} in this build`);
      const meta: ComponentMetadata = { name: spec.name, type: spec.type, version: spec.version, properties: spec.metadata, appId };
      let pubsub: PubSub | undefined;
      try {
        pubsub = factory(meta, host);
        await initWithTimeout(pubsub.init(), spec.initTimeoutMs);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        if (pubsub) await pubsub.close().catch(() => undefined);
        if (spec.ignoreErrors) {
          logger.warn(`${where}: skipped (spec.ignoreErrors): ${reason}`);
          continue;
        }
        throw new PubSubLoadError(`${where}: failed to initialise ${spec.type}: ${reason}`);
      }
      started.push(pubsub);
      const consumerId = metaGet(spec.metadata, 'consumerID');
      components.add({
        name: spec.name,
        type: spec.type,
        version: spec.version,
        pubsub,
        scopes: spec.scopes,
        topics: parseTopicScopes(spec.metadata),
        consumerId: consumerId !== undefined && consumerId !== '' ? consumerId : undefined,
        nativeTtl: pubsub.features().includes('message-ttl'),
      });
      logger.info(`component loaded: ${spec.name} (${spec.type}/${spec.version})`);
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)));
    throw e;
  }
  return components;
}

export async function closePubSubs(components: PubSubComponents): Promise<void> {
  await Promise.all(components.all().map((e) => e.pubsub.close().catch(() => undefined)));
}
