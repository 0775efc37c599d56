// Compatibility: input bindings delivered to apps built with the official Dapr JS SDK
// (`DaprServer.binding.receive`) over HTTP (OPTIONS discovery, POST /{name}) and gRPC
// (ListInputBindings, OnBindingEvent): bindings.cron ticks, bindings.rabbitmq and bindings.mqtt3
// messages sent through the same components as output bindings (`DaprClient.binding.send`), and an
// app that fails an event getting it again (RabbitMQ: requeued after the runtime's nack; MQTT: the
// component's backOffMaxRetries, the message being unacknowledged until then). A raw
// HTTP app checks the delivery itself (path, body, Content-Type, metadata headers) and that its
// answer is honoured (state saved, `to` bindings invoked). All-in-one, and split (gateway +
// bindings-svc, including a bindings-svc killed and restarted) once bindings-svc is in the build.
import { randomUUID } from 'node:crypto';
import type { DaprClient, DaprServer } from '@dapr/dapr';
import { redisSkipReason, tcpSkipReason, testRedisUrl } from '@tessera/testing';
import {
  RecordingServer,
  bindingTypeSkipReason,
  bindingsSvcSkipReason,
  componentYaml,
  describeUnless,
  firstReason,
  inputApp,
  sleep,
  startBindingsSvc,
  until,
} from './support/bindings';
import type { BindingsSvc, InputInbox } from './support/bindings';
import { freePort, resourcesDir, startRuntime, tempDir, waitHttp } from './support/processes';
import type { Runtime } from './support/processes';
import { sdkClient } from './support/sdk';

const RUN = randomUUID().slice(0, 8);
const redisUrl = new URL(testRedisUrl());
const REDIS_HOST = `${redisUrl.hostname}:${redisUrl.port || '6379'}`;

type Mode = 'all-in-one' | 'split';
type Protocol = 'HTTP' | 'gRPC';

interface Broker {
  readonly type: string;
  /** Binding names are lower case: the SDK's gRPC server lower-cases what it lists. */
  readonly name: string;
  readonly skip: string | undefined;
  yaml(mode: Mode, protocol: Protocol): string;
}

const cronSkip = bindingTypeSkipReason('bindings.cron');
const BROKERS: readonly Broker[] = [
  {
    type: 'bindings.rabbitmq',
    name: 'rabbit',
    skip: firstReason(bindingTypeSkipReason('bindings.rabbitmq'), tcpSkipReason('RabbitMQ', '127.0.0.1', 5672)),
    yaml: (mode, protocol) =>
      componentYaml('rabbit', 'bindings.rabbitmq', {
        host: 'amqp://guest:guest@127.0.0.1:5672',
        queueName: `tessera-bind-${RUN}-${mode}-${protocol}`,
        deleteWhenUnused: 'true',
        direction: 'input, output',
      }),
  },
  {
    type: 'bindings.mqtt3',
    name: 'mqtt',
    skip: firstReason(bindingTypeSkipReason('bindings.mqtt3'), tcpSkipReason('Mosquitto', '127.0.0.1', 1883)),
    yaml: (mode, protocol) =>
      componentYaml('mqtt', 'bindings.mqtt3', {
        url: 'tcp://127.0.0.1:1883',
        topic: `tessera/bind/${RUN}/${mode}/${protocol}`,
        consumerID: `tessera-${RUN}-${mode}-${protocol}`,
        // a failed event is handed to the handler again this many times (MQTT has no nack)
        backOffMaxRetries: '3',
        direction: 'input, output',
      }),
  },
];

interface Setup {
  rt: Runtime;
  svc?: BindingsSvc;
  server: DaprServer;
  inbox: InputInbox;
  client: DaprClient;
}

