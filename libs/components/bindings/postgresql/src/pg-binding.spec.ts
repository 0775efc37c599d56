// bindings.postgresql against the real PostgreSQL on loopback (skipped loudly when unreachable),
// plus the pure metadata and JSON/time formatting.
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import type { Binding, BindingInvokeResponse, ComponentMetadata } from '@tessera/spi';
import { postgresSkipReason, testPostgresUrl } from '@tessera/testing';
import { createPostgresBinding } from './pg-binding';
import { formatGoDuration, parsePostgresBindingMetadata, parseParams, rfc3339, rowsToJson } from './pg-binding-metadata';

function meta(properties: Record<string, string>): ComponentMetadata {
  return { name: 'pgb', type: 'bindings.postgresql', version: 'v1', appId: 'app', properties };
}

const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

describe('bindings.postgresql units', () => {
  it('reads connectionString, timeout and maxConns', () => {
    const s = parsePostgresBindingMetadata(meta({ connectionString: 'host=db user=u port=5433 database=d', timeout: '5s', maxConns: '3' }));
    expect(s.timeoutMs).toBe(5000);
    expect(s.pool).toMatchObject({ host: 'db', user: 'u', port: 5433, database: 'd', max: 3, query_timeout: 5000 });
    expect(parsePostgresBindingMetadata(meta({ connectionString: 'postgres://a@b/c' })).timeoutMs).toBe(20_000);
    const fieldOf = (p: Record<string, string>): string | undefined => {
      try {
        parsePostgresBindingMetadata(meta(p));
      } catch (e) {
        return (e as { field?: string }).field;
      }
      return undefined;
    };
    expect(fieldOf({})).toBe('connectionString');
    expect(fieldOf({ connectionString: 'host=a', timeout: 'never' })).toBe('timeout');
    expect(fieldOf({ connectionString: 'host=a', maxConns: 'x' })).toBe('maxConns');
  });

  it('parses params as a JSON array, objects as JSON text', () => {
    expect(parseParams(undefined)).toBeUndefined();
    expect(parseParams('[1,"a",null,{"k":[1]}]')).toEqual([1, 'a', null, '{"k":[1]}']);
    expect(() => parseParams('{"a":1}')).toThrow(/JSON array/);
    expect(() => parseParams('[1,')).toThrow(/not valid JSON/);
  });

  it('formats rows, times and durations as Dapr does', () => {
    expect(rowsToJson([])).toBe('[]');
    expect(rowsToJson([[1, 'a', null, true, Buffer.from('hi'), new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))]])).toBe(
      '[[1,"a",null,true,"aGk=","2024-01-02T03:04:05.006Z"]]',
    );
    expect(rfc3339(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 100)))).toBe('2024-01-02T03:04:05.1Z');
    expect(rfc3339(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 0)))).toBe('2024-01-02T03:04:05Z');
    expect(formatGoDuration(0n)).toBe('0s');
    expect(formatGoDuration(850n)).toBe('850ns');
    expect(formatGoDuration(850_000n)).toBe('850µs');
    expect(formatGoDuration(1_234_567n)).toBe('1.234567ms');
    expect(formatGoDuration(2_250_000_000n)).toBe('2.25s');
    expect(formatGoDuration(90_000_000_000n)).toBe('1m30s');
    expect(formatGoDuration(3_600_000_000_000n)).toBe('1h0m0s');
  });
});

const skipReason = postgresSkipReason();
if (skipReason) console.warn(`bindings.postgresql suite skipped: ${skipReason}`);

