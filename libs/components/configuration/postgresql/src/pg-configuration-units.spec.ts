// configuration.postgresql pieces without a server: metadata, trigger payloads, channel quoting.
import type { ComponentMetadata } from '@tessera/spi';
import { parsePostgresConfigurationMetadata } from './pg-configuration-metadata';
import { parsePayload, quoteChannel } from './pg-configuration-store';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'cfg', type: 'configuration.postgresql', version: 'v1', properties, appId: '' });

describe('configuration.postgresql metadata', () => {
  it('reads the connection string, table, timeout and maxConns', () => {
    const s = parsePostgresConfigurationMetadata(meta({ connectionString: 'host=db user=u password=p port=5433 database=cfg', table: 'configtable', timeout: '5s', maxConns: '3' }));
    expect(s.table).toBe('configtable');
    expect(s.timeoutMs).toBe(5000);
    expect(s.pool).toMatchObject({ host: 'db', user: 'u', password: 'p', port: 5433, database: 'cfg', max: 3, connectionTimeoutMillis: 5000, statement_timeout: 5000 });
    expect(parsePostgresConfigurationMetadata(meta({ connectionString: 'postgres://a@b/c', table: 'public.cfg' })).timeoutMs).toBe(20_000);
  });

  it.each([
    [{ table: 't' }, 'connectionString'],
    [{ connectionString: 'host=x' }, 'table'],
    [{ connectionString: 'host=x', table: 'ConfigTable' }, 'table'],
    [{ connectionString: 'host=x', table: 'a;drop' }, 'table'],
    [{ connectionString: 'host=x', table: 'a'.repeat(65) }, 'table'],
    [{ connectionString: 'host=x', table: 't', timeout: 'soon' }, 'timeout'],
    [{ connectionString: 'host=x', table: 't', maxConns: 'many' }, 'maxConns'],
  ])('refuses %j (field %s)', (props, field) => {
    expect(() => parsePostgresConfigurationMetadata(meta(props as Record<string, string>))).toThrow(expect.objectContaining({ field }));
  });
});

describe('trigger payloads', () => {
  it("reads Dapr's documented payload, field names in any case", () => {
    expect(parsePayload('{"table":"t","action":"UPDATE","data":{"key":"k","value":"v","version":"2","metadata":{"a":"b"}}}')).toEqual({
      key: 'k',
      item: { value: 'v', version: '2', metadata: { a: 'b' } },
    });
    expect(parsePayload('{"data":{"KEY":"k","Value":"v","VERSION":3,"metadata":null}}')).toEqual({ key: 'k', item: { value: 'v', version: '3', metadata: {} } });
  });

  it('ignores what is not such a payload', () => {
    for (const p of ['', 'not json', '[]', '{"data":[]}', '{"data":{"value":"no key"}}', '{"table":"t"}']) expect(parsePayload(p)).toBeUndefined();
  });

  it('quotes channels as identifiers, folding plain ones as PostgreSQL does', () => {
    expect(quoteChannel('config')).toBe('"config"');
    expect(quoteChannel('Config_1')).toBe('"config_1"');
    expect(quoteChannel('my-channel')).toBe('"my-channel"');
    expect(quoteChannel('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
  });
});
