// Dapr's state query language (http-api.md 2.6) over the v1 jsonb column. Every value, path, key
// prefix, limit and offset is a bind parameter; the only text spliced into SQL is the validated
// table name and fixed operators. Comparisons are jsonb against jsonb, so numbers compare as
// numbers and strings as strings (Dapr compares the ->> text, which sorts 10 before 9); range
// operators additionally require both sides to have the same JSON type. Results are always limited
// to keys starting with the request's prefix and to rows that have not expired. Paging: the token
// is the row offset; a token is returned only after a full page.
import { StateStoreError } from '@tessera/spi';
import type { QueryFilter, StateQuery } from '@tessera/spi';

export interface BuiltQuery {
  readonly text: string;
  readonly values: unknown[];
  readonly limit?: number;
  readonly offset: number;
}

const PATH = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;
const MAX_DEPTH = 32;
const COMPARE: Readonly<Record<string, string>> = { EQ: '=', NEQ: '<>', GT: '>', GTE: '>=', LT: '<', LTE: '<=' };

export function buildQuery(table: string, keyPrefix: string, query: StateQuery): BuiltQuery {
  const values: unknown[] = [keyPrefix];
  const param = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  const where = ['starts_with(key, $1)', '(expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)'];
  if (query.filter !== undefined && query.filter !== null && Object.keys(query.filter).length > 0) {
    where.push(filterSql(query.filter, param, 0));
  }

  const order: string[] = [];
  for (const s of query.sort ?? []) {
    if (typeof s?.key !== 'string') throw bad('each sort entry needs a "key"');
    const dir = (s.order ?? 'ASC').toUpperCase();
    if (dir !== 'ASC' && dir !== 'DESC') throw bad(`sort order must be ASC or DESC, got "${s.order}"`);
    order.push(`value #> ${param(path(s.key))}::text[] ${dir}`);
  }
  order.push('key ASC'); // stable pages

  let text = `SELECT key, value::text AS value, isbinary, xmin::text AS etag FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')}`;

  const page = query.page ?? {};
  let limit: number | undefined;
  if (page.limit !== undefined && page.limit !== null && page.limit !== 0) {
    if (!Number.isInteger(page.limit) || page.limit < 0) throw bad(`page.limit must be a non-negative integer, got ${String(page.limit)}`);
    limit = page.limit;
    text += ` LIMIT ${param(limit)}`;
  }
  let offset = 0;
  if (page.token !== undefined && page.token !== null && page.token !== '') {
    if (typeof page.token !== 'string' || !/^\d{1,15}$/.test(page.token)) throw bad(`invalid page token "${String(page.token)}"`);
    offset = Number(page.token);
    text += ` OFFSET ${param(offset)}`;
  }
  return { text, values, ...(limit !== undefined ? { limit } : {}), offset };
}

function filterSql(f: QueryFilter, param: (v: unknown) => string, depth: number): string {
  if (depth > MAX_DEPTH) throw bad(`filter nested deeper than ${MAX_DEPTH} levels`);
  if (f === null || typeof f !== 'object' || Array.isArray(f)) throw bad('a filter must be an object');
  const entries = Object.entries(f);
  const [op, arg] = entries[0] ?? [];
  if (entries.length !== 1 || op === undefined) throw bad(`a filter must have exactly one operator, got ${entries.length}`);

  if (op === 'AND' || op === 'OR') {
    if (!Array.isArray(arg) || arg.length === 0) throw bad(`${op} needs a non-empty array of filters`);
    return `(${(arg as QueryFilter[]).map((x) => filterSql(x, param, depth + 1)).join(` ${op} `)})`;
  }

  const [field, value] = singleField(op, arg);
  const target = `(value #> ${param(path(field))}::text[])`;
  if (op === 'IN') {
    if (!Array.isArray(value) || value.length === 0) throw bad(`IN on "${field}" needs a non-empty array`);
    return `${target} = ANY(${param(value.map((v) => jsonParam(op, field, v)))}::jsonb[])`;
  }
  const sqlOp = COMPARE[op];
  if (sqlOp === undefined) throw bad(`unsupported filter operator "${op}"`);
  const json = jsonParam(op, field, value);
  if (op === 'EQ' || op === 'NEQ') return `${target} ${sqlOp} ${param(json)}::jsonb`;
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw bad(`${op} on "${field}" needs a number or a string, got ${JSON.stringify(value)}`);
  }
  const v = param(json);
  return `(${target} ${sqlOp} ${v}::jsonb AND jsonb_typeof${target} = jsonb_typeof(${v}::jsonb))`;
}

function singleField(op: string, arg: unknown): [string, unknown] {
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) throw bad(`${op} needs an object {"field": value}`);
  const entries = Object.entries(arg);
  const first = entries[0];
  if (entries.length !== 1 || first === undefined) throw bad(`${op} needs exactly one field, got ${entries.length}`);
  return first;
}

function jsonParam(op: string, field: string, v: unknown): string {
  const s = v === undefined ? undefined : JSON.stringify(v);
  if (s === undefined) throw bad(`${op} on "${field}" has no JSON value`);
  return s;
}

/** `a.b.c` -> ['a','b','c'] for `value #> $n` (a text[] parameter). */
function path(key: string): string[] {
  if (typeof key !== 'string' || !PATH.test(key)) {
    throw bad(`invalid field path "${String(key)}": use letters, digits and _ separated by dots`);
  }
  return key.split('.');
}

function bad(message: string): StateStoreError {
  return new StateStoreError('query', `postgresql store: invalid query: ${message}`);
}