(skipReason === undefined ? describe : describe.skip)(`bindings.postgresql against PostgreSQL${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const table = `tessera_bind_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let b: Binding;

  const invoke = (binding: Binding, operation: string, metadata: Record<string, string> = {}): Promise<BindingInvokeResponse | undefined> => {
    if (!binding.invoke) throw new Error('not an output binding');
    return binding.invoke({ operation, data: new Uint8Array(), metadata });
  };

  beforeAll(async () => {
    b = createPostgresBinding(meta({ connectionString: testPostgresUrl() }));
    await b.init();
  });
  afterAll(async () => {
    await invoke(b, 'exec', { sql: `DROP TABLE IF EXISTS ${table}` }).catch(() => undefined);
    await b.close();
  });

  it('is output only with exec, query and close', () => {
    expect(b.operations?.()).toEqual(['exec', 'query', 'close']);
    expect(b.read).toBeUndefined();
  });

  it('exec answers rows-affected and the timing metadata, no data', async () => {
    await invoke(b, 'exec', { sql: `CREATE TABLE ${table} (id int8 PRIMARY KEY, name text, price numeric(10,2), ok bool, at timestamptz, doc jsonb, raw bytea)` });
    const res = await invoke(b, 'exec', {
      sql: `INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6, $7), (9007199254740993, 'big', NULL, false, NULL, NULL, NULL)`,
      params: '[1, "one", "12.50", true, "2024-01-02T03:04:05Z", {"k": [1, 2]}, "\\\\x6869"]',
    });
    expect(res?.data).toBeUndefined();
    const md = res?.metadata ?? {};
    expect(md['rows-affected']).toBe('2');
    expect(md['operation']).toBe('exec');
    expect(md['sql']).toContain(`INSERT INTO ${table}`);
    expect(md['start-time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(md['end-time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(md['end-time'] ?? '')).toBeGreaterThanOrEqual(Date.parse(md['start-time'] ?? ''));
    expect(md['duration']).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
    const upd = await invoke(b, 'exec', { sql: `UPDATE ${table} SET name = name || '!' WHERE id > $1`, params: '[0]' });
    expect(upd?.metadata?.['rows-affected']).toBe('2');
  });

  it('query answers a JSON array of row arrays with exact numbers', async () => {
    const res = await invoke(b, 'query', { sql: `SELECT id, name, price, ok, at, doc, raw FROM ${table} ORDER BY id` });
    expect(res?.metadata?.['operation']).toBe('query');
    expect(res?.metadata?.['rows-affected']).toBeUndefined();
    const text = dec(res?.data);
    expect(text).toContain('9007199254740993');
    expect(JSON.parse(text)).toEqual([
      [1, 'one!', 12.5, true, '2024-01-02T03:04:05Z', { k: [1, 2] }, 'aGk='],
      [9007199254740992, 'big!', null, false, null, null, null],
    ]);
    const count = await invoke(b, 'query', { sql: `SELECT count(*) FROM ${table} WHERE name = $1`, params: '["one!"]' });
    expect(dec(count?.data)).toBe('[[1]]');
    const none = await invoke(b, 'query', { sql: `SELECT * FROM ${table} WHERE false` });
    expect(dec(none?.data)).toBe('[]');
  });

  it('refuses what the request gets wrong with BindingError(bad-request)', async () => {
    await expect(invoke(b, 'list', { sql: 'SELECT 1' })).rejects.toMatchObject({ kind: 'tessera.binding-error', errorKind: 'bad-request' });
    await expect(invoke(b, 'query')).rejects.toMatchObject({ errorKind: 'bad-request', message: 'required metadata not set: sql' });
    await expect(invoke(b, 'query', { sql: 'SELECT $1::int', params: 'nope' })).rejects.toMatchObject({ errorKind: 'bad-request' });
    await expect(invoke(b, 'exec', { sql: 'SELEKT 1' })).rejects.toMatchObject({ errorKind: 'bad-request', message: expect.stringContaining('syntax error') });
    await expect(invoke(b, 'exec', { sql: `INSERT INTO ${table} (id) VALUES (1)` })).rejects.toMatchObject({ errorKind: 'bad-request' });
  });

  it('reports an unreachable server as BindingError(backend), at init and mid-flight', async () => {
    await expect(createPostgresBinding(meta({ connectionString: 'postgres://postgres@127.0.0.1:1/test', timeout: '1s' })).init()).rejects.toMatchObject({
      kind: 'tessera.binding-error',
      errorKind: 'backend',
    });
    // A TCP proxy in front of the real server, cut after init: the backend "goes down".
    const target = new URL(testPostgresUrl());
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname || '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    const url = new URL(testPostgresUrl());
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const p = createPostgresBinding(meta({ connectionString: url.href, timeout: '2s' }));
    await p.init();
    expect(dec((await invoke(p, 'query', { sql: 'SELECT 1' }))?.data)).toBe('[[1]]');
    await new Promise<void>((r) => {
      proxy.close(() => r());
      for (const s of sockets) s.destroy();
    });
    await expect(invoke(p, 'query', { sql: 'SELECT 1' })).rejects.toMatchObject({ errorKind: 'backend' });
    await p.close();
  });

  it('close ends the pool: 204-style undefined, then BindingError(closed)', async () => {
    const c = createPostgresBinding(meta({ connectionString: testPostgresUrl() }));
    await c.init();
    expect(await invoke(c, 'close')).toBeUndefined();
    await expect(invoke(c, 'query', { sql: 'SELECT 1' })).rejects.toMatchObject({ errorKind: 'closed' });
    await c.close();
  });
});
