// Declarative subscriptions and inbound resiliency on pub/sub, and pub/sub between the apps of
// one `tessera run -f`: Subscription resources dapr.io/v2alpha1 (CEL rules + default) and
// dapr.io/v1alpha1 (route), scopes (a subscription scoped to another app is not created), the
// metadata API listing them as DECLARATIVE, and a Resiliency policy on the component's inbound
// direction retrying a failing app before the message is acknowledged.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { freePort, resourcesDir, startCli, startRuntime, tempDir } from './support/processes';
import type { Runtime, TesseraProcess } from './support/processes';

const APP_ID = 'decl-app';

async function until(cond: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('declarative subscriptions and inbound resiliency', () => {
  let rt: Runtime;
  let app: Server;
  const calls: Array<{ path: string; data: unknown }> = [];
  let flakyFailures = 2;

  beforeAll(async () => {
    const data = tempDir();
    const resources = resourcesDir({
      'pubsub.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: "${join(data, 'pubsub.db')}"
`,
      'subscriptions.yaml': `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders
spec:
  pubsubname: pubsub
  topic: orders
  routes:
    rules:
      - match: event.data.priority > 5
        path: /urgent
    default: /normal
scopes:
  - ${APP_ID}
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata:
  name: legacy
spec:
  pubsubname: pubsub
  topic: legacy
  route: /legacy
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: flaky
spec:
  pubsubname: pubsub
  topic: flaky
  routes:
    default: /flaky
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: someone-else
spec:
  pubsubname: pubsub
  topic: hidden
  routes:
    default: /hidden
scopes:
  - another-app
`,
      'resiliency.yaml': `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: pubsub-inbound
spec:
  policies:
    retries:
      threeTimes:
        policy: constant
        duration: 50ms
        maxRetries: 3
  targets:
    components:
      pubsub:
        inbound:
          retry: threeTimes
`,
    });
    const appPort = await freePort();
    app = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const path = (req.url ?? '').replace(/^\//, '');
        if (path === 'dapr/subscribe') {
          res.statusCode = 404;
          res.end();
          return;
        }
        calls.push({ path, data: (JSON.parse(body) as { data: unknown }).data });
        if (path === 'flaky' && flakyFailures > 0) {
          flakyFailures--;
          res.statusCode = 503;
          res.end();
          return;
        }
        res.end();
      });
    });
    await new Promise<void>((r) => app.listen(appPort, '127.0.0.1', r));
    rt = await startRuntime({ appId: APP_ID, appPort, resources: [resources], cwd: data });
  });

  afterAll(async () => {
    await rt?.stop();
    await new Promise<void>((r) => app.close(() => r()));
  });

  const publish = async (topic: string, data: unknown): Promise<void> => {
    const r = await fetch(`${rt.http}/v1.0/publish/pubsub/${topic}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
    expect(r.status).toBe(204);
  };
  const on = (path: string) => calls.filter((c) => c.path === path);

  it('lists the declarative subscriptions scoped to this app', async () => {
    let subs: Array<{ topic: string; type: string; rules: Array<{ match: string; path: string }> }> = [];
    for (let i = 0; i < 100 && subs.length < 3; i++) {
      subs = ((await (await fetch(`${rt.http}/v1.0/metadata`)).json()) as { subscriptions: typeof subs }).subscriptions;
      if (subs.length < 3) await new Promise((r) => setTimeout(r, 50));
    }
    expect(subs.map((s) => [s.topic, s.type]).sort()).toEqual([
      ['flaky', 'DECLARATIVE'],
      ['legacy', 'DECLARATIVE'],
      ['orders', 'DECLARATIVE'],
    ]);
    expect(subs.find((s) => s.topic === 'orders')?.rules).toEqual([
      { match: 'event.data.priority > 5', path: '/urgent' },
      { match: '', path: '/normal' },
    ]);
  });

  it('routes by the v2alpha1 rules and the v1alpha1 route; the subscription scoped elsewhere gets nothing', async () => {
    await publish('orders', { priority: 9 });
    await publish('orders', { priority: 1 });
    await publish('legacy', { old: true });
    await publish('hidden', { secret: true });
    await until(() => on('urgent').length + on('normal').length + on('legacy').length === 3, () => JSON.stringify(calls));
    expect(on('urgent').map((c) => c.data)).toEqual([{ priority: 9 }]);
    expect(on('normal').map((c) => c.data)).toEqual([{ priority: 1 }]);
    expect(on('legacy').map((c) => c.data)).toEqual([{ old: true }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(on('hidden')).toEqual([]);
  });

  it('retries a failing app as the inbound Resiliency policy says, then acknowledges', async () => {
    await publish('flaky', { n: 1 });
    await until(() => on('flaky').length >= 3, () => `three attempts, got ${on('flaky').length}`);
    await new Promise((r) => setTimeout(r, 1500)); // past the component's redeliverInterval (1 s)
    expect(on('flaky')).toHaveLength(3);
  });
});

const SUBSCRIBER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    if (req.url === '/dapr/subscribe') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify([{ pubsubname: 'pubsub', topic: 'greetings', route: '/greetings' }]));
      return;
    }
    console.log('received ' + JSON.parse(body).data.text + ' from ' + JSON.parse(body).source);
    res.end();
  });
});
server.listen(Number(process.env.APP_PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const IDLE = `setInterval(() => undefined, 1000); process.on('SIGTERM', () => process.exit(0));`;

describe('pub/sub between the apps of one tessera run -f', () => {
  let run: TesseraProcess | undefined;
  afterAll(async () => {
    await run?.stop();
  });

  it('an app publishes through its gateway, the other app of the run receives (shared pubsub block)', async () => {
    const dir = tempDir('tessera-runfile-');
    const env = { TESSERA_HOME: tempDir('tessera-home-') };
    const port = await freePort();
    for (const [name, code] of [['publisher', IDLE], ['subscriber', SUBSCRIBER]] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'app.js'), code);
    }
    mkdirSync(join(dir, 'components'));
    writeFileSync(
      join(dir, 'components', 'pubsub.yaml'),
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
  metadata: []
`,
    );
    writeFileSync(
      join(dir, 'dapr.yaml'),
      `version: 1
common:
  resourcesPath: ./components
apps:
  - appID: publisher
    appDirPath: ./publisher
    command: [${JSON.stringify(process.execPath)}, "app.js"]
  - appID: subscriber
    appDirPath: ./subscriber
    appPort: ${port}
    command: [${JSON.stringify(process.execPath)}, "app.js"]
`,
    );
    run = startCli(['run', '-f', join(dir, 'dapr.yaml')], { env });
    const proc = run;
    await until(() => /publisher.*(listening|HTTP API)/s.test(proc.output) && proc.output.includes('app subscribed to pubsub/greetings'), () => proc.output, 30_000);
    const m = /== TESSERA - publisher ==.*?Dapr HTTP API listening on [\d.]+:(\d+)/s.exec(proc.output);
    expect(m).not.toBeNull();
    const httpPort = Number(m?.[1]);
    const r = await fetch(`http://127.0.0.1:${httpPort}/v1.0/publish/pubsub/greetings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    });
    expect(r.status).toBe(204);
    await until(() => proc.stdout.includes('== APP - subscriber == received hello from publisher'), () => proc.output);
  });
});
