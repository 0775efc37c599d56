// A JS evaluator for Dapr's state query language (spec/http-api.md 2.6) over JSON values, for
// stores that cannot push the query down to their backend (in-memory, SQLite). Filter and sort
// keys are dotted paths into the stored JSON value (`person.org`), without a `value.` prefix.
//
// Semantics fixed here, so every store using it answers alike:
// - values that are not JSON are never returned; a path that is missing never matches a filter;
// - EQ/NEQ/IN compare JSON values structurally; GT/GTE/LT/LTE match only number-to-number or
//   string-to-string;
// - results are sorted by the `sort` list, then by key, so pages are stable; missing sort values
//   go last in both directions;
// - page token = offset as a decimal string; a token is returned only when more results remain.
// A malformed query throws StateStoreError kind 'query'.
import { StateStoreError } from './state-store';
import type { QueryFilter, StateQuery, StoreQueryResponse } from './state-store';

export interface QueryCandidate {
  readonly key: string;
  readonly data: Buffer;
  readonly etag?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const MISSING = Symbol('missing');
type Lookup = Json | typeof MISSING;

const COMPARISONS = ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE', 'IN'] as const;
type Comparison = (typeof COMPARISONS)[number];

const bad = (msg: string): StateStoreError => new StateStoreError('query', `invalid query: ${msg}`);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateFilter(f: unknown, where: string): QueryFilter {
  if (!isRecord(f)) throw bad(`${where} must be an object`);
  const ops = Object.keys(f);
  if (ops.length !== 1) throw bad(`${where} must have exactly one operator, got ${ops.length}`);
  const op = ops[0] as string;
  const arg = f[op];
  if (op === 'AND' || op === 'OR') {
    if (!Array.isArray(arg) || arg.length === 0) throw bad(`${where}.${op} must be a non-empty array`);
    arg.forEach((sub, i) => validateFilter(sub, `${where}.${op}[${i}]`));
    return f as QueryFilter;
  }
  if (!(COMPARISONS as readonly string[]).includes(op)) throw bad(`${where}: unknown operator "${op}"`);
  if (!isRecord(arg) || Object.keys(arg).length !== 1) throw bad(`${where}.${op} must map exactly one key to a value`);
  const [path, operand] = Object.entries(arg)[0] as [string, unknown];
  if (path === '') throw bad(`${where}.${op} has an empty key`);
  if (op === 'IN' && !Array.isArray(operand)) throw bad(`${where}.IN.${path} must be an array`);
  return f as QueryFilter;
}

/** Checks an untrusted query object (e.g. parsed from the wire) and returns it typed. */
export function validateStateQuery(q: unknown): StateQuery {
  if (!isRecord(q)) throw bad('query must be an object');
  if (q['filter'] !== undefined && !(isRecord(q['filter']) && Object.keys(q['filter']).length === 0)) {
    validateFilter(q['filter'], 'filter');
  }
  const sort = q['sort'];
  if (sort !== undefined) {
    if (!Array.isArray(sort)) throw bad('sort must be an array');
    sort.forEach((s, i) => {
      if (!isRecord(s) || typeof s['key'] !== 'string' || s['key'] === '') throw bad(`sort[${i}].key must be a non-empty string`);
      const order = s['order'];
      if (order !== undefined && order !== 'ASC' && order !== 'DESC') throw bad(`sort[${i}].order must be ASC or DESC`);
    });
  }
  const page = q['page'];
  if (page !== undefined) {
    if (!isRecord(page)) throw bad('page must be an object');
    const limit = page['limit'];
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) {
      throw bad('page.limit must be a non-negative integer');
    }
    const token = page['token'];
    if (token !== undefined && token !== '' && (typeof token !== 'string' || !/^\d+$/.test(token))) {
      throw bad(`page.token "${String(token)}" is not a token issued by this store`);
    }
  }
  return q as StateQuery;
}

function lookup(value: Json, path: string): Lookup {
  let cur: Lookup = value;
  for (const seg of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) cur = Number(seg) < cur.length ? (cur[Number(seg)] as Json) : MISSING;
    else if (isRecord(cur) && Object.prototype.hasOwnProperty.call(cur, seg)) cur = (cur as Record<string, Json>)[seg] as Json;
    else return MISSING;
  }
  return cur;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function ordered(a: Json, b: unknown, op: 'GT' | 'GTE' | 'LT' | 'LTE'): boolean {
  const comparable = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === 'GT' ? x > y : op === 'GTE' ? x >= y : op === 'LT' ? x < y : x <= y;
}

function matches(value: Json, f: QueryFilter): boolean {
  if ('AND' in f) return f.AND.every((sub) => matches(value, sub));
  if ('OR' in f) return f.OR.some((sub) => matches(value, sub));
  const op = Object.keys(f)[0] as Comparison;
  const [path, operand] = Object.entries((f as Record<string, Record<string, unknown>>)[op] as Record<string, unknown>)[0] as [string, unknown];
  const actual = lookup(value, path);
  if (actual === MISSING) return false;
  switch (op) {
    case 'EQ':
      return jsonEqual(actual, operand);
    case 'NEQ':
      return !jsonEqual(actual, operand);
    case 'IN':
      return (operand as unknown[]).some((o) => jsonEqual(actual, o));
    default:
      return ordered(actual, operand, op);
  }
}

function typeRank(v: Lookup): number {
  if (v === MISSING) return 5;
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (v === null) return 3;
  return 4;
}

function compareValues(a: Lookup, b: Lookup, desc: boolean): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra === 5 || rb === 5) return ra - rb; // missing last whatever the direction
  let c: number;
  if (ra !== rb) c = ra - rb;
  else if (ra === 4) {
    const sa = JSON.stringify(a);
    const sb = JSON.stringify(b);
    c = sa < sb ? -1 : sa > sb ? 1 : 0;
  } else {
    const x = a as number | string | boolean | null;
    const y = b as number | string | boolean | null;
    c = x === y ? 0 : (x as number) < (y as number) ? -1 : 1;
  }
  return desc ? -c : c;
}

function parseJson(data: Buffer): Json | typeof MISSING {
  try {
    return JSON.parse(data.toString('utf8')) as Json;
  } catch {
    return MISSING;
  }
}

/**
 * Filters, sorts and pages candidates (already restricted to the request's key prefix and to
 * live, unexpired keys) and builds the store response.
 */
export function evaluateStateQuery(candidates: Iterable<QueryCandidate>, query: StateQuery): StoreQueryResponse {
  const q = validateStateQuery(query);
  const filter = q.filter && Object.keys(q.filter).length > 0 ? q.filter : undefined;
  const rows: Array<{ c: QueryCandidate; v: Json }> = [];
  for (const c of candidates) {
    const v = parseJson(c.data);
    if (v === MISSING) continue;
    if (filter && !matches(v, filter)) continue;
    rows.push({ c, v });
  }
  const sort = q.sort ?? [];
  rows.sort((a, b) => {
    for (const s of sort) {
      const c = compareValues(lookup(a.v, s.key), lookup(b.v, s.key), s.order === 'DESC');
      if (c !== 0) return c;
    }
    return a.c.key < b.c.key ? -1 : a.c.key > b.c.key ? 1 : 0;
  });
  const offset = q.page?.token ? Number(q.page.token) : 0;
  const limit = q.page?.limit ?? 0;
  const end = limit > 0 ? offset + limit : rows.length;
  const page = rows.slice(offset, end);
  const results = page.map(({ c }) => (c.etag === undefined ? { key: c.key, data: c.data } : { key: c.key, data: c.data, etag: c.etag }));
  return end < rows.length ? { results, token: String(end) } : { results };
}
