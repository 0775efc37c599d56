// Pub/sub under SIGKILL (issue #4, fault tests): 10,000 numbered messages are published through a
// publisher app's runtime (32 calls in flight, each failed publish retried, as an app does) while
//   - pubsub-svc is killed with SIGKILL twice and restarted on its port, resources and data dir,
//   - the subscriber's gateway is killed with SIGKILL twice and restarted (same app id, ports),
// in split mode on Redis Streams (processingTimeout 2s: what the dead consumer had read is
// reclaimed) and on the embedded SQLite default (its 60 s lease is never waited for: abandoned
// messages and a dead process's leases are released at once, within the 40 s the test allows);
// and 2,000 messages to an all-in-one runtime on the embedded default, killed mid-delivery and
// restarted on the same data dir (its app subscribing to its own topic; and again with a second
// all-in-one on the same file publishing). Every message whose publish succeeded must reach the
// subscriber app at least once; duplicates are counted and printed (one line per case,
// `[pubsub-fault] …`, with the processes' logs when something is missing), failed publishes must
// carry Dapr's {errorCode, message}, nothing may hang. PUBSUB_FAULT_* variables scale it for soaks.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testRedisUrl } from '@tessera/testing';
import { freePort, resourcesDir, startPubSubSvc, startRuntime, tempDir } from './support/processes';
import type { PubSubSvc, Runtime, RuntimeOptions, TesseraProcess } from './support/processes';
import { describeOnBroker } from './support/pubsub';
import type { Broker } from './support/pubsub';
import { CountingApp, faultSummary, publishNumbered, publishProbesUntilSeen, sleep, until } from './support/pubsub-fault';
import type { PublishStats } from './support/pubsub-fault';

const PUBSUB = 'pubsub';
// Knobs for soak runs (the defaults are what the suite asserts in CI).
const SPLIT_COUNT = Number(process.env['PUBSUB_FAULT_MESSAGES'] ?? 10_000);
const AIO_COUNT = Number(process.env['PUBSUB_FAULT_AIO_MESSAGES'] ?? 2_000);
const KILLS = Number(process.env['PUBSUB_FAULT_KILLS'] ?? 2);
/** How long a killed process stays down before it is started again. */
const DOWN_MS = Number(process.env['PUBSUB_FAULT_DOWN_MS'] ?? 800);
/** Delay of the split-mode subscriber app's answers (more messages in flight at each kill). */
const APP_DELAY_MS = Number(process.env['PUBSUB_FAULT_APP_DELAY_MS'] ?? 0);
/** The points (shares of the run) where the kills come. */
const KILL_POINTS = Array.from({ length: KILLS }, (_, i) => (i + 1) / (KILLS + 1));
/** After the last publish, how long every message may take to arrive. */
const DELIVERY_WAIT_MS = 40_000;

