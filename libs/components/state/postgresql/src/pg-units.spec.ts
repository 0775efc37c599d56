// Pure unit tests (no database): connection strings, metadata, value encoding, query building.
import type { ComponentMetadata } from '@tessera/spi';
import { parseConnectionString, toPoolConfig } from '@tessera/common-postgres';
import { parsePostgresMetadata } from './pg-metadata';
import { buildQuery } from './pg-query';
import { decodeValue, encodeValue } from './pg-value';

const meta = (properties: Record<string, string>, version = 'v1'): ComponentMetadata => ({
  name: 'statestore',
  type: 'state.postgresql',
  version,
  properties,
  appId: 'app',
});

const thrown = (fn: () => unknown): { kind?: string; field?: string; errorKind?: string; message: string } => {
  try {
    fn();
  } catch (e) {
    return e as { kind?: string; field?: string; errorKind?: string; message: string };
  }
  throw new Error('expected an error');
};

describe('connection strings', () => {
  it('reads the keyword/value form, quoting and escapes included', () => {
    expect(parseConnectionString(`host=db.local user=postgres  port = 5433 database=test password='a b\\'c' sslmode=disable`)).toEqual({
      host: 'db.local',
      user: 'postgres',
      port: '5433',
      database: 'test',
      password: "a b'c",
      sslmode: 'disable',
    });
  });

  it('reads the URL form with percent-encoding and parameters', () => {
    expect(parseConnectionString('postgresql://us%40er:p%3Ass@[::1]:6543/my%20db?sslmode=require&application_name=x')).toEqual({
      user: 'us@er',
      password: 'p:ss',
      host: '::1',
      port: '6543',
      dbname: 'my db',
      sslmode: 'require',
      application_name: 'x',
    });
    expect(parseConnectionString('postgres://localhost')).toEqual({ host: 'localhost' });
  });

  it('maps both forms to the same pool config', () => {
    const a = toPoolConfig(parseConnectionString('host=h port=1 user=u password=p dbname=d'));
    const b = toPoolConfig(parseConnectionString('postgres://u:p@h:1/d'));
    expect(a).toEqual(b);
    expect(a).toEqual({ host: 'h', port: 1, user: 'u', password: 'p', database: 'd' });
  });

  it('follows libpq for sslmode and sends unknown keywords as server settings', () => {
    expect(toPoolConfig({ sslmode: 'require' }).ssl).toEqual({ rejectUnauthorized: false });
    expect(toPoolConfig({ sslmode: 'verify-full' }).ssl).toEqual({ rejectUnauthorized: true });
    expect(toPoolConfig({ sslmode: 'prefer' }).ssl).toBeUndefined();
    expect(toPoolConfig({ search_path: 'a b', pool_max_conns: '7', connect_timeout: '10' })).toEqual({
      options: '-c search_path=a\\ b',
      poolMaxConns: 7,
      connectionTimeoutMillis: 10_000,
    });
  });

  it('rejects malformed strings with a config error', () => {
    expect(thrown(() => parseConnectionString('host')).field).toBe('connectionString');
    expect(thrown(() => parseConnectionString("password='open")).field).toBe('connectionString');
    expect(thrown(() => toPoolConfig({ sslmode: 'bogus' })).field).toBe('connectionString');
  });
});

describe('parsePostgresMetadata', () => {
  it('applies Dapr defaults', () => {
    const s = parsePostgresMetadata(meta({ connectionString: 'host=localhost user=postgres' }));
    expect(s.tableName).toBe('state');
    expect(s.metadataTableName).toBe('dapr_metadata');
    expect(s.timeoutMs).toBe(20_000);
    expect(s.cleanupIntervalMs).toBe(3_600_000);
    expect(s.pool.max).toBeGreaterThanOrEqual(4);
    expect(s.pool).toMatchObject({ host: 'localhost', user: 'postgres', statement_timeout: 20_000, connectionTimeoutMillis: 20_000 });
  });

  it('reads tableName, timeouts, cleanupInterval, maxConns', () => {
    const s = parsePostgresMetadata(
      meta({ connectionString: 'postgres://h/d', tableName: 'app.my_state', metadataTableName: 'app.meta', timeout: '30s', cleanupInterval: '10m', maxConns: '9' }),
    );
    expect(s).toMatchObject({ tableName: 'app.my_state', metadataTableName: 'app.meta', timeoutMs: 30_000, cleanupIntervalMs: 600_000 });
    expect(s.pool.max).toBe(9);
    expect(parsePostgresMetadata(meta({ connectionString: 'host=h', cleanupInterval: '-1' })).cleanupIntervalMs).toBeUndefined();
    expect(parsePostgresMetadata(meta({ connectionString: 'host=h', cleanupInterval: '0' })).cleanupIntervalMs).toBeUndefined();
    expect(parsePostgresMetadata(meta({ connectionString: 'host=h', cleanupIntervalInSeconds: '5' })).cleanupIntervalMs).toBe(5000);
  });

  it('accepts host/port/user/password/database instead of a connection string', () => {
    const s = parsePostgresMetadata(meta({ host: 'h', port: '5433', user: 'u', password: 'p', database: 'd' }));
    expect(s.pool).toMatchObject({ host: 'h', port: 5433, user: 'u', password: 'p', database: 'd' });
  });

  it('rejects bad metadata', () => {
    expect(thrown(() => parsePostgresMetadata(meta({}))).field).toBe('connectionString');
    expect(thrown(() => parsePostgresMetadata(meta({ connectionString: 'host=h', tableName: 'x; DROP TABLE y' }))).field).toBe('tableName');
    expect(thrown(() => parsePostgresMetadata(meta({ connectionString: 'host=h', tableName: 'a.b.c' }))).field).toBe('tableName');
    expect(thrown(() => parsePostgresMetadata(meta({ connectionString: 'host=h', timeout: '500ms' }))).field).toBe('timeout');
    expect(thrown(() => parsePostgresMetadata(meta({ connectionString: 'host=h', timeout: 'later' }))).field).toBe('timeout');
    expect(thrown(() => parsePostgresMetadata(meta({ connectionString: 'host=h' }, 'v2'))).message).toMatch(/not supported yet/);
  });
});

