// Bad input on the Dapr HTTP API (spec/http-api.md 0 and 2, errors.md): malformed or mistyped
// bodies, oversized bodies, odd percent-encoded keys, illegal keys, unknown stores and routes,
// routes of unbuilt blocks. Each case asserts the exact status and Dapr error shape, and after
// each the process must still serve. Plain fetch against an all-in-one runtime started with
// --max-body-size 1Ki, on the embedded SQLite default and on Redis.
import { redisSkipReason } from '@tessera/testing';
import { redisStateYaml } from './support/components';
import { resourcesDir, startRuntime } from './support/processes';
import type { Runtime } from './support/processes';

const STORE = 'statestore';
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const NO_APP_ID = 'failed getting app id either from the URL path or the header dapr-app-id';

interface Backend {
  name: string;
  redis: boolean;
  skip?: string;
}

const redisSkip = redisSkipReason();
const backends: Backend[] = [{ name: 'embedded sqlite default', redis: false }, redisSkip === undefined ? { name: 'state.redis', redis: true } : { name: 'state.redis', redis: true, skip: redisSkip }];
const skipped = backends.filter((b) => b.skip !== undefined);
for (const b of skipped) console.warn(`SKIPPED http-bad-input on ${b.name}: ${b.skip}`);
if (skipped.length > 0) {
  describe.skip.each(skipped)('HTTP bad input on $name — SKIPPED: $skip', () => {
    it('needs its backend', () => undefined);
  });
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  json?: { errorCode?: string; message?: string; details?: Array<Record<string, unknown>> };
}

