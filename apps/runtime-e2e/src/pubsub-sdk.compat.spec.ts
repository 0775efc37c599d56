// Pub/sub with the official Dapr JS SDK on every broker Tessera offers (the embedded SQLite
// default, Redis Streams, RabbitMQ, MQTT, NATS JetStream on loopback), all-in-one and split
// (pubsub-svc): DaprClient publishes over HTTP and gRPC (single and bulk), DaprServer apps over
// HTTP and gRPC receive, each app once per event (consumer group = app id), routing rules (CEL),
// DROP to a dead-letter topic, bulk subscribe and raw payloads. An unreachable broker skips its
// suite with the reason in the title.
import { randomUUID } from 'node:crypto';
import { DaprPubSubStatusEnum } from '@dapr/dapr';
import type { DaprClient, DaprServer } from '@dapr/dapr';
import { freePort, resourcesDir, startPubSubSvc, startRuntime, tempDir } from './support/processes';
import type { PubSubSvc, Runtime } from './support/processes';
import { BROKERS, describeOnBroker, startSubscriber } from './support/pubsub';
import type { Inbox, SubscriberSpec } from './support/pubsub';
import { sdkClient } from './support/sdk';

const PUBSUB = 'pubsub';
const FULL = new Set(['embedded (pubsub.sqlite)', 'redis']);

interface Topo {
  runtimes: Runtime[];
  svc?: PubSubSvc;
  servers: DaprServer[];
  http?: Inbox;
  grpc?: Inbox;
  clients: { HTTP?: DaprClient; gRPC?: DaprClient };
}

