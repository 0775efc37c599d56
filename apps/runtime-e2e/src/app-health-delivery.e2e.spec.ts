// App health gates delivery (spec http-api.md "App health"): with --enable-app-health-check, an
// app whose health endpoint answers 500 gets no pub/sub messages and no input-binding events. The
// broker keeps what is published meanwhile (nothing dead-lettered although the subscription has a
// dead-letter topic and the app would answer 500), and it all arrives once the app is healthy
// again; cron ticks stop and start again. All-in-one, and split (pubsub-svc + bindings-svc: the
// gateway pauses the same way over the internal transport). Embedded pubsub.sqlite, bindings.cron.
import { join } from 'node:path';
import { RecordingServer, bindingTypeSkipReason, bindingsSvcSkipReason, componentYaml, describeUnless, firstReason, sleep, startBindingsSvc, until } from './support/bindings';
import type { BindingsSvc, Recorded } from './support/bindings';
import { resourcesDir, startPubSubSvc, startRuntime, tempDir } from './support/processes';
import type { PubSubSvc, Runtime } from './support/processes';

const HEALTH_ARGS = ['--enable-app-health-check', '--app-health-probe-interval', '1', '--app-health-threshold', '1'];
const N = 5;

/** An HTTP app: `/healthz` and every delivery answer 500 while `healthy` is false. */
class SwitchableApp extends RecordingServer {
  healthy = true;
  constructor() {
    super();
    this.reply = (r: Recorded) => {
      if (r.url === '/healthz') return { status: this.healthy ? 200 : 500 };
      if (r.method === 'GET' && r.url === '/dapr/subscribe') {
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([
            { pubsubname: 'pubsub', topic: 'orders', route: '/orders', deadLetterTopic: 'orders-dead' },
            { pubsubname: 'pubsub', topic: 'orders-dead', route: '/dead' },
          ]),
        };
      }
      if (r.method === 'OPTIONS') return { status: r.url === '/ticker' ? 200 : 404 };
      return { status: this.healthy ? 200 : 500 };
    };
  }

  posts(path: string): Recorded[] {
    return this.requests.filter((r) => r.method === 'POST' && r.url === path);
  }

  /** The `n` of every order delivered (repeats included). */
  orders(): number[] {
    return this.posts('/orders').map((r) => (JSON.parse(r.body) as { data: { n: number } }).data.n);
  }
}

const modes = [
  { mode: 'all-in-one', skip: bindingTypeSkipReason('bindings.cron') },
  { mode: 'split', skip: firstReason(bindingTypeSkipReason('bindings.cron'), bindingsSvcSkipReason()) },
] as const;

for (const { mode, skip } of modes) {
  describeUnless(skip, `app health gates pub/sub and input bindings delivery (${mode})`, () => {
    const app = new SwitchableApp();
    let rt: Runtime;
    let pubsubSvc: PubSubSvc | undefined;
    let bindingsSvc: BindingsSvc | undefined;

    const appHealth = async (): Promise<string | undefined> => {
      const res = await fetch(`${rt.http}/v1.0/metadata`);
      const body = (await res.json()) as { appConnectionProperties?: { health?: { status?: string } } };
      return body.appConnectionProperties?.health?.status;
    };
    const publish = async (n: number): Promise<void> => {
      const res = await fetch(`${rt.http}/v1.0/publish/pubsub/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
      expect(res.status).toBe(204);
    };
    const switchTo = async (healthy: boolean): Promise<void> => {
      app.healthy = healthy;
      const want = healthy ? 'healthy' : 'unhealthy';
      await until(async () => (await appHealth()) === want, `the runtime to report the app ${want}`, 10_000);
    };

    beforeAll(async () => {
      const cwd = tempDir('tessera-app-health-');
      const appPort = await app.start();
      const pubsub = resourcesDir({
        'pubsub.yaml': componentYaml('pubsub', 'pubsub.sqlite', { connectionString: join(cwd, 'pubsub.db') }),
      });
      const cron = resourcesDir({ 'cron.yaml': componentYaml('ticker', 'bindings.cron', { schedule: '@every 1s' }) });
      const appId = `app-health-${mode}`;
      if (mode === 'split') {
        pubsubSvc = await startPubSubSvc({ resources: [pubsub], cwd });
        bindingsSvc = await startBindingsSvc({ resources: [cron], cwd });
        rt = await startRuntime({ appId, appPort, cwd, pubsubSvc: pubsubSvc.address, extraArgs: [...HEALTH_ARGS, '--bindings-svc-address', bindingsSvc.address] });
      } else {
        rt = await startRuntime({ appId, appPort, cwd, resources: [pubsub, cron], extraArgs: HEALTH_ARGS });
      }
      await until(async () => (await appHealth()) === 'healthy', 'the app healthy', 10_000);
      // subscribed once a message published now is delivered (a consumer group starts with what is
      // published after its first subscribe)
      const end = Date.now() + 15_000;
      while (!app.orders().includes(0)) {
        if (Date.now() > end) throw new Error(`the app was never subscribed:\n${rt.proc.output}`);
        await publish(0);
        await sleep(500);
      }
    });

    afterAll(async () => {
      await rt?.stop();
      await Promise.all([pubsubSvc?.stop(), bindingsSvc?.stop()]);
      await app.close();
    });

    it('pub/sub: nothing is delivered or dead-lettered while the app is unhealthy; all of it arrives once it is healthy', async () => {
      await sleep(1000); // warm-up repeats still on their way
      await switchTo(false);
      const before = app.posts('/orders').length;
      for (let n = 1; n <= N; n++) await publish(n);
      await sleep(3000); // three probe intervals
      expect(app.posts('/orders').length).toBe(before);
      expect(app.posts('/dead')).toEqual([]);

      await switchTo(true);
      const want = Array.from({ length: N }, (_, i) => i + 1);
      await until(() => want.every((n) => app.orders().includes(n)), `orders 1..${N} after the app is healthy`, 15_000);
      await sleep(1000);
      expect(app.posts('/dead')).toEqual([]);
      expect(rt.proc.output).toContain('app is unhealthy: pausing 2 subscriptions and 1 input binding');
      expect(rt.proc.output).toContain('app is healthy: resuming 2 subscriptions and 1 input binding');
    });

    it('input binding: cron ticks stop while the app is unhealthy and come again once it is healthy', async () => {
      const ticks = (): number => app.posts('/ticker').length;
      await until(() => ticks() >= 1, 'a tick while healthy');
      await switchTo(false);
      await sleep(500); // a tick already on its way to the app
      const during = ticks();
      await sleep(3000);
      expect(ticks()).toBe(during);

      await switchTo(true);
      await until(() => ticks() > during, 'a tick after the app is healthy', 10_000);
      expect(rt.proc.exitCode).toBeUndefined();
    });
  });
}
