// Composition root for bindings: manifest `spec.type` + `spec.version` -> factory, plus which
// directions each type can serve (input = read(), output = invoke()), so the runtime can refuse a
// `direction` metadata the component cannot honour before creating it. The only file that imports
// every binding implementation; add one by adding one line to REGISTRY.
// Versions follow Dapr: an empty version, `v0` and `v1` all mean the initial version.
import type { BindingFactory } from '@tessera/spi';
import { createCronBinding } from '@tessera/bindings-cron';
import { createHttpBinding } from '@tessera/bindings-http';
import { createKafkaBinding } from '@tessera/bindings-kafka';
import { createMqttBinding } from '@tessera/bindings-mqtt3';
import { createPostgresBinding } from '@tessera/bindings-postgresql';
import { createRabbitMqBinding } from '@tessera/bindings-rabbitmq';
import { createRedisBinding } from '@tessera/bindings-redis';

export type BindingType =
  | 'bindings.cron'
  | 'bindings.http'
  | 'bindings.redis'
  | 'bindings.postgresql'
  | 'bindings.postgres'
  | 'bindings.rabbitmq'
  | 'bindings.mqtt3'
  | 'bindings.mqtt'
  | 'bindings.kafka';

export interface BindingDirections {
  /** The component can be an input binding (has read()). */
  readonly input: boolean;
  /** The component can be an output binding (has invoke()). */
  readonly output: boolean;
}

interface Entry extends BindingDirections {
  readonly versions: Readonly<Record<string, BindingFactory>>;
}

const INPUT = { input: true, output: false } as const;
const OUTPUT = { input: false, output: true } as const;
const BOTH = { input: true, output: true } as const;

const REGISTRY: Readonly<Record<BindingType, Entry>> = {
  'bindings.cron': { ...INPUT, versions: { v1: createCronBinding } },
  'bindings.http': { ...OUTPUT, versions: { v1: createHttpBinding } },
  'bindings.redis': { ...OUTPUT, versions: { v1: createRedisBinding } },
  'bindings.postgresql': { ...OUTPUT, versions: { v1: createPostgresBinding } },
  'bindings.postgres': { ...OUTPUT, versions: { v1: createPostgresBinding } },
  'bindings.rabbitmq': { ...BOTH, versions: { v1: createRabbitMqBinding } },
  'bindings.mqtt3': { ...BOTH, versions: { v1: createMqttBinding } },
  'bindings.mqtt': { ...BOTH, versions: { v1: createMqttBinding } },
  'bindings.kafka': { ...BOTH, versions: { v1: createKafkaBinding } },
};

export const KNOWN_BINDING_TYPES: readonly BindingType[] = Object.freeze(Object.keys(REGISTRY) as BindingType[]);

function byType(type: string): Entry | undefined {
  return (REGISTRY as Readonly<Record<string, Entry | undefined>>)[type.trim().toLowerCase()];
}

function normalizeVersion(version: string): string {
  const v = version.trim().toLowerCase();
  return v === '' || v === 'v0' ? 'v1' : v;
}

/** The factory for a Component's `spec.type` and `spec.version`, or undefined if unknown. */
export function bindingFactory(type: string, version: string): BindingFactory | undefined {
  return byType(type)?.versions[normalizeVersion(version)];
}

/** The versions registered for a type (for "unknown version" messages), empty if the type is unknown. */
export function bindingVersions(type: string): readonly string[] {
  const e = byType(type);
  return e ? Object.keys(e.versions) : [];
}

/** Whether a binding type can serve as input and/or output; undefined if the type is unknown. */
export function bindingDirections(type: string): BindingDirections | undefined {
  const e = byType(type);
  return e ? { input: e.input, output: e.output } : undefined;
}
