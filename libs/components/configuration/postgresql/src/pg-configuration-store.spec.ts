// configuration.postgresql against the shared conformance suite on a real PostgreSQL (skipped
// loudly when absent), with the user-side setup Dapr documents: the table and a trigger that
// pg_notify()s every change; plus what only this store does.
import { Client } from 'pg';
import { describeConfigurationConformance } from '@tessera/conformance';
import type { ConfigurationStore, ConfigurationUpdateEvent } from '@tessera/spi';
import { postgresSkipReason, testPostgresUrl } from '@tessera/testing';
import { createPostgresConfigurationStore } from './pg-configuration-store';

const TABLE = 'tessera_cfg_conformance';
const CHANNEL = 'tessera_cfg_conformance_ch';
const skipReason = postgresSkipReason();

/** The table and trigger of components.md 5.13, as a user creates them. */
async function setUp(c: Client, table: string, channel: string): Promise<void> {
  await c.query(`CREATE TABLE IF NOT EXISTS ${table} (key VARCHAR NOT NULL, value VARCHAR NOT NULL, version VARCHAR NOT NULL, metadata JSON)`);
  await c.query(`
    CREATE OR REPLACE FUNCTION ${table}_notify() RETURNS TRIGGER AS $$
    DECLARE data json; notification json;
    BEGIN
      IF (TG_OP = 'DELETE') THEN data = row_to_json(OLD); ELSE data = row_to_json(NEW); END IF;
      notification = json_build_object('table', TG_TABLE_NAME, 'action', TG_OP, 'data', data);
      PERFORM pg_notify('${channel}', notification::text);
      RETURN NULL;
    END; $$ LANGUAGE plpgsql`);
  await c.query(`DROP TRIGGER IF EXISTS ${table}_trigger ON ${table}`);
  await c.query(`CREATE TRIGGER ${table}_trigger AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE PROCEDURE ${table}_notify()`);
}

async function upsert(c: Client, table: string, key: string, value: string, version: string, metadata: Record<string, string> | null = null): Promise<void> {
  const r = await c.query(`UPDATE ${table} SET value = $2, version = $3, metadata = $4 WHERE key = $1`, [key, value, version, metadata === null ? null : JSON.stringify(metadata)]);
  if (r.rowCount === 0) await c.query(`INSERT INTO ${table} (key, value, version, metadata) VALUES ($1, $2, $3, $4)`, [key, value, version, metadata === null ? null : JSON.stringify(metadata)]);
}

async function newStore(table = TABLE): Promise<ConfigurationStore> {
  const store = createPostgresConfigurationStore({ name: 'conformance', type: 'configuration.postgresql', version: 'v1', appId: '', properties: { connectionString: testPostgresUrl(), table } });
  await store.init();
  return store;
}

async function client(): Promise<Client> {
  const c = new Client({ connectionString: testPostgresUrl() });
  await c.connect();
  return c;
}

describeConfigurationConformance(
  'configuration.postgresql',
  async () => {
    const c = await client();
    try {
      await setUp(c, TABLE, CHANNEL);
    } finally {
      await c.end();
    }
    return newStore();
  },
  async () => {
    const c = await client();
    return {
      set: (k, v, ver) => upsert(c, TABLE, k, v, ver),
      delete: async (k) => void (await c.query(`DELETE FROM ${TABLE} WHERE key = $1`, [k])),
      close: () => c.end(),
    };
  },
  { skipReason, subscribeMetadata: { pgNotifyChannel: CHANNEL }, deleteEvent: 'last' },
);

const describePg = skipReason === undefined ? describe : describe.skip;

