// bindings.redis against the real Redis on loopback (skipped loudly when unreachable).
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import { Redis } from 'ioredis';
import type { Binding, BindingInvokeResponse, ComponentMetadata } from '@tessera/spi';
import { redisSkipReason, testRedisUrl } from '@tessera/testing';
import { createRedisBinding } from './redis-binding';

const url = new URL(testRedisUrl());
const skipReason = redisSkipReason();
if (skipReason) console.warn(`bindings.redis suite skipped: ${skipReason}`);

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'rb', type: 'bindings.redis', version: 'v1', appId: 'app', properties };
}

const connection = (host = `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`): Record<string, string> => ({
  redisHost: host,
  ...(url.username ? { redisUsername: decodeURIComponent(url.username) } : {}),
  ...(url.password ? { redisPassword: decodeURIComponent(url.password) } : {}),
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

function invoke(b: Binding, operation: string, metadata: Record<string, string>, data = ''): Promise<BindingInvokeResponse | undefined> {
  if (!b.invoke) throw new Error('not an output binding');
  return b.invoke({ operation, data: enc(data), metadata });
}

(skipReason === undefined ? describe : describe.skip)(`bindings.redis against Redis${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const run = randomUUID();
  const key = (k: string): string => `tessera-binding-${run}-${k}`;
  let b: Binding;
  let raw: Redis;

  beforeAll(async () => {
    b = createRedisBinding(meta(connection()));
    await b.init();
    raw = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    const keys = await raw.keys(`tessera-binding-${run}-*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await b.close();
  });

  it('is output only with create, get, delete, increment', () => {
    expect(b.operations?.()).toEqual(['create', 'get', 'delete', 'increment']);
    expect(b.read).toBeUndefined();
  });

  it('create stores the data bytes verbatim; get returns them raw', async () => {
    expect(await invoke(b, 'create', { key: key('a') }, '{"hello":"world"}')).toBeUndefined();
    expect(await raw.get(key('a'))).toBe('{"hello":"world"}');
    expect(await raw.ttl(key('a'))).toBe(-1);
    expect(dec((await invoke(b, 'get', { key: key('a') }))?.data)).toBe('{"hello":"world"}');
    await invoke(b, 'create', { key: key('s') }, '"hi"');
    expect(await raw.get(key('s'))).toBe('"hi"');
    const bytes = Uint8Array.from([0, 255, 1, 128]);
    await b.invoke?.({ operation: 'create', data: bytes, metadata: { key: key('bin') } });
    expect((await invoke(b, 'get', { key: key('bin') }))?.data).toEqual(bytes);
  });

  it('create with ttlInSeconds sets the expiry', async () => {
    await invoke(b, 'create', { key: key('ttl'), ttlInSeconds: '100' }, '1');
    const ttl = await raw.ttl(key('ttl'));
    expect(ttl).toBeGreaterThan(95);
    expect(ttl).toBeLessThanOrEqual(100);
    await expect(invoke(b, 'create', { key: key('ttl'), ttlInSeconds: 'soon' }, '1')).rejects.toMatchObject({ errorKind: 'bad-request' });
  });

  it('get with delete: "true" is GETDEL; a missing key answers no data', async () => {
    await raw.set(key('gd'), 'once');
    expect(dec((await invoke(b, 'get', { key: key('gd'), delete: 'true' }))?.data)).toBe('once');
    expect(await raw.exists(key('gd'))).toBe(0);
    expect(await invoke(b, 'get', { key: key('gd') })).toBeUndefined();
  });

  it('delete removes the key; increment counts up', async () => {
    await raw.set(key('d'), 'x');
    expect(await invoke(b, 'delete', { key: key('d') })).toBeUndefined();
    expect(await raw.exists(key('d'))).toBe(0);
    expect(await invoke(b, 'increment', { key: key('n') })).toBeUndefined();
    await invoke(b, 'increment', { key: key('n') });
    expect(await raw.get(key('n'))).toBe('2');
    await raw.set(key('txt'), 'abc');
    await expect(invoke(b, 'increment', { key: key('txt') })).rejects.toMatchObject({ errorKind: 'backend', message: expect.stringContaining('not an integer') });
  });

  it('refuses unknown operations and a missing key with BindingError(bad-request)', async () => {
    await expect(invoke(b, 'list', { key: key('x') })).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'bad-request' });
    await expect(invoke(b, 'get', {})).rejects.toMatchObject({ errorKind: 'bad-request', message: expect.stringContaining('missing key') });
  });

  it('reports an unreachable server as BindingError(backend), at init and mid-flight', async () => {
    await expect(createRedisBinding(meta({ ...connection('127.0.0.1:1'), dialTimeout: '500ms', redisMaxRetries: '0' })).init()).rejects.toMatchObject({
      errorKind: 'backend',
      message: expect.stringContaining('127.0.0.1:1'),
    });
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(url.port || 6379), url.hostname || '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    const p = createRedisBinding(meta({ ...connection(`127.0.0.1:${port}`), redisMaxRetries: '1', readTimeout: '300ms' }));
    await p.init();
    await invoke(p, 'create', { key: key('via-proxy') }, '1');
    await new Promise<void>((r) => {
      proxy.close(() => r());
      for (const s of sockets) s.destroy();
    });
    await expect(invoke(p, 'get', { key: key('via-proxy') })).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'backend' });
    await p.close();
  });

  it('refuses bad connection metadata and answers closed after close()', async () => {
    await expect(createRedisBinding(meta({})).init()).rejects.toMatchObject({ kind: 'tessera.component-config', field: 'redisHost' });
    const c = createRedisBinding(meta(connection()));
    await c.init();
    await c.close();
    await expect(invoke(c, 'get', { key: key('a') })).rejects.toMatchObject({ errorKind: 'closed' });
  });
});
