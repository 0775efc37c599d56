// Pub/sub e2e helpers: DaprServer subscriber apps (HTTP or gRPC) that record what they receive,
// the broker components the suites run on (each probed first: an unreachable broker makes its
// suite skip, never pass), and waiting for deliveries with a deadline.
import { randomUUID } from 'node:crypto';
import { CommunicationProtocolEnum, DaprPubSubStatusEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { tcpSkipReason } from '@tessera/testing';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, verbose: () => undefined, debug: () => undefined };

export interface Received {
  readonly topic: string;
  readonly route: string;
  readonly data: unknown;
  readonly headers: Record<string, unknown>;
}

/** Everything a subscriber app received, and how it should answer. */
export class Inbox {
  readonly items: Received[] = [];
  /** Answer for a message (default SUCCESS). */
  answer: (r: Received) => DaprPubSubStatusEnum = () => DaprPubSubStatusEnum.SUCCESS;

  on(topic: string): Received[] {
    return this.items.filter((i) => i.topic === topic);
  }

  async until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async waitFor(topic: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const got = this.on(topic);
      if (got.length >= count) return got;
      if (Date.now() > until) throw new Error(`expected ${count} messages on ${topic}, got ${got.length}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

export interface SubscriberSpec {
  readonly pubsub: string;
  readonly topic: string;
  readonly route?: string | { rules: Array<{ match: string; path: string }>; default?: string };
  readonly deadLetterTopic?: string;
  readonly bulk?: { maxMessagesCount: number; maxAwaitDurationMs: number };
  readonly metadata?: Record<string, string>;
}

/** A DaprServer app subscribing to `subs`; every delivery lands in the returned inbox. */
export async function startSubscriber(
  protocol: 'HTTP' | 'gRPC',
  appPort: number,
  dapr: { httpPort: number; grpcPort: number },
  subs: readonly SubscriberSpec[],
): Promise<{ server: DaprServer; inbox: Inbox }> {
  const inbox = new Inbox();
  const server = new DaprServer({
    serverHost: '127.0.0.1',
    serverPort: String(appPort),
    communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    clientOptions: {
      daprHost: '127.0.0.1',
      daprPort: String(protocol === 'HTTP' ? dapr.httpPort : dapr.grpcPort),
      communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    },
    logger: { level: LogLevel.Error, service: quiet },
  });
  for (const s of subs) {
    const record = (route: string) => async (data: unknown, headers: object) => {
      const r: Received = { topic: s.topic, route, data, headers: headers as Record<string, unknown> };
      inbox.items.push(r);
      return inbox.answer(r);
    };
    if (s.bulk) {
      await server.pubsub.subscribeBulk(s.pubsub, s.topic, record('bulk'), { ...s.bulk, metadata: s.metadata });
    } else if (typeof s.route === 'object') {
      await server.pubsub.subscribeWithOptions(s.pubsub, s.topic, { route: s.route, deadLetterTopic: s.deadLetterTopic, metadata: s.metadata });
      for (const rule of s.route.rules) server.pubsub.subscribeToRoute(s.pubsub, s.topic, rule.path, record(rule.path));
      if (s.route.default) server.pubsub.subscribeToRoute(s.pubsub, s.topic, s.route.default, record(s.route.default));
    } else {
      await server.pubsub.subscribeWithOptions(s.pubsub, s.topic, {
        callback: record(s.route ?? 'default'),
        route: s.route,
        deadLetterTopic: s.deadLetterTopic,
        metadata: s.metadata,
      });
    }
  }
  return { server, inbox };
}

export interface Broker {
  readonly name: string;
  /** Component YAML for a pub/sub named `name`; undefined = the embedded default (named `pubsub`). */
  component(name: string): string | undefined;
  /** TCP port to probe before the suite runs (undefined = nothing to probe). */
  readonly port?: number;
}

const yaml = (name: string, type: string, md: Record<string, string>): string =>
  `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${Object.entries(md)
  .map(([k, v]) => `    - name: ${k}\n      value: "${v}"`)
  .join('\n')}
`;

export const BROKERS: readonly Broker[] = [
  { name: 'embedded (pubsub.sqlite)', component: () => undefined },
  { name: 'redis', port: 6379, component: (n) => yaml(n, 'pubsub.redis', { redisHost: 'localhost:6379', processingTimeout: '5s', redeliverInterval: '1s' }) },
  { name: 'rabbitmq', port: 5672, component: (n) => yaml(n, 'pubsub.rabbitmq', { connectionString: 'amqp://guest:guest@localhost:5672', durable: 'true', deletedWhenUnused: 'false', requeueInFailure: 'true' }) },
  { name: 'mqtt3', port: 1883, component: (n) => yaml(n, 'pubsub.mqtt3', { url: 'tcp://localhost:1883', qos: '1' }) },
  { name: 'jetstream', port: 4222, component: (n) => yaml(n, 'pubsub.jetstream', { natsURL: 'nats://localhost:4222', streamName: `tessera-e2e-${randomUUID().slice(0, 8)}` }) },
];

/**
 * Why a suite on `broker` cannot run (nothing listens on its port), or undefined. Synchronous, so
 * it can decide between describe and describe.skip while jest registers tests.
 */
export function brokerSkipReason(broker: Broker): string | undefined {
  return broker.port === undefined ? undefined : tcpSkipReason(broker.name, '127.0.0.1', broker.port);
}

/** describe, or describe.skip with the reason in the title (and a warning) when the broker is down. */
export function describeOnBroker(broker: Broker, title: string, fn: () => void): void {
  const why = brokerSkipReason(broker);
  if (why === undefined) {
    describe(title, fn);
    return;
  }
  console.warn(`${title}: skipped (${why})`);
  describe.skip(`${title} (skipped: ${why})`, fn);
}
