// The runtime's own APIs (spec/http-api.md 0, 11-13; grpc-api.md 0-1): metadata (HTTP and the SDK
// over both protocols), health, the API token on HTTP and gRPC, and shutdown over HTTP and gRPC.
// All-in-one on in-memory and SQLite-file stores: nothing here needs an external backend.
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import type { DaprClient } from '@dapr/dapr';
import { resourcesDir, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';
import { sqliteStateYaml } from './support/components';
import { GrpcCode, ok, sdkClient } from './support/sdk';
import type { Protocol } from './support/sdk';

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const PROTOCOLS: Protocol[] = ['HTTP', 'gRPC'];

const memActorYaml = (name: string): string => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: state.in-memory
  version: v1
  metadata:
    - name: actorStateStore
      value: "true"
`;

function resources(): string {
  const dir = tempDir('tessera-api-db-');
  return resourcesDir({
    'a-memstore.yaml': memActorYaml('memstore'),
    'b-sqlitestore.yaml': sqliteStateYaml('sqlitestore', join(dir, 'state.db')),
  });
}

interface Component {
  name: string;
  type: string;
  version: string;
  capabilities: string[];
}

const byName = (cs: Component[]): Component[] =>
  [...cs].map((c) => ({ ...c, capabilities: [...c.capabilities].sort() })).sort((a, b) => a.name.localeCompare(b.name));

const EXPECTED_COMPONENTS: Component[] = [
  { name: 'memstore', type: 'state.in-memory', version: 'v1', capabilities: ['ACTOR', 'ETAG', 'QUERY_API', 'TRANSACTIONAL', 'TTL'] },
  { name: 'sqlitestore', type: 'state.sqlite', version: 'v1', capabilities: ['ETAG', 'QUERY_API', 'TRANSACTIONAL', 'TTL'] },
];

/** One raw unary call on dapr.proto.runtime.v1.Dapr with an empty request (GetMetadata, Shutdown). */
function rawGrpc(port: number, method: string, md: Record<string, string> = {}): Promise<{ code: number; details: string }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(md)) metadata.set(k, v);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/dapr.proto.runtime.v1.Dapr/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      metadata,
      { deadline: Date.now() + 5000 },
      (err) => {
        client.close();
        resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
      },
    );
  });
}

describe('runtime API: metadata and health', () => {
  const appId = `api-${RUN}`;
  let rt: Runtime;
  const clients: DaprClient[] = [];

  beforeAll(async () => {
    rt = await startRuntime({ appId, resources: [resources()] });
  });

  afterAll(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await rt?.stop();
  });

  const client = (p: Protocol): DaprClient => {
    const c = sdkClient(p, rt);
    clients.push(c);
    return c;
  };

  it('GET /v1.0/metadata lists the app id, the components with capabilities and daprRuntimeVersion', async () => {
    const res = await fetch(`${rt.http}/v1.0/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown> & { components: Component[]; extended: Record<string, string> };
    expect(body['id']).toBe(appId);
    expect(body['runtimeVersion']).toEqual(expect.any(String));
    expect(byName(body.components)).toEqual(EXPECTED_COMPONENTS);
    expect(body.extended['daprRuntimeVersion']).toEqual(expect.any(String));
    for (const k of ['enabledFeatures', 'actors', 'subscriptions', 'httpEndpoints']) expect(body[k]).toEqual(expect.any(Array));
  });

  it('PUT /v1.0/metadata/{key} stores the raw body under extended', async () => {
    const put = await fetch(`${rt.http}/v1.0/metadata/e2eKey`, { method: 'PUT', body: 'hello world', headers: { 'content-type': 'text/plain' } });
    expect(put.status).toBe(204);
    const put2 = await fetch(`${rt.http}/v1.0/metadata/e2eJson`, { method: 'PUT', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(put2.status).toBe(204);
    const body = (await (await fetch(`${rt.http}/v1.0/metadata`)).json()) as { extended: Record<string, string> };
    expect(body.extended).toEqual(expect.objectContaining({ e2eKey: 'hello world', e2eJson: '{"a":1}' }));
  });

  it.each(PROTOCOLS)('the SDK (%s) reads metadata: id, components with capabilities, extended', async (p) => {
    const c = client(p);
    const m = (await c.metadata.get()) as unknown as { id: string; components: Component[]; extended: Record<string, string> };
    expect(m.id).toBe(appId);
    expect(byName(m.components)).toEqual(EXPECTED_COMPONENTS);
    expect(m.extended['daprRuntimeVersion']).toEqual(expect.any(String));
  });

  it.each(PROTOCOLS)('the SDK (%s) sets metadata; HTTP GET shows it under extended', async (p) => {
    const key = `sdk${p}`;
    expect(await client(p).metadata.set(key, `set over ${p}`)).toBe(true);
    const body = (await (await fetch(`${rt.http}/v1.0/metadata`)).json()) as { extended: Record<string, string> };
    expect(body.extended[key]).toBe(`set over ${p}`);
  });

  it('/v1.0/healthz and /v1.0/healthz/outbound answer 204 with no body', async () => {
    for (const path of ['/v1.0/healthz', '/v1.0/healthz/outbound', `/v1.0/healthz?appid=${appId}`]) {
      const res = await fetch(`${rt.http}${path}`);
      expect({ path, status: res.status, body: await res.text() }).toEqual({ path, status: 204, body: '' });
    }
  });

  it('/v1.0/healthz?appid=<other> -> 500 ERR_HEALTH_APPID_NOT_MATCH', async () => {
    const res = await fetch(`${rt.http}/v1.0/healthz?appid=someone-else`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { errorCode: string }).errorCode).toBe('ERR_HEALTH_APPID_NOT_MATCH');
  });
});