const sqlite: Broker = { name: 'embedded (pubsub.sqlite)', component: () => undefined };
// processingTimeout / redeliverInterval low: entries a killed process had read come back in ~2-3 s.
const redis: Broker = {
  name: 'redis',
  port: 6379,
  component: (n) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${n}
spec:
  type: pubsub.redis
  version: v1
  metadata:
    - name: redisHost
      value: "localhost:6379"
    - name: processingTimeout
      value: "2s"
    - name: redeliverInterval
      value: "1s"
`,
};

interface Split {
  home: string;
  env: Record<string, string>;
  resources: string[];
  svc: PubSubSvc;
  sub: Runtime;
  pub: Runtime;
  app: CountingApp;
  appId: string;
  appPort: number;
}

const running: Array<{ stop(): Promise<void> }> = [];
const redisStreams: string[] = [];
/** Every process a test started (killed ones too), for the logs printed when it fails. */
const started: Array<{ readonly name: string; readonly proc: TesseraProcess }> = [];
const track = <T extends { proc: TesseraProcess }>(name: string, p: T): T => {
  started.push({ name, proc: p.proc });
  return p;
};

afterEach(async () => {
  started.length = 0;
  // Runtimes before the service (they hold its connections), the app last.
  for (const r of running.splice(0).reverse()) await r.stop().catch(() => undefined);
});

afterAll(async () => {
  if (redisStreams.length === 0) return;
  const r = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    await r.del(...redisStreams);
  } catch {
    // cleanup only
  } finally {
    r.disconnect();
  }
});

async function startSplit(broker: Broker, topic: string): Promise<Split> {
  const run = randomUUID().slice(0, 8);
  const component = broker.component(PUBSUB);
  const resources = component !== undefined ? [resourcesDir({ 'pubsub.yaml': component })] : [];
  if (component !== undefined) redisStreams.push(topic);
  const home = tempDir('tessera-psfault-');
  const env = { TESSERA_HOME: home };
  const app = new CountingApp(PUBSUB, topic);
  app.delayMs = APP_DELAY_MS;
  const appPort = await app.start(await freePort());
  running.push({ stop: () => app.close() });
  const split: Partial<Split> & Omit<Split, 'svc' | 'sub' | 'pub'> = { home, env, resources, app, appId: `sub-${run}`, appPort };
  split.svc = track('pubsub-svc', await startPubSubSvc({ resources, cwd: home }));
  running.push({ stop: async () => split.svc?.stop() });
  const svc = split.svc;
  const common = { resources, env, cwd: home, pubsubSvc: svc.address };
  split.sub = track('subscriber gateway', await startRuntime({ ...common, appId: split.appId, appPort }));
  running.push({ stop: async () => split.sub?.stop() });
  split.pub = track('publisher gateway', await startRuntime({ ...common, appId: `pub-${run}` }));
  running.push({ stop: async () => split.pub?.stop() });
  const pub = split.pub;
  await publishProbesUntilSeen(pub.http, PUBSUB, topic, app);
  // The same object the stop hooks read: restarts assign to it.
  return split as Split;
}

/** Waits for every message, prints the summary line, then asserts (so a failure shows the counts). */
async function settleAndReport(title: string, count: number, stats: PublishStats, app: CountingApp, since: number): Promise<void> {
  let waitError: unknown;
  try {
    await until(() => app.unique >= count, () => `${app.unique}/${count} delivered`, DELIVERY_WAIT_MS);
  } catch (e) {
    waitError = e;
  }
  const line = faultSummary(title, count, stats, app, Date.now() - since);
  console.log(line);
  const missing = app.missing(count);
  if (missing.length > 0 || stats.badShape.length > 0) {
    const logs = started.map(({ name, proc }) => `----- ${name} (pid ${proc.pid}, exit ${String(proc.exitCode)}) -----\n${proc.output.slice(-4000)}`);
    console.log(`${line}\nnot Dapr-shaped failures: ${JSON.stringify(stats.badShape)}\n${logs.join('\n')}`);
  }
  expect({ line, missing: missing.slice(0, 20), missingCount: missing.length, waitError: waitError === undefined ? undefined : String(waitError) }).toEqual({
    line,
    missing: [],
    missingCount: 0,
    waitError: undefined,
  });
}

for (const broker of [redis, sqlite]) {
  describeOnBroker(broker, `pub/sub faults in split mode on ${broker.name}`, () => {
    it(`${SPLIT_COUNT} messages while pubsub-svc is SIGKILLed ${KILLS}x and restarted: every acknowledged publish delivered`, async () => {
      const topic = `fault-svc-${randomUUID().slice(0, 8)}`;
      const t = await startSplit(broker, topic);
      const since = Date.now();
      const pub = publishNumbered({ http: t.pub.http, pubsub: PUBSUB, topic, count: SPLIT_COUNT });
      let finished = false;
      void pub.done.then(() => (finished = true), () => (finished = true));
      let kills = 0;
      for (const share of KILL_POINTS) {
        await until(() => finished || pub.stats.ok >= SPLIT_COUNT * share, () => `publishing stalled at ${pub.stats.ok}`, 60_000);
        if (finished) break;
        await t.svc.proc.kill();
        kills++;
        await sleep(DOWN_MS);
        t.svc = track('pubsub-svc (restarted)', await startPubSubSvc({ resources: t.resources, cwd: t.home, port: t.svc.port }));
      }
      const stats = await pub.done;
      await settleAndReport(`${broker.name}, pubsub-svc SIGKILL x${kills}`, SPLIT_COUNT, stats, t.app, since);
      expect(kills).toBe(KILLS);
      // The publisher's runtime stayed up: every failure is an answer in Dapr's error shape.
      expect(stats.badShape).toEqual([]);
      expect({ unanswered: stats.unanswered, timeouts: stats.timeouts }).toEqual({ unanswered: 0, timeouts: 0 });
      // The outage was seen by the publisher (so the test exercised it) and answered with Dapr's code.
      expect(stats.failed).toBeGreaterThan(0);
      for (const code of Object.keys(stats.codes)) expect(code).toMatch(/^5\d\d ERR_PUBSUB_/);
      expect(t.sub.proc.exitCode).toBeUndefined();
      expect(t.pub.proc.exitCode).toBeUndefined();
    }, 150_000);

    it(`${SPLIT_COUNT} messages while the subscriber's gateway is SIGKILLed ${KILLS}x and restarted: its in-flight messages redelivered`, async () => {
      const topic = `fault-gw-${randomUUID().slice(0, 8)}`;
      const t = await startSplit(broker, topic);
      const since = Date.now();
      const pub = publishNumbered({ http: t.pub.http, pubsub: PUBSUB, topic, count: SPLIT_COUNT });
      let kills = 0;
      for (const share of KILL_POINTS) {
        await until(() => t.app.unique >= SPLIT_COUNT * share, () => `delivery stalled at ${t.app.unique} (${pub.stats.ok} published)`, 60_000);
        await t.sub.proc.kill();
        kills++;
        await sleep(DOWN_MS);
        const again: RuntimeOptions = { resources: t.resources, env: t.env, cwd: t.home, pubsubSvc: t.svc.address, appId: t.appId, appPort: t.appPort };
        t.sub = track('subscriber gateway (restarted)', await startRuntime({ ...again, httpPort: t.sub.httpPort, grpcPort: t.sub.grpcPort }));
      }
      const stats = await pub.done;
      await settleAndReport(`${broker.name}, subscriber gateway SIGKILL x${kills}`, SPLIT_COUNT, stats, t.app, since);
      expect(kills).toBe(KILLS);
      // Nothing on the publishing side was touched: no publish may fail.
      expect({ failed: stats.failed, unanswered: stats.unanswered, timeouts: stats.timeouts, badShape: stats.badShape }).toEqual({ failed: 0, unanswered: 0, timeouts: 0, badShape: [] });
      expect(t.svc.proc.exitCode).toBeUndefined();
    }, 150_000);
  });
}