for (const broker of BROKERS) {
  for (const mode of ['all-in-one', 'split'] as const) {
    describeOnBroker(broker, `pub/sub with @dapr/dapr on ${broker.name} (${mode})`, () => {
      const run = randomUUID().slice(0, 8);
      const t = (name: string): string => `${name}-${run}`;
      const topo: Topo = { runtimes: [], servers: [], clients: {} };
      const subs: SubscriberSpec[] = [
        { pubsub: PUBSUB, topic: t('orders') },
        { pubsub: PUBSUB, topic: t('bulkpub') },
        { pubsub: PUBSUB, topic: t('poison'), deadLetterTopic: t('poison-dlq') },
        { pubsub: PUBSUB, topic: t('poison-dlq') },
        ...(FULL.has(broker.name)
          ? [
              { pubsub: PUBSUB, topic: t('routed'), route: { rules: [{ match: 'event.type == "special"', path: '/special' }], default: '/plain' } },
              { pubsub: PUBSUB, topic: t('raw'), metadata: { rawPayload: 'true' } },
            ]
          : []),
      ];
      const bulkSubs: SubscriberSpec[] = FULL.has(broker.name) ? [{ pubsub: PUBSUB, topic: t('bulksub'), bulk: { maxMessagesCount: 10, maxAwaitDurationMs: 200 } }] : [];
      beforeAll(async () => {
        const component = broker.component(PUBSUB);
        const resources = component !== undefined ? [resourcesDir({ 'pubsub.yaml': component })] : [];
        const home = tempDir();
        const env = { TESSERA_HOME: home };
        if (mode === 'split') topo.svc = await startPubSubSvc({ resources, cwd: home });
        const common = { resources, env, cwd: home, pubsubSvc: topo.svc?.address };
        const [httpApp, grpcApp] = [await freePort(), await freePort()];
        const httpRt = await startRuntime({ ...common, appId: `sub-http-${run}`, appPort: httpApp, noWait: true });
        const grpcRt = await startRuntime({ ...common, appId: `sub-grpc-${run}`, appPort: grpcApp, appProtocol: 'grpc', noWait: true });
        const pubRt = await startRuntime({ ...common, appId: `pub-${run}` });
        topo.runtimes.push(httpRt, grpcRt, pubRt);
        const h = await startSubscriber('HTTP', httpApp, httpRt, [...subs, ...bulkSubs]);
        const g = await startSubscriber('gRPC', grpcApp, grpcRt, subs);
        topo.servers.push(h.server, g.server);
        topo.http = h.inbox;
        topo.grpc = g.inbox;
        await Promise.all([h.server.start(), g.server.start()]);
        topo.clients = { HTTP: sdkClient('HTTP', pubRt), gRPC: sdkClient('gRPC', pubRt) };
        // the subscriptions are open once a probe message reaches both apps
        await publishUntilSeen(topo, t('orders'));
      }, 90_000);

      afterAll(async () => {
        // Runtimes first: the SDK's servers only close once the runtime's connections are gone.
        await Promise.allSettled(Object.values(topo.clients).map((c) => c?.stop()));
        await Promise.allSettled(topo.runtimes.map((r) => r.stop()));
        await topo.svc?.stop();
        await Promise.allSettled(topo.servers.map((s) => s.stop()));
      }, 60_000);

      const both = (): Inbox[] => [topo.http as Inbox, topo.grpc as Inbox];

      it('HTTP and gRPC clients publish; the HTTP app and the gRPC app each get every event once', async () => {
        const topic = t('orders');
        for (let i = 0; i < 5; i++) await topo.clients.HTTP?.pubsub.publish(PUBSUB, topic, { n: i, via: 'http' });
        for (let i = 0; i < 5; i++) await topo.clients.gRPC?.pubsub.publish(PUBSUB, topic, { n: i, via: 'grpc' });
        for (const inbox of both()) {
          const real = (): string[] =>
            inbox
              .on(topic)
              .map((r) => r.data as { n: number; via?: string })
              .filter((d) => d.via !== undefined)
              .map((d) => `${d.via}${d.n}`);
          await inbox.until(() => real().length >= 10, 'ten events');
          await new Promise((r) => setTimeout(r, 300)); // a duplicate would show up by now
          expect(real().sort()).toEqual(['grpc0', 'grpc1', 'grpc2', 'grpc3', 'grpc4', 'http0', 'http1', 'http2', 'http3', 'http4']);
        }
      });

      it('bulk publish over HTTP and gRPC: every entry delivered', async () => {
        const topic = t('bulkpub');
        const entries = (via: string) => Array.from({ length: 10 }, (_, i) => ({ entryID: `${via}-${i}`, event: { i, via }, contentType: 'application/json' }));
        const r1 = await topo.clients.HTTP?.pubsub.publishBulk(PUBSUB, topic, entries('http'));
        const r2 = await topo.clients.gRPC?.pubsub.publishBulk(PUBSUB, topic, entries('grpc'));
        expect(r1?.failedMessages ?? []).toEqual([]);
        expect(r2?.failedMessages ?? []).toEqual([]);
        for (const inbox of both()) {
          const got = await inbox.waitFor(topic, 20);
          expect(new Set(got.map((r) => JSON.stringify(r.data))).size).toBe(20);
        }
      });

      it('a message the app DROPs goes to the dead-letter topic', async () => {
        for (const inbox of both()) inbox.answer = (r) => (r.topic === t('poison') ? DaprPubSubStatusEnum.DROP : DaprPubSubStatusEnum.SUCCESS);
        await topo.clients.HTTP?.pubsub.publish(PUBSUB, t('poison'), { bad: true });
        for (const inbox of both()) {
          const dl = await inbox.waitFor(t('poison-dlq'), 1);
          expect(dl[0]?.data).toEqual({ bad: true });
          expect(inbox.on(t('poison'))).toHaveLength(1);
        }
      });

      if (FULL.has(broker.name)) {
        it('routes by CEL rules on the CloudEvent, default path otherwise', async () => {
            const topic = t('routed');
          await topo.clients.HTTP?.pubsub.publish(PUBSUB, topic, { k: 'special' }, { metadata: { 'cloudevent.type': 'special' } });
          await topo.clients.HTTP?.pubsub.publish(PUBSUB, topic, { k: 'plain' });
          for (const inbox of both()) {
            const got = await inbox.waitFor(topic, 2);
            const byRoute = Object.fromEntries(got.map((r) => [(r.data as { k: string }).k, r.route.replace(/^\//, '')]));
            expect(byRoute).toEqual({ special: 'special', plain: 'plain' });
          }
        });

        it('bulk subscribe: the HTTP app gets every event in batches', async () => {
            const topic = t('bulksub');
          for (let i = 0; i < 25; i++) await topo.clients.gRPC?.pubsub.publish(PUBSUB, topic, { i });
          const got = await (topo.http as Inbox).waitFor(topic, 25);
          expect(new Set(got.map((r) => (r.data as { i: number }).i)).size).toBe(25);
        });

        it('raw payloads: published unwrapped, reaching the app as the bytes that were sent', async () => {
          // The SDK's DaprServer JSON-encodes subscription metadata values (`"\"true\""`), so a
          // rawPayload subscription declared through it is not raw (daprd reads it the same way);
          // what is checked here is the publishing side: no CloudEvent around the bytes.
          const topic = t('raw');
          await topo.clients.HTTP?.pubsub.publish(PUBSUB, topic, { raw: 1 }, { metadata: { rawPayload: 'true' } });
          const got = await (topo.http as Inbox).waitFor(topic, 1);
          expect(got[0]?.data).toEqual({ raw: 1 });
        });
      }
    });
  }
}

/** Publishes probes until both apps have seen one (subscriptions open asynchronously). */
async function publishUntilSeen(topo: Topo, topic: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (let i = 0; ; i++) {
    await topo.clients.HTTP?.pubsub.publish(PUBSUB, topic, { probe: i });
    const seen = [topo.http, topo.grpc].every((x) => (x?.on(topic).length ?? 0) > 0);
    if (seen) return;
    if (Date.now() > until) throw new Error(`the subscriber apps did not receive on ${topic}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