describe('runtime API: DAPR_API_TOKEN', () => {
  const TOKEN = `tok-${RUN}`;
  let rt: Runtime;
  const clients: DaprClient[] = [];

  beforeAll(async () => {
    rt = await startRuntime({ appId: `api-token-${RUN}`, resources: [resources()], env: { DAPR_API_TOKEN: TOKEN } });
  });

  afterAll(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await rt?.stop();
  });

  it.each([
    ['GET', '/v1.0/metadata'],
    ['PUT', '/v1.0/metadata/k'],
    ['GET', '/v1.0/state/memstore/k'],
    ['POST', '/v1.0/state/memstore'],
    ['GET', '/v1.0/nothing/here'],
    ['POST', '/v1.0/shutdown'],
  ])('%s %s without a token -> 401 plain text "invalid api token"', async (method, path) => {
    const res = await fetch(`${rt.http}${path}`, { method, body: method === 'GET' ? undefined : '[]' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('invalid api token');
  });

  it('a wrong token -> 401 "invalid api token"', async () => {
    const res = await fetch(`${rt.http}/v1.0/metadata`, { headers: { 'dapr-api-token': `${TOKEN}x` } });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('invalid api token');
  });

  it('with the token: metadata 200 and a state round trip', async () => {
    const headers = { 'dapr-api-token': TOKEN, 'content-type': 'application/json' };
    expect((await fetch(`${rt.http}/v1.0/metadata`, { headers })).status).toBe(200);
    const save = await fetch(`${rt.http}/v1.0/state/memstore`, { method: 'POST', headers, body: JSON.stringify([{ key: 'tk', value: { t: 1 } }]) });
    expect(save.status).toBe(204);
    const get = await fetch(`${rt.http}/v1.0/state/memstore/tk`, { headers });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ t: 1 });
  });

  it('health endpoints are exempt from the token', async () => {
    for (const path of ['/v1.0/healthz', '/v1.0/healthz/outbound']) {
      expect((await fetch(`${rt.http}${path}`)).status).toBe(204);
    }
  });

  it('gRPC without the token (or with a wrong one) -> UNAUTHENTICATED; with it -> OK', async () => {
    expect((await rawGrpc(rt.grpcPort, 'GetMetadata')).code).toBe(GrpcCode.Unauthenticated);
    expect((await rawGrpc(rt.grpcPort, 'GetMetadata', { 'dapr-api-token': 'nope' })).code).toBe(GrpcCode.Unauthenticated);
    expect((await rawGrpc(rt.grpcPort, 'GetMetadata', { 'dapr-api-token': TOKEN })).code).toBe(grpc.status.OK);
  });

  it.each(PROTOCOLS)('the SDK (%s) with daprApiToken works: metadata, save, get', async (p) => {
    const c = sdkClient(p, rt, TOKEN);
    clients.push(c);
    const m = (await c.metadata.get()) as unknown as { id: string };
    expect(m.id).toBe(`api-token-${RUN}`);
    await ok(c.state.save('memstore', [{ key: `sdk-${p}`, value: { p } }]));
    expect(await c.state.get('memstore', `sdk-${p}`)).toEqual({ p });
  });
});

describe('runtime API: shutdown', () => {
  it('POST /v1.0/shutdown -> 204, then the process exits with code 0', async () => {
    const rt = await startRuntime({ appId: `api-shutdown-${RUN}`, resources: [resources()] });
    try {
      const res = await fetch(`${rt.http}/v1.0/shutdown`, { method: 'POST' });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(await rt.proc.waitExit(10_000)).toBe(0);
    } finally {
      await rt.proc.kill();
    }
  });

  it('POST /v1.0/shutdown with dapr-force-shutdown: true -> 204, then the process exits with code 1', async () => {
    const rt = await startRuntime({ appId: `api-force-${RUN}`, resources: [resources()] });
    try {
      const res = await fetch(`${rt.http}/v1.0/shutdown`, { method: 'POST', headers: { 'dapr-force-shutdown': 'true' } });
      expect(res.status).toBe(204);
      expect(await rt.proc.waitExit(10_000)).toBe(1);
    } finally {
      await rt.proc.kill();
    }
  });

  it.each(PROTOCOLS)('the SDK (%s) client.sidecar.shutdown() stops the runtime with exit code 0', async (p) => {
    const rt = await startRuntime({ appId: `api-sdk-shutdown-${p}-${RUN}`.toLowerCase(), resources: [resources()] });
    const c = sdkClient(p, rt);
    try {
      await c.sidecar.shutdown();
      expect(await rt.proc.waitExit(10_000)).toBe(0);
    } finally {
      await c.stop().catch(() => undefined);
      await rt.proc.kill();
    }
  });
});
