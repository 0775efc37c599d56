// Composition root for pub/sub components: manifest `spec.type` + `spec.version` -> factory. The
// only file that imports every pub/sub implementation; add a broker by adding one import and one
// line to REGISTRY (and its type to PubSubType). Versions follow Dapr: an empty version, `v0` and
// `v1` all mean the initial version. `pubsub.in-memory` is Dapr's; `pubsub.sqlite` (the embedded,
// durable default) is Tessera's own.
import type { PubSubFactory } from '@tessera/spi';
import { createInMemoryPubSub } from '@tessera/pubsub-in-memory';
import { createSqlitePubSub } from '@tessera/pubsub-sqlite';
import { createRedisPubSub } from '@tessera/pubsub-redis';
import { createJetStreamPubSub } from '@tessera/pubsub-jetstream';
import { createRabbitMqPubSub } from '@tessera/pubsub-rabbitmq';
import { createMqttPubSub } from '@tessera/pubsub-mqtt3';
import { createKafkaPubSub } from '@tessera/pubsub-kafka';

// Brokers (pubsub.redis, pubsub.jetstream, pubsub.rabbitmq, pubsub.mqtt3 + alias pubsub.mqtt,
// pubsub.kafka): add the type to PubSubType, the import above and the line in REGISTRY below.
// (One type per line, so parallel additions do not touch the same line.)
// prettier-ignore
export type PubSubType =
  | 'pubsub.in-memory'
  | 'pubsub.sqlite'
  | 'pubsub.redis'
  | 'pubsub.jetstream'
  | 'pubsub.rabbitmq'
  | 'pubsub.mqtt3'
  | 'pubsub.mqtt'
  | 'pubsub.kafka';

const REGISTRY: Readonly<Record<PubSubType, Readonly<Record<string, PubSubFactory>>>> = {
  'pubsub.in-memory': { v1: createInMemoryPubSub },
  'pubsub.sqlite': { v1: createSqlitePubSub },
  'pubsub.redis': { v1: createRedisPubSub },
  'pubsub.jetstream': { v1: createJetStreamPubSub },
  'pubsub.rabbitmq': { v1: createRabbitMqPubSub },
  'pubsub.mqtt3': { v1: createMqttPubSub },
  'pubsub.mqtt': { v1: createMqttPubSub },
  'pubsub.kafka': { v1: createKafkaPubSub },
  // broker lines go here, e.g. 'pubsub.redis': { v1: createRedisPubSub },
};

export const KNOWN_PUBSUB_TYPES: readonly PubSubType[] = Object.freeze(Object.keys(REGISTRY) as PubSubType[]);

function byType(type: string): Readonly<Record<string, PubSubFactory>> | undefined {
  return (REGISTRY as Readonly<Record<string, Readonly<Record<string, PubSubFactory>> | undefined>>)[type.trim().toLowerCase()];
}

function normalizeVersion(version: string): string {
  const v = version.trim().toLowerCase();
  return v === '' || v === 'v0' ? 'v1' : v;
}

/** The factory for a Component's `spec.type` and `spec.version`, or undefined if unknown. */
export function pubSubFactory(type: string, version: string): PubSubFactory | undefined {
  return byType(type)?.[normalizeVersion(version)];
}

/** The versions registered for a type (for "unknown version" messages), empty if the type is unknown. */
export function pubSubVersions(type: string): readonly string[] {
  const v = byType(type);
  return v ? Object.keys(v) : [];
}