/** Runtime (+ bindings-svc in split mode) and a DaprServer app taking `names`. */
async function setUp(mode: Mode, protocol: Protocol, resources: string, names: readonly string[]): Promise<Setup> {
  const cwd = tempDir('tessera-bind-in-');
  const appPort = await freePort();
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  let svc: BindingsSvc | undefined;
  const common = { appId: `bind-in-${mode}-${protocol.toLowerCase()}`, appPort, appProtocol: protocol === 'gRPC' ? 'grpc' : 'http', httpPort, grpcPort, cwd, noWait: true };
  let rtP: Promise<Runtime>;
  if (mode === 'split') {
    svc = await startBindingsSvc({ resources: [resources], cwd });
    rtP = startRuntime({ ...common, extraArgs: ['--bindings-svc-address', svc.address] });
  } else {
    rtP = startRuntime({ ...common, resources: [resources] });
  }
  const { server, inbox } = await inputApp(protocol, appPort, { httpPort, grpcPort }, names);
  const rt = await rtP;
  await server.start();
  await waitHttp(rt.proc, `${rt.http}/v1.0/healthz`, 20_000, (s) => s === 204);
  return { rt, svc, server, inbox, client: sdkClient(protocol, rt) };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  if (!s) return;
  await s.client.stop().catch(() => undefined);
  await s.rt.stop();
  await s.svc?.stop();
  await s.server.stop().catch(() => undefined);
}

const MODES: ReadonlyArray<{ mode: Mode; skip: string | undefined }> = [
  { mode: 'all-in-one', skip: undefined },
  { mode: 'split', skip: bindingsSvcSkipReason() },
];

for (const { mode, skip } of MODES) {
  for (const protocol of ['HTTP', 'gRPC'] as const) {
    describeUnless(firstReason(skip, cronSkip), `SDK input bindings: bindings.cron to a ${protocol} app (${mode})`, () => {
      let s: Setup | undefined;
      beforeAll(async () => {
        const resources = resourcesDir({
          'cron.yaml': componentYaml('ticker', 'bindings.cron', { schedule: '@every 1s' }),
          // the app does not take this one: never read, never posted
          'cron2.yaml': componentYaml('ignored', 'bindings.cron', { schedule: '@every 1s' }),
        });
        s = await setUp(mode, protocol, resources, ['ticker']);
      });
      afterAll(() => tearDown(s));

      it('the app receives a tick about every second', async () => {
        const inbox = (s as Setup).inbox;
        await until(() => inbox.of('ticker').length >= 2, 'two cron ticks', 15_000);
        // the runtime read only what the app asked for
        const out = (s as Setup).rt.proc.output;
        expect(out).toMatch(/input binding ticker: delivering to the app/);
        expect(out).not.toMatch(/input binding ignored: delivering/);
      });
    });

    for (const broker of BROKERS) {
      describeUnless(firstReason(skip, broker.skip), `SDK input bindings: ${broker.type} to a ${protocol} app (${mode})`, () => {
        let s: Setup | undefined;
        beforeAll(async () => {
          s = await setUp(mode, protocol, resourcesDir({ 'b.yaml': broker.yaml(mode, protocol) }), [broker.name]);
          // the consumer is set up once the gateway reads: give it a moment before publishing
          await sleep(500);
        });
        afterAll(() => tearDown(s));

        it('messages sent through the output side reach the app', async () => {
          const { client, inbox } = s as Setup;
          for (let i = 1; i <= 3; i++) await client.binding.send(broker.name, 'create', { n: i, via: protocol });
          await until(() => inbox.of(broker.name).length >= 3, `three ${broker.type} messages`);
          expect(inbox.of(broker.name).slice(0, 3)).toEqual([1, 2, 3].map((n) => ({ n, via: protocol })));
        });

        it('an event the app fails comes back (redelivered) until the app takes it', async () => {
          const { client, inbox } = s as Setup;
          let failures = 0;
          inbox.onEvent = (_b, data) => {
            if ((data as { fail?: boolean }).fail === true && failures < 1) {
              failures++;
              throw new Error('not now');
            }
          };
          const before = inbox.of(broker.name).length;
          await client.binding.send(broker.name, 'create', { fail: true, id: RUN });
          await until(() => inbox.of(broker.name).length >= before + 2, 'the failed event again', 30_000);
          expect(failures).toBe(1);
          expect(inbox.of(broker.name).slice(before, before + 2)).toEqual([
            { fail: true, id: RUN },
            { fail: true, id: RUN },
          ]);
          inbox.onEvent = () => undefined;
        });
      });
    }
  }
}