describePg('configuration.postgresql specifics', () => {
  const table = 'tessera_cfg_specifics';
  const run = `s${Date.now().toString(36)}`;
  let c: Client;
  let store: ConfigurationStore;

  beforeAll(async () => {
    c = await client();
    await setUp(c, table, `${table}_ch`);
    store = await newStore(table);
  });

  afterAll(async () => {
    await store?.close();
    await c.query(`DELETE FROM ${table} WHERE key LIKE $1`, [`${run}%`]);
    await c.end();
  });

  it('several rows of one key: the highest numeric version wins; metadata JSON becomes strings', async () => {
    for (const v of ['3', '10', 'latest', '2']) {
      await c.query(`INSERT INTO ${table} (key, value, version, metadata) VALUES ($1, $2, $3, $4)`, [`${run}_multi`, `value-${v}`, v, JSON.stringify({ n: 1, s: 'x' })]);
    }
    const got = await store.get({ keys: [`${run}_multi`], metadata: {} });
    expect(got).toEqual({ [`${run}_multi`]: { value: 'value-10', version: '10', metadata: { n: '1', s: 'x' } } });
  });

  it('refuses keys outside [a-zA-Z0-9./_] before touching the database', async () => {
    await expect(store.get({ keys: ["x'; DROP TABLE y; --"], metadata: {} })).rejects.toMatchObject({ errorKind: 'bad-request', message: "invalid key : 'x'; DROP TABLE y; --'" });
  });

  it('subscribe needs pgNotifyChannel (any case)', async () => {
    await expect(store.subscribe({ keys: [], metadata: {} }, async () => undefined)).rejects.toMatchObject({
      errorKind: 'bad-request',
      message: `unable to subscribe to '${table}'. pgNotifyChannel attribute cannot be empty`,
    });
  });

  it('a mixed-case channel is folded as PostgreSQL folds an unquoted name (pg_notify needs the lower-case one)', async () => {
    // a second trigger notifies 'tessera_cfg_mixed': what `LISTEN Tessera_Cfg_Mixed` hears in PostgreSQL
    const lower = `${table}_lower`;
    await c.query(`CREATE OR REPLACE FUNCTION ${lower}_fn() RETURNS TRIGGER AS $$ BEGIN
      PERFORM pg_notify('tessera_cfg_mixed', json_build_object('table', TG_TABLE_NAME, 'action', TG_OP, 'data', row_to_json(NEW))::text);
      RETURN NULL; END; $$ LANGUAGE plpgsql`);
    await c.query(`DROP TRIGGER IF EXISTS ${lower}_trigger ON ${table}`);
    await c.query(`CREATE TRIGGER ${lower}_trigger AFTER INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE PROCEDURE ${lower}_fn()`);
    try {
      const events: ConfigurationUpdateEvent[] = [];
      const id = await store.subscribe({ keys: [`${run}_mixed`], metadata: { PGNOTIFYCHANNEL: 'Tessera_Cfg_Mixed' } }, async (e) => void events.push(e));
      await upsert(c, table, `${run}_mixed`, 'heard', '1', { a: 'b' });
      const until = Date.now() + 5000;
      while (events.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(events).toEqual([{ id, items: { [`${run}_mixed`]: { value: 'heard', version: '1', metadata: { a: 'b' } } } }]);
      await store.unsubscribe(id);
    } finally {
      await c.query(`DROP TRIGGER IF EXISTS ${lower}_trigger ON ${table}`);
    }
  });

  it('a listening connection that is killed is reopened', async () => {
    const events: ConfigurationUpdateEvent[] = [];
    const id = await store.subscribe({ keys: [`${run}_reconnect`], metadata: { pgNotifyChannel: `${table}_ch` } }, async (e) => void events.push(e));
    const killed = await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`, [`LISTEN "${table}_ch"`]);
    expect(killed.rowCount).toBeGreaterThan(0);
    const until = Date.now() + 8000;
    while (events.length === 0 && Date.now() < until) {
      await upsert(c, table, `${run}_reconnect`, 'again', String(Date.now()));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(events.length).toBeGreaterThan(0);
    await store.unsubscribe(id);
  }, 15_000);

  it('init fails clearly when the table does not exist', async () => {
    const missing = createPostgresConfigurationStore({ name: 'x', type: 'configuration.postgresql', version: 'v1', appId: '', properties: { connectionString: testPostgresUrl(), table: 'tessera_no_such_table' } });
    await expect(missing.init()).rejects.toThrow("postgreSQL configuration table 'tessera_no_such_table' does not exist");
    await missing.close();
  });
});