describe('value encoding', () => {
  const roundTrip = (b: Buffer): Buffer => {
    const e = encodeValue(b);
    // jsonb would give back the same JSON text for these inputs (already canonical).
    return decodeValue(e.json, e.isBinary);
  };

  it('keeps JSON as JSON, everything else as base64 with isbinary', () => {
    expect(encodeValue(Buffer.from('{"a":1}'))).toEqual({ json: '{"a":1}', isBinary: false });
    expect(encodeValue(Buffer.from('"str"'))).toEqual({ json: '"str"', isBinary: false });
    expect(encodeValue(Buffer.from('plain text'))).toEqual({ json: JSON.stringify(Buffer.from('plain text').toString('base64')), isBinary: true });
    expect(encodeValue(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x7d])).isBinary).toBe(true);
    expect(encodeValue(Buffer.alloc(0))).toEqual({ json: '""', isBinary: true });
  });

  it('stores JSON that jsonb cannot hold as binary', () => {
    expect(encodeValue(Buffer.from('"a\\u0000b"')).isBinary).toBe(true);
    expect(encodeValue(Buffer.from('{"k":"\\ud800"}')).isBinary).toBe(true);
    expect(encodeValue(Buffer.from('"\\ud83d\\ude00"')).isBinary).toBe(false);
    expect(encodeValue(Buffer.from('"\\\\u0000"')).isBinary).toBe(false);
  });

  it('round-trips bytes', () => {
    for (const b of [Buffer.from([0, 1, 2, 255]), Buffer.from('x'), Buffer.alloc(0), Buffer.from('[1,2]')]) {
      expect(roundTrip(b).equals(b)).toBe(true);
    }
  });
});

describe('buildQuery', () => {
  it('parameterises every value, path, limit and token', () => {
    const evil = "x'); DROP TABLE state; --";
    const q = buildQuery('state', 'app||', {
      filter: { AND: [{ EQ: { 'person.org': evil } }, { IN: { state: ['CA', 'WA'] } }, { GT: { 'person.id': 10 } }] },
      sort: [{ key: 'person.id', order: 'DESC' }],
      page: { limit: 5, token: '10' },
    });
    expect(q.text).not.toContain(evil);
    expect(q.text).not.toContain('CA');
    expect(q.text).not.toContain('person');
    expect(q.values).toEqual(['app||', ['person', 'org'], JSON.stringify(evil), ['state'], ['"CA"', '"WA"'], ['person', 'id'], '10', ['person', 'id'], 5, 10]);
    expect(q.text).toContain('starts_with(key, $1)');
    expect(q.text).toMatch(/ORDER BY value #> \$8::text\[\] DESC, key ASC LIMIT \$9 OFFSET \$10$/);
    expect(q).toMatchObject({ limit: 5, offset: 10 });
  });

  it.each([
    [{ filter: { EQ: { 'a;b': 1 } } }, /invalid field path/],
    [{ filter: { EQ: { 'a..b': 1 } } }, /invalid field path/],
    [{ filter: { EQ: { a: 1, b: 2 } } }, /exactly one field/],
    [{ filter: { EQ: { a: 1 }, NEQ: { b: 2 } } }, /exactly one operator/],
    [{ filter: { LIKE: { a: 1 } } }, /unsupported filter operator/],
    [{ filter: { IN: { a: [] } } }, /non-empty array/],
    [{ filter: { AND: [] } }, /non-empty array/],
    [{ filter: { GT: { a: { b: 1 } } } }, /number or a string/],
    [{ sort: [{ key: 'a', order: 'UP' }] }, /ASC or DESC/],
    [{ sort: [{ key: "a' OR 1=1" }] }, /invalid field path/],
    [{ page: { limit: -1 } }, /non-negative integer/],
    [{ page: { limit: 2, token: 'abc' } }, /invalid page token/],
  ])('rejects %j with a query error', (query, message) => {
    const e = thrown(() => buildQuery('state', 'p||', query as never));
    expect(e.errorKind).toBe('query');
    expect(e.message).toMatch(message);
  });
});
