// Split mode under faults: a gateway whose configuration-svc is killed (SIGKILL) and started
// again. An HTTP-API subscription is the gateway's: it subscribes again by itself and its app keeps
// receiving updates under the id it was given, and that id still unsubscribes. A gRPC-API
// subscriber's stream, which the SDK owns, ends with UNAVAILABLE so the client can subscribe again.
import * as grpc from '@grpc/grpc-js';
import { DaprClient as RawDaprClient } from '@tessera/contracts';
import type { SubscribeConfigurationResponse } from '@tessera/contracts';
import { redisSkipReason } from '@tessera/testing';
import { RecordingApp, eventually, redisConfigYaml, redisWriter, sleep, startConfigurationSvc } from './support/configuration';
import type { ConfigWriter, ConfigurationSvc } from './support/configuration';
import { resourcesDir, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(`SKIPPED: configuration split-mode faults (need configuration.redis): ${skip}`);
const describeRedis = skip === undefined ? describe : describe.skip;

describeRedis('configuration split mode: configuration-svc killed and restarted', () => {
  const STORE = 'configstore';
  const run = `split_${Date.now().toString(36)}`;
  const cwd = tempDir('tessera-cfg-split-');
  const resources = resourcesDir({ 'c.yaml': redisConfigYaml(STORE) });
  const app = new RecordingApp();
  let svc: ConfigurationSvc;
  let rt: Runtime;
  let writer: ConfigWriter;

  beforeAll(async () => {
    writer = redisWriter();
    svc = await startConfigurationSvc({ resources: [resources], cwd });
    rt = await startRuntime({ appId: 'cfg-split', appPort: await app.start(), cwd, extraArgs: ['--configuration-svc-address', svc.address] });
  });

  afterAll(async () => {
    await rt?.stop();
    await svc?.stop();
    await app.close();
    for (const k of [`${run}_http`, `${run}_grpc`]) await writer.del(k).catch(() => undefined);
    await writer?.close();
  });

  it('an HTTP subscription resumes under the same id; a gRPC stream ends with UNAVAILABLE', async () => {
    const key = `${run}_http`;
    const res = await fetch(`${rt.http}/v1.0/configuration/${STORE}/subscribe?key=${key}`);
    const { id } = (await res.json()) as { id: string };

    const raw = new RawDaprClient(`127.0.0.1:${rt.grpcPort}`, grpc.credentials.createInsecure());
    const stream = raw.subscribeConfiguration({ storeName: STORE, keys: [`${run}_grpc`], metadata: {} });
    const got: SubscribeConfigurationResponse[] = [];
    let streamError: grpc.ServiceError | undefined;
    stream.on('data', (m: SubscribeConfigurationResponse) => got.push(m));
    stream.on('error', (e: grpc.ServiceError) => (streamError = e));
    await eventually(() => got.length === 1, 'the gRPC subscription id');

    await writer.set(key, 'before', '1');
    await eventually(() => app.postsFor(STORE, key).length === 1, 'the update before the kill');

    await svc.proc.kill(); // SIGKILL: no goodbye on the wire
    await eventually(() => streamError !== undefined, 'the gRPC stream to fail');
    expect(streamError?.code).toBe(grpc.status.UNAVAILABLE);
    expect(streamError?.details).toMatch(/configuration-svc at 127\.0\.0\.1:\d+ is unreachable/);
    raw.close();

    svc = await startConfigurationSvc({ resources: [resources], cwd, port: svc.port });
    // the gateway subscribes again with backoff; keep writing until a change gets through
    let n = 1;
    await eventually(async () => {
      await writer.set(key, `after-${++n}`, String(n));
      await sleep(200);
      return app.postsFor(STORE, key).some((p) => String(p.body.items[key]?.['value']).startsWith('after-'));
    }, 'an update after the restart', 20_000);
    expect(app.postsFor(STORE, key).every((p) => p.body.id === id)).toBe(true);

    const un = await fetch(`${rt.http}/v1.0/configuration/${STORE}/${id}/unsubscribe`);
    expect([un.status, await un.json()]).toEqual([200, { ok: true }]);
    await sleep(300);
    const count = app.postsFor(STORE, key).length;
    await writer.set(key, 'unheard', '99');
    await sleep(500);
    expect(app.postsFor(STORE, key).length).toBe(count);
  }, 60_000);

  it('graceful restart: streams end with a retryable error at once, not after the grace period', async () => {
    const key = `${run}_http`;
    const res = await fetch(`${rt.http}/v1.0/configuration/${STORE}/subscribe?key=${key}`);
    const { id } = (await res.json()) as { id: string };
    const started = Date.now();
    await svc.stop(); // SIGTERM
    expect(Date.now() - started).toBeLessThan(4000);
    svc = await startConfigurationSvc({ resources: [resources], cwd, port: svc.port });
    const before = app.postsFor(STORE, key).length;
    let n = 100;
    await eventually(async () => {
      await writer.set(key, `graceful-${++n}`, String(n));
      await sleep(200);
      return app.postsFor(STORE, key).length > before;
    }, 'an update after the graceful restart', 20_000);
    expect(app.postsFor(STORE, key).at(-1)?.body.id).toBe(id);
  }, 60_000);
});
