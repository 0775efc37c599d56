// `bindings.postgresql` (alias `bindings.postgres`) v1, components.md 5.19: an output binding
// running SQL on a node-postgres pool. Operations:
// - `exec`  (metadata `sql`, optional `params` JSON array): no data; metadata `rows-affected`;
// - `query` (same metadata): data = JSON array of row arrays;
// - `close`: ends the pool; every later invoke rejects with BindingError('closed').
// exec/query answer metadata `operation`, `sql`, `start-time`, `end-time` (RFC 3339) and
// `duration` (Go duration text). Missing `sql`, bad `params` and statements PostgreSQL refuses
// for their content (SQLSTATE classes 22, 23, 42) are 'bad-request'; everything else, e.g. the
// server being unreachable, is 'backend'.
import { Pool, types } from 'pg';
import type { CustomTypesConfig } from 'pg';
import { BindingError } from '@tessera/spi';
import type { Binding, BindingInvokeRequest, BindingInvokeResponse, ComponentMetadata } from '@tessera/spi';
import { RawNumber, formatGoDuration, parsePostgresBindingMetadata, parseParams, rfc3339, rowsToJson } from './pg-binding-metadata';

export const POSTGRES_OPERATIONS = ['exec', 'query', 'close'] as const;

const INT8 = 20;
const NUMERIC = 1700;

/** Row values as Dapr's JSON shows them: int8 and numeric stay exact numbers. */
const ROW_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 || oid === NUMERIC) return (text: string) => new RawNumber(text);
    return format === 'binary' ? types.getTypeParser(oid, 'binary') : types.getTypeParser(oid, 'text');
  }) as CustomTypesConfig['getTypeParser'],
};

export function createPostgresBinding(meta: ComponentMetadata): Binding {
  return new PostgresBinding(meta);
}

class PostgresBinding implements Binding {
  private pool: Pool | undefined;
  private closed = false;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const s = parsePostgresBindingMetadata(this.meta);
    const pool = new Pool(s.pool);
    pool.on('error', () => undefined); // an idle client died; the pool replaces it
    try {
      await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new BindingError('backend', `postgres binding ${this.meta.name}: unable to connect: ${messageOf(e)}`, { cause: e });
    }
    this.pool = pool;
  }

  operations(): readonly string[] {
    return POSTGRES_OPERATIONS;
  }

  async invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    const op = req.operation;
    if (!(POSTGRES_OPERATIONS as readonly string[]).includes(op)) {
      throw new BindingError('bad-request', `postgres binding ${this.meta.name}: invalid operation type: ${op}. Expected ${POSTGRES_OPERATIONS.join(', ')}`);
    }
    const pool = this.pool;
    if (this.closed || !pool) throw new BindingError('closed', `postgres binding ${this.meta.name} is closed`);
    if (op === 'close') {
      await this.close();
      return undefined;
    }
    const sql = req.metadata['sql'];
    if (sql === undefined || sql.trim() === '') throw new BindingError('bad-request', 'required metadata not set: sql');
    let params: unknown[] | undefined;
    try {
      params = parseParams(req.metadata['params']);
    } catch (e) {
      throw new BindingError('bad-request', messageOf(e));
    }
    const start = new Date();
    const t0 = process.hrtime.bigint();
    let result;
    try {
      result = await pool.query({ text: sql, ...(params ? { values: params } : {}), rowMode: 'array', types: ROW_TYPES });
    } catch (e) {
      throw new BindingError(kindOf(e), `error executing ${op} with SQL "${sql}": ${messageOf(e)}`, { cause: e });
    }
    const elapsed = process.hrtime.bigint() - t0;
    const end = new Date(start.getTime() + Number(elapsed / 1_000_000n));
    const metadata: Record<string, string> = {
      operation: op,
      sql,
      'start-time': rfc3339(start),
      'end-time': rfc3339(end),
      duration: formatGoDuration(elapsed),
    };
    // A multi-statement text yields one result per statement; the last one answers.
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    if (op === 'exec') {
      return { metadata: { ...metadata, 'rows-affected': String(last?.rowCount ?? 0) } };
    }
    const rows = (last?.rows ?? []) as unknown[][];
    return { data: new TextEncoder().encode(rowsToJson(rows)), metadata, contentType: 'application/json' };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }
}

/** SQLSTATE classes caused by the statement itself: data exception, integrity, syntax/access. */
function kindOf(e: unknown): 'bad-request' | 'backend' {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|42)/.test(code) ? 'bad-request' : 'backend';
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