describe('pub/sub faults all-in-one on the embedded default', () => {
  /** The subscriber app and its all-in-one runtime in `home` (the data dir is `<home>/.tessera`). */
  async function startAio(topic: string, home: string): Promise<{ app: CountingApp; rt: { current: Runtime }; opts: RuntimeOptions }> {
    const app = new CountingApp(PUBSUB, topic);
    // Slow answers keep deliveries in flight (and a backlog in the file) when the kill comes.
    app.delayMs = 5;
    const appPort = await app.start(await freePort());
    running.push({ stop: () => app.close() });
    const opts: RuntimeOptions = { env: { TESSERA_HOME: home }, cwd: home, appId: `aio-${randomUUID().slice(0, 8)}`, appPort };
    const rt = { current: track('subscriber all-in-one', await startRuntime(opts)) };
    running.push({ stop: () => rt.current.stop() });
    return { app, rt, opts };
  }

  /** SIGKILLs the runtime once a quarter of the messages arrived; restarts it on its ports and folder. */
  async function killMidDelivery(app: CountingApp, rt: { current: Runtime }, opts: RuntimeOptions, stats: PublishStats): Promise<string> {
    await until(() => app.unique >= AIO_COUNT / 4, () => `delivery stalled at ${app.unique} (${stats.ok} published)`, 60_000);
    const at = `${stats.ok} published, ${app.unique} delivered`;
    await rt.current.proc.kill();
    await sleep(DOWN_MS);
    rt.current = track('subscriber all-in-one (restarted)', await startRuntime({ ...opts, httpPort: rt.current.httpPort, grpcPort: rt.current.grpcPort }));
    return at;
  }

  it(`${AIO_COUNT} messages to the app's own topic, the runtime SIGKILLed mid-delivery and restarted on its data dir: every message arrives`, async () => {
    const topic = `fault-aio-${randomUUID().slice(0, 8)}`;
    const { app, rt, opts } = await startAio(topic, tempDir('tessera-psfault-aio-'));
    await publishProbesUntilSeen(rt.current.http, PUBSUB, topic, app);
    const since = Date.now();
    const pub = publishNumbered({ http: rt.current.http, pubsub: PUBSUB, topic, count: AIO_COUNT });
    const at = await killMidDelivery(app, rt, opts, pub.stats);
    const stats = await pub.done;
    await settleAndReport(`embedded all-in-one, SIGKILL at ${at}`, AIO_COUNT, stats, app, since);
    // The runtime itself was down: unanswered calls are expected; every answered failure is Dapr's.
    expect(stats.badShape).toEqual([]);
    expect(stats.timeouts).toBe(0);
  }, 150_000);

  it(`${AIO_COUNT} messages from a second all-in-one on the same data dir, the subscriber's runtime SIGKILLed mid-delivery: every message arrives`, async () => {
    const topic = `fault-aio2-${randomUUID().slice(0, 8)}`;
    const home = tempDir('tessera-psfault-aio2-');
    const { app, rt, opts } = await startAio(topic, home);
    const publisher = track('publisher all-in-one', await startRuntime({ env: { TESSERA_HOME: home }, cwd: home, appId: `aiopub-${randomUUID().slice(0, 8)}` }));
    running.push(publisher);
    await publishProbesUntilSeen(publisher.http, PUBSUB, topic, app);
    const since = Date.now();
    const pub = publishNumbered({ http: publisher.http, pubsub: PUBSUB, topic, count: AIO_COUNT });
    const at = await killMidDelivery(app, rt, opts, pub.stats);
    const stats = await pub.done;
    await settleAndReport(`embedded, two all-in-ones on one file, subscriber SIGKILL at ${at}`, AIO_COUNT, stats, app, since);
    // The publisher's runtime was never touched: no publish may fail.
    expect({ failed: stats.failed, unanswered: stats.unanswered, timeouts: stats.timeouts }).toEqual({ failed: 0, unanswered: 0, timeouts: 0 });
  }, 150_000);
});