describeUnless(firstReason(cronSkip, redisSkipReason(), bindingTypeSkipReason('bindings.http')), 'input bindings to a raw HTTP app: delivery shape and the app answer honoured (all-in-one)', () => {
  const app = new RecordingServer();
  const sink = new RecordingServer();
  let rt: Runtime;
  const stateKey = `tessera-bind-${RUN}-answer`;

  beforeAll(async () => {
    const sinkPort = await sink.start();
    let answered = false;
    app.reply = (r) => {
      if (r.method === 'OPTIONS') return { status: r.url === '/ticks' ? 200 : 404 };
      if (r.method === 'POST' && r.url === '/ticks' && !answered) {
        answered = true;
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ storeName: 'statestore', state: [{ key: stateKey, value: { saved: 'by the app' } }], to: ['sink'], data: { from: 'app' }, concurrency: 'parallel' }),
        };
      }
      return { status: 200 };
    };
    const appPort = await app.start();
    const resources = resourcesDir({
      'cron.yaml': componentYaml('ticker', 'bindings.cron', { schedule: '@every 1s', route: '/ticks' }),
      'other.yaml': componentYaml('unwanted', 'bindings.cron', { schedule: '@every 1s' }),
      'sink.yaml': componentYaml('sink', 'bindings.http', { url: `http://127.0.0.1:${sinkPort}/sink` }),
      'state.yaml': componentYaml('statestore', 'state.redis', { redisHost: REDIS_HOST }),
    });
    rt = await startRuntime({ appId: 'bind-raw', appPort, resources: [resources], cwd: tempDir('tessera-bind-raw-') });
  });

  afterAll(async () => {
    await rt?.stop();
    await app.close();
    await sink.close();
  });

  it('probes OPTIONS /{route} for each input binding; only the taken one is posted to', async () => {
    await until(() => app.requests.filter((r) => r.method === 'POST').length >= 2, 'two posts');
    const options = app.requests.filter((r) => r.method === 'OPTIONS').map((r) => r.url).sort();
    expect(options).toEqual(['/ticks', '/unwanted']);
    expect(new Set(app.requests.filter((r) => r.method === 'POST').map((r) => r.url))).toEqual(new Set(['/ticks']));
  });

  it('POST carries the raw (empty) body, application/json and the event metadata as headers', async () => {
    const post = app.requests.find((r) => r.method === 'POST');
    expect(post?.body).toBe('');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.headers['timezone']).toBeDefined();
    expect(Date.parse(String(post?.headers['readtimeutc']))).not.toBeNaN();
  });

  it("the app's answer: state saved for the app, data sent to the `to` binding", async () => {
    await until(() => sink.requests.length >= 1, 'the output binding call');
    expect(sink.requests[0]).toMatchObject({ method: 'POST', url: '/sink', body: '{"from":"app"}' });
    const r = await fetch(`${rt.http}/v1.0/state/statestore/${stateKey}`);
    expect([r.status, await r.json()]).toEqual([200, { saved: 'by the app' }]);
    await fetch(`${rt.http}/v1.0/state/statestore/${stateKey}`, { method: 'DELETE' });
  });
});

describeUnless(firstReason(bindingsSvcSkipReason(), cronSkip), 'split mode: bindings-svc killed and restarted', () => {
  const app = new RecordingServer();
  let svc: BindingsSvc;
  let rt: Runtime;
  let resources: string;
  const cwd = tempDir('tessera-bind-restart-');

  beforeAll(async () => {
    app.reply = (r) => ({ status: r.method === 'OPTIONS' && r.url !== '/ticker' ? 404 : 200 });
    const appPort = await app.start();
    resources = resourcesDir({ 'cron.yaml': componentYaml('ticker', 'bindings.cron', { schedule: '@every 1s' }) });
    svc = await startBindingsSvc({ resources: [resources], cwd });
    rt = await startRuntime({ appId: 'bind-restart', appPort, cwd, extraArgs: ['--bindings-svc-address', svc.address] });
  });

  afterAll(async () => {
    await rt?.stop();
    await svc?.stop();
    await app.close();
  });

  it('ticks stop while bindings-svc is gone and resume when it is back, without restarting the gateway', async () => {
    const posts = () => app.requests.filter((r) => r.method === 'POST').length;
    await until(() => posts() >= 1, 'a tick before the kill');
    await svc.proc.kill();
    await sleep(1500);
    const during = posts();
    await sleep(2000);
    expect(posts()).toBe(during);
    svc = await startBindingsSvc({ resources: [resources], cwd, port: svc.port });
    await until(() => posts() > during, 'a tick after the restart', 20_000);
    expect(rt.proc.exitCode).toBeUndefined();
  });
});