describe.each(backends.filter((b) => b.skip === undefined))('HTTP bad input on $name', ({ redis }) => {
  let rt: Runtime;
  const key = (name: string): string => `${RUN}-${name}`;

  const call = async (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Answer> => {
    const res = await fetch(`${rt.http}${path}`, { method, body, headers });
    const text = await res.text();
    let json: Answer['json'];
    try {
      json = JSON.parse(text) as Answer['json'];
    } catch {
      json = undefined;
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
  };

  /** Dapr's JSON error: status, JSON content type, {errorCode, message}. */
  const expectDaprError = (a: Answer, status: number, errorCode: string, message?: string | RegExp): void => {
    expect({ status: a.status, errorCode: a.json?.errorCode }).toEqual({ status, errorCode });
    expect(a.contentType).toMatch(/^application\/json/);
    expect(a.json?.message).toEqual(expect.any(String));
    if (message !== undefined) expect(a.json?.message).toMatch(message);
  };

  const reasons = (a: Answer): string[] =>
    (a.json?.details ?? []).filter((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo').map((d) => String(d['reason']));

  beforeAll(async () => {
    rt = await startRuntime({
      appId: `bad-input-${redis ? 'redis' : 'sqlite'}`,
      resources: redis ? [resourcesDir({ 'statestore.yaml': redisStateYaml(STORE) })] : [],
      extraArgs: ['--max-body-size', '1Ki'],
    });
  });

  afterAll(async () => {
    await rt?.stop();
  });

  afterEach(async () => {
    // Whatever the previous request did, the process is alive and serving.
    expect(rt.proc.exitCode).toBeUndefined();
    const res = await fetch(`${rt.http}/v1.0/metadata`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  describe('save bodies', () => {
    it('malformed JSON -> 400 ERR_MALFORMED_REQUEST', async () => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}`, '[{"key":'), 400, 'ERR_MALFORMED_REQUEST');
    });

    it('an empty body -> 400 ERR_MALFORMED_REQUEST', async () => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}`, ''), 400, 'ERR_MALFORMED_REQUEST');
    });

    it('an object instead of an array -> 400 ERR_MALFORMED_REQUEST', async () => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}`, JSON.stringify({ key: key('obj'), value: 1 })), 400, 'ERR_MALFORMED_REQUEST');
    });

    const WT = `${RUN}-wrong-type`;
    it.each([
      ['key is a number', [{ key: 1, value: 1 }]],
      ['key is an object', [{ key: { a: 1 }, value: 1 }]],
      ['metadata value is a number', [{ key: WT, value: 1, metadata: { ttlInSeconds: 5 } }]],
      ['metadata value is a boolean', [{ key: WT, value: 1, metadata: { contentType: true } }]],
      ['metadata is an array', [{ key: WT, value: 1, metadata: ['ttlInSeconds'] }]],
      ['etag is a number', [{ key: WT, value: 1, etag: 5 }]],
      ['options is a string', [{ key: WT, value: 1, options: 'first-write' }]],
      ['an item is not an object', ['k']],
    ])('wrong type: %s -> 400 ERR_MALFORMED_REQUEST, nothing saved', async (_name, body) => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}`, JSON.stringify(body)), 400, 'ERR_MALFORMED_REQUEST');
      expect((await call('GET', `/v1.0/state/${STORE}/${WT}`)).status).toBe(204);
    });

    it('missing key -> 400 ERR_MALFORMED_REQUEST "key" is a required field', async () => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}`, '[{"value":1}]'), 400, 'ERR_MALFORMED_REQUEST', '"key" is a required field');
    });

    it('empty key -> 400 ERR_MALFORMED_REQUEST "key" is a required field', async () => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}`, '[{"key":"","value":1}]'), 400, 'ERR_MALFORMED_REQUEST', '"key" is a required field');
    });

    it('empty array -> 204, no-op', async () => {
      const a = await call('POST', `/v1.0/state/${STORE}`, '[]');
      expect(a.status).toBe(204);
      expect(a.text).toBe('');
    });

    it('any content type is read as JSON, as daprd does', async () => {
      const k = key('text-plain');
      const a = await call('POST', `/v1.0/state/${STORE}`, JSON.stringify([{ key: k, value: { ok: 1 } }]), { 'content-type': 'text/plain' });
      expect(a.status).toBe(204);
      expect((await call('GET', `/v1.0/state/${STORE}/${k}`)).json).toEqual({ ok: 1 });
    });

    it('invalid UTF-8 bytes inside a JSON string are replaced by U+FFFD (Go decoder behaviour), not a crash', async () => {
      const k = key('bad-utf8-value');
      const body = Buffer.concat([Buffer.from(`[{"key":"${k}","value":"a`), Buffer.from([0xff, 0xfe]), Buffer.from('b"}]')]);
      expect((await call('POST', `/v1.0/state/${STORE}`, body)).status).toBe(204);
      const back = await call('GET', `/v1.0/state/${STORE}/${k}`);
      expect(back.status).toBe(200);
      expect(back.json).toBe('a\ufffd\ufffdb');
    });

    it('a body over --max-body-size (1Ki) -> 413 with Dapr\'s JSON error shape', async () => {
      const k = key('huge');
      const a = await call('POST', `/v1.0/state/${STORE}`, JSON.stringify([{ key: k, value: 'x'.repeat(4096) }]));
      expectDaprError(a, 413, 'ERR_BODY_READ');
      expect(Object.keys(a.json ?? {}).sort()).toEqual(['errorCode', 'message']);
      expect((await call('GET', `/v1.0/state/${STORE}/${k}`)).status).toBe(204);
    });

    it('a body just under --max-body-size is accepted', async () => {
      const k = key('fits');
      const a = await call('POST', `/v1.0/state/${STORE}`, JSON.stringify([{ key: k, value: 'x'.repeat(900) }]));
      expect(a.status).toBe(204);
    });
  });

  describe('bulk get and transaction bodies', () => {
    it.each([
      ['keys is a string', { keys: 'a' }],
      ['keys holds a number', { keys: ['a', 1] }],
      ['parallelism is a string', { keys: ['a'], parallelism: 'ten' }],
      ['metadata value is a number', { keys: ['a'], metadata: { x: 1 } }],
    ])('bulk: %s -> 400 ERR_MALFORMED_REQUEST', async (_name, body) => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}/bulk`, JSON.stringify(body)), 400, 'ERR_MALFORMED_REQUEST');
    });

    it('bulk: malformed JSON -> 400 ERR_MALFORMED_REQUEST', async () => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}/bulk`, '{"keys":['), 400, 'ERR_MALFORMED_REQUEST');
    });

    it('bulk: keys [] -> 200 []', async () => {
      const a = await call('POST', `/v1.0/state/${STORE}/bulk`, '{"keys":[]}');
      expect(a.status).toBe(200);
      expect(a.json).toEqual([]);
    });

    it.each([
      ['operations is an object', { operations: { operation: 'upsert' } }],
      ['request missing', { operations: [{ operation: 'upsert' }] }],
      ['request key is a number', { operations: [{ operation: 'upsert', request: { key: 5, value: 1 } }] }],
      ['request etag is a number', { operations: [{ operation: 'upsert', request: { key: 'k', value: 1, etag: 3 } }] }],
      ['metadata value is a number', { operations: [], metadata: { partitionKey: 1 } }],
    ])('transaction: %s -> 400 ERR_MALFORMED_REQUEST', async (_name, body) => {
      expectDaprError(await call('POST', `/v1.0/state/${STORE}/transaction`, JSON.stringify(body)), 400, 'ERR_MALFORMED_REQUEST');
    });

    it('transaction: unknown operation -> 400 ERR_NOT_SUPPORTED_STATE_OPERATION', async () => {
      const body = { operations: [{ operation: 'merge', request: { key: key('tx'), value: 1 } }] };
      expectDaprError(await call('POST', `/v1.0/state/${STORE}/transaction`, JSON.stringify(body)), 400, 'ERR_NOT_SUPPORTED_STATE_OPERATION');
    });

    it('transaction: empty operations -> 204', async () => {
      expect((await call('POST', `/v1.0/state/${STORE}/transaction`, '{"operations":[]}')).status).toBe(204);
    });
  });

  describe('keys in the URL', () => {
    it('a unicode key round-trips (JSON body write, percent-encoded URL read and delete)', async () => {
      const k = `${key('unicode')}-✓-日本-🙂`;
      expect((await call('POST', `/v1.0/state/${STORE}`, JSON.stringify([{ key: k, value: { u: 1 } }]))).status).toBe(204);
      const got = await call('GET', `/v1.0/state/${STORE}/${encodeURIComponent(k)}`);
      expect({ status: got.status, json: got.json }).toEqual({ status: 200, json: { u: 1 } });
      expect((await call('DELETE', `/v1.0/state/${STORE}/${encodeURIComponent(k)}`)).status).toBe(204);
      expect((await call('GET', `/v1.0/state/${STORE}/${encodeURIComponent(k)}`)).status).toBe(204);
    });

    it('a key with an encoded slash, space and percent round-trips', async () => {
      const k = `${key('odd')}/a b%c`;
      expect((await call('POST', `/v1.0/state/${STORE}`, JSON.stringify([{ key: k, value: 2 }]))).status).toBe(204);
      const got = await call('GET', `/v1.0/state/${STORE}/${encodeURIComponent(k)}`);
      expect({ status: got.status, json: got.json }).toEqual({ status: 200, json: 2 });
    });

    it('%00 in a key is a valid escape: GET -> 204 not found, DELETE -> 204', async () => {
      expect((await call('GET', `/v1.0/state/${STORE}/${key('nul')}%00x`)).status).toBe(204);
      expect((await call('DELETE', `/v1.0/state/${STORE}/${key('nul')}%00x`)).status).toBe(204);
    });

    it('%FF (a valid escape, invalid UTF-8) in a key: GET -> 204 not found, as daprd (Go decodes it to byte 0xFF)', async () => {
      const a = await call('GET', `/v1.0/state/${STORE}/${key('ff')}%FF`);
      expect({ status: a.status, body: a.text }).toEqual({ status: 204, body: '' });
    });

    it('a bad escape (%zz) -> 400 plain text, as daprd (spec/http-api.md 0)', async () => {
      const a = await call('GET', `/v1.0/state/${STORE}/${key('zz')}%zz`);
      expect(a.status).toBe(400);
      expect(a.contentType).toMatch(/^text\/plain/);
    });

    it('a key containing || (URL) -> 400 ERR_MALFORMED_REQUEST, reason DAPR_STATE_ILLEGAL_KEY, on get and delete', async () => {
      for (const method of ['GET', 'DELETE']) {
        const a = await call(method, `/v1.0/state/${STORE}/a%7C%7Cb`);
        expectDaprError(a, 400, 'ERR_MALFORMED_REQUEST', "input key/keyPrefix 'a||b' can't contain '||'");
        expect(reasons(a)).toEqual(['DAPR_STATE_ILLEGAL_KEY']);
      }
    });

    it('a key containing || (save, bulk, transaction bodies) -> 400 ERR_MALFORMED_REQUEST, reason DAPR_STATE_ILLEGAL_KEY', async () => {
      const cases: Array<[string, unknown]> = [
        [`/v1.0/state/${STORE}`, [{ key: 'x||y', value: 1 }]],
        [`/v1.0/state/${STORE}/bulk`, { keys: ['x||y'] }],
        [`/v1.0/state/${STORE}/transaction`, { operations: [{ operation: 'upsert', request: { key: 'x||y', value: 1 } }] }],
      ];
      for (const [path, body] of cases) {
        const a = await call('POST', path, JSON.stringify(body));
        expectDaprError(a, 400, 'ERR_MALFORMED_REQUEST', "input key/keyPrefix 'x||y' can't contain '||'");
        expect(reasons(a)).toEqual(['DAPR_STATE_ILLEGAL_KEY']);
      }
    });
  });

  describe('stores and routes', () => {
    it.each([
      ['GET', '/v1.0/state/no-such-store/k', undefined],
      ['DELETE', '/v1.0/state/no-such-store/k', undefined],
      ['POST', '/v1.0/state/no-such-store', '[{"key":"k","value":1}]'],
      ['POST', '/v1.0/state/no-such-store/bulk', '{"keys":["k"]}'],
      ['POST', '/v1.0/state/no-such-store/transaction', '{"operations":[{"operation":"delete","request":{"key":"k"}}]}'],
      ['POST', '/v1.0-alpha1/state/no-such-store/query', '{"filter":{}}'],
    ])('unknown store: %s %s -> 400 ERR_STATE_STORE_NOT_FOUND (rich)', async (method, path, body) => {
      const a = await call(method, path, body);
      expectDaprError(a, 400, 'ERR_STATE_STORE_NOT_FOUND', 'state store no-such-store is not found');
      expect(reasons(a)).toEqual(['DAPR_STATE_NOT_FOUND']);
    });

    it.each([
      ['GET', '/v1.0/nothing/here'],
      ['GET', '/'],
      ['POST', '/v2.0/state/statestore'],
      ['PATCH', `/v1.0/state/${STORE}`],
      ['GET', '/v1.0/invoke/'],
    ])('unknown route or method: %s %s -> 404 ERR_DIRECT_INVOKE', async (method, path) => {
      expectDaprError(await call(method, path, method === 'GET' ? undefined : '{}'), 404, 'ERR_DIRECT_INVOKE', NO_APP_ID);
    });

    it.each([
      ['POST', '/v1.0-alpha1/crypto/store/encrypt'],
      ['POST', '/v1.0-alpha1/jobs/job1'],
      ['GET', '/v1.0-beta1/workflows/dapr/wf-1'],
      ['GET', '/v1.0/actors/t/id/state/k'],
    ])('route of an unbuilt block: %s %s -> 501 ERR_API_UNIMPLEMENTED', async (method, path) => {
      expectDaprError(await call(method, path, method === 'GET' ? undefined : '{}'), 501, 'ERR_API_UNIMPLEMENTED');
    });
  });
});
