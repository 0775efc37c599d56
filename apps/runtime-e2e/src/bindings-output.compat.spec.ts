// Compatibility: output bindings driven by the official Dapr JS SDK (@dapr/dapr 3.x),
// `DaprClient.binding.send` over HTTP and gRPC, against real backends: bindings.redis (the value
// lands in Redis as daprd writes it: HTTP `data` re-marshalled as Go does, gRPC bytes as sent),
// bindings.http (a local server sees the request; status and headers come back as metadata) and
// bindings.postgresql (exec with params, query as JSON row arrays). Bad input answers Dapr's
// errors: malformed JSON body (400 ERR_MALFORMED_REQUEST), unknown binding and unknown operation
// (500 ERR_INVOKE_OUTPUT_BINDING / gRPC INTERNAL). All-in-one, and split (gateway + bindings-svc)
// once bindings-svc is in the build.
import { randomUUID } from 'node:crypto';
import type { DaprClient } from '@dapr/dapr';
import { Client as PgClient } from 'pg';
import { Redis } from 'ioredis';
import { postgresSkipReason, redisSkipReason, testPostgresUrl, testRedisUrl } from '@tessera/testing';
import { RecordingServer, bindingTypeSkipReason, bindingsSvcSkipReason, componentYaml, describeUnless, firstReason, startBindingsSvc } from './support/bindings';
import type { BindingsSvc } from './support/bindings';
import { resourcesDir, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';
import { GrpcCode, sdkClient, sdkError } from './support/sdk';
import type { Protocol } from './support/sdk';

const RUN = randomUUID().slice(0, 8);
const TABLE = `tessera_bind_${RUN}`;
const redisUrl = new URL(testRedisUrl());

const reasons = {
  base: firstReason(redisSkipReason(), postgresSkipReason(), bindingTypeSkipReason('bindings.redis'), bindingTypeSkipReason('bindings.http'), bindingTypeSkipReason('bindings.postgresql')),
};

const MODES = [
  { mode: 'all-in-one' as const, skip: reasons.base },
  { mode: 'split' as const, skip: firstReason(reasons.base, bindingsSvcSkipReason()) },
];

for (const { mode, skip } of MODES) {
  describeUnless(skip, `SDK output bindings (${mode})`, () => {
    const web = new RecordingServer();
    const keys: string[] = [];
    let redis: Redis;
    let pg: PgClient;
    let svc: BindingsSvc | undefined;
    let rt: Runtime;
    const clients: Partial<Record<Protocol, DaprClient>> = {};

    beforeAll(async () => {
      redis = new Redis(testRedisUrl());
      pg = new PgClient({ connectionString: testPostgresUrl() });
      await pg.connect();
      const webPort = await web.start();
      const resources = resourcesDir({
        'redis.yaml': componentYaml('redisout', 'bindings.redis', { redisHost: `${redisUrl.hostname}:${redisUrl.port || '6379'}` }),
        'http.yaml': componentYaml('httpout', 'bindings.http', { url: `http://127.0.0.1:${webPort}/base` }),
        'pg.yaml': componentYaml('pgout', 'bindings.postgresql', { connectionString: testPostgresUrl() }),
      });
      const cwd = tempDir('tessera-bind-out-');
      if (mode === 'split') {
        svc = await startBindingsSvc({ resources: [resources], cwd });
        rt = await startRuntime({ appId: `bind-out-${mode}`, cwd, extraArgs: ['--bindings-svc-address', svc.address] });
      } else {
        rt = await startRuntime({ appId: `bind-out-${mode}`, cwd, resources: [resources] });
      }
      clients.HTTP = sdkClient('HTTP', rt);
      clients.gRPC = sdkClient('gRPC', rt);
    });

    afterAll(async () => {
      await clients.HTTP?.stop().catch(() => undefined);
      await clients.gRPC?.stop().catch(() => undefined);
      await rt?.stop();
      await svc?.stop();
      await web.close();
      if (keys.length > 0) await redis?.del(...keys).catch(() => undefined);
      redis?.disconnect();
      await pg?.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
      await pg?.end().catch(() => undefined);
    });

    const key = (name: string): string => {
      const k = `tessera-bind-${RUN}-${mode}-${name}`;
      keys.push(k);
      return k;
    };

    describe.each(['HTTP', 'gRPC'] as const)('%s', (protocol) => {
      const client = (): DaprClient => clients[protocol] as DaprClient;

      it('bindings.redis create / get / delete', async () => {
        const k = key(`obj-${protocol}`);
        await client().binding.send('redisout', 'create', { b: 1, a: '<x>' }, { key: k });
        // HTTP: daprd re-marshals `data` (Go: sorted keys, HTML escaped); gRPC: the SDK's bytes as they are
        expect(await redis.get(k)).toBe(protocol === 'HTTP' ? '{"a":"\\u003cx\\u003e","b":1}' : '{"b":1,"a":"<x>"}');
        const got = await client().binding.send('redisout', 'get', undefined, { key: k });
        if (protocol === 'HTTP') expect(got).toEqual({ a: '<x>', b: 1 });
        else expect(JSON.parse(Buffer.from((got as { data: Uint8Array }).data).toString())).toEqual({ b: 1, a: '<x>' });
        await client().binding.send('redisout', 'delete', undefined, { key: k });
        expect(await redis.exists(k)).toBe(0);
      });

      it('bindings.redis: a JSON string keeps its quotes over HTTP; ttlInSeconds sets an expiry', async () => {
        const k = key(`str-${protocol}`);
        await client().binding.send('redisout', 'create', 'hello', { key: k, ttlInSeconds: '100' });
        expect(await redis.get(k)).toBe(protocol === 'HTTP' ? '"hello"' : 'hello');
        const ttl = await redis.ttl(k);
        expect(ttl).toBeGreaterThan(90);
        expect(ttl).toBeLessThanOrEqual(100);
      });

      it('bindings.http: the request reaches the server; status and headers come back', async () => {
        web.reply = () => ({ status: 201, body: '{"made":true}', headers: { 'content-type': 'application/json', 'x-made-by': 'web' } });
        const before = web.requests.length;
        const res = await client().binding.send('httpout', 'post', { hello: protocol }, { path: `/things/${protocol}`, 'X-Trace-Me': 'yes' });
        const req = web.requests[before];
        expect(req?.method).toBe('POST');
        expect(req?.url).toBe(`/base/things/${protocol}`);
        expect(JSON.parse(req?.body ?? '')).toEqual({ hello: protocol });
        expect(req?.headers['x-trace-me']).toBe('yes');
        expect(req?.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
        if (protocol === 'HTTP') {
          expect(res).toEqual({ made: true });
        } else {
          const r = res as { data: Uint8Array; metadata: Record<string, string> };
          expect(JSON.parse(Buffer.from(r.data).toString())).toEqual({ made: true });
          expect(r.metadata['statusCode']).toBe('201');
          expect(r.metadata['X-Made-By'] ?? r.metadata['x-made-by']).toBe('web');
        }
      });

      it('bindings.postgresql exec with params, then query', async () => {
        await client().binding.send('pgout', 'exec', undefined, { sql: `CREATE TABLE IF NOT EXISTS ${TABLE} (id int, who text)` });
        await client().binding.send('pgout', 'exec', undefined, { sql: `INSERT INTO ${TABLE} (id, who) VALUES ($1, $2)`, params: JSON.stringify([protocol === 'HTTP' ? 1 : 2, protocol]) });
        const res = await client().binding.send('pgout', 'query', undefined, { sql: `SELECT id, who FROM ${TABLE} WHERE who = $1`, params: JSON.stringify([protocol]) });
        const rows = protocol === 'HTTP' ? res : JSON.parse(Buffer.from((res as { data: Uint8Array }).data).toString());
        expect(rows).toEqual([[protocol === 'HTTP' ? 1 : 2, protocol]]);
      });

      it('unknown binding: 500 ERR_INVOKE_OUTPUT_BINDING / INTERNAL', async () => {
        const e = await sdkError(protocol, () => client().binding.send('nope', 'create', { a: 1 }));
        if (protocol === 'HTTP') expect([e.status, e.errorCode]).toEqual([500, 'ERR_INVOKE_OUTPUT_BINDING']);
        else expect(e.grpcCode).toBe(GrpcCode.Internal);
        expect(e.message).toBe("error invoking output binding nope: couldn't find output binding nope");
      });

      it('unknown operation: 500 ERR_INVOKE_OUTPUT_BINDING / INTERNAL naming the supported ones', async () => {
        const e = await sdkError(protocol, () => client().binding.send('redisout', 'explode', 'x', { key: key('never') }));
        if (protocol === 'HTTP') expect([e.status, e.errorCode]).toEqual([500, 'ERR_INVOKE_OUTPUT_BINDING']);
        else expect(e.grpcCode).toBe(GrpcCode.Internal);
        expect(e.message).toMatch(/^error invoking output binding redisout: binding redisout does not support operation explode\. supported operations:/);
      });

      it('a component failure: 500 ERR_INVOKE_OUTPUT_BINDING / INTERNAL with the component message', async () => {
        const e = await sdkError(protocol, () => client().binding.send('pgout', 'exec', undefined, { sql: 'SELECT * FROM no_such_table_here' }));
        if (protocol === 'HTTP') expect([e.status, e.errorCode]).toEqual([500, 'ERR_INVOKE_OUTPUT_BINDING']);
        else expect(e.grpcCode).toBe(GrpcCode.Internal);
        expect(e.message).toMatch(/^error invoking output binding pgout: .*no_such_table_here/);
      });
    });

    describe('plain HTTP', () => {
      const post = async (path: string, body: string | undefined, method = 'POST') => {
        const r = await fetch(`${rt.http}${path}`, { method, body, headers: { 'content-type': 'application/json' } });
        const text = await r.text();
        return { status: r.status, text, headers: r.headers };
      };

      it('PUT works like POST; no result answers 204; results answer 200 with metadata.* headers', async () => {
        const k = key('put');
        const put = await post('/v1.0/bindings/redisout', JSON.stringify({ operation: 'create', data: 5, metadata: { key: k } }), 'PUT');
        expect([put.status, put.text]).toEqual([204, '']);
        expect(await redis.get(k)).toBe('5');
        const q = await post('/v1.0/bindings/pgout', JSON.stringify({ operation: 'query', metadata: { sql: 'SELECT 1 AS one' } }));
        expect([q.status, q.text]).toEqual([200, '[[1]]']);
        expect(q.headers.get('content-type')).toMatch(/^application\/json/);
        expect(q.headers.get('metadata.operation')).toBe('query');
        expect(q.headers.get('metadata.sql')).toBe('SELECT 1 AS one');
      });

      it.each([
        ['not JSON', '{"operation":'],
        ['an array', '[]'],
        ['metadata values not strings', '{"operation":"create","metadata":{"key":1}}'],
        ['an empty body', undefined],
      ])('malformed body (%s): 400 ERR_MALFORMED_REQUEST', async (_what, body) => {
        const r = await post('/v1.0/bindings/redisout', body);
        expect(r.status).toBe(400);
        const err = JSON.parse(r.text) as { errorCode: string; message: string };
        expect(err.errorCode).toBe('ERR_MALFORMED_REQUEST');
        expect(err.message).toMatch(/^failed deserializing HTTP body: /);
      });

      it('a missing operation: 500 ERR_INVOKE_OUTPUT_BINDING', async () => {
        const r = await post('/v1.0/bindings/redisout', '{"data":1}');
        expect([r.status, JSON.parse(r.text)]).toEqual([500, { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: 'error invoking output binding redisout: operation field is missing from request' }]);
      });

      it('the metadata API lists the bindings with their capabilities', async () => {
        const md = (await (await fetch(`${rt.http}/v1.0/metadata`)).json()) as { components: Array<{ name: string; type: string; capabilities?: string[] }> };
        const byName = Object.fromEntries(md.components.map((c) => [c.name, c]));
        expect(byName['redisout']).toMatchObject({ type: 'bindings.redis', capabilities: ['OUTPUT_BINDING'] });
        expect(byName['pgout']).toMatchObject({ type: 'bindings.postgresql' });
      });
    });
  });
}
