import { evaluateStateQuery, validateStateQuery } from './state-query';
import type { QueryCandidate } from './state-query';

const c = (key: string, v: unknown): QueryCandidate => ({ key, data: Buffer.from(JSON.stringify(v)), etag: `e-${key}` });
const items = [
  c('a', { n: 3, s: 'x', tags: ['p', 'q'], o: { deep: { v: 1 } } }),
  c('b', { n: 1, s: 'y' }),
  c('c', { n: 2, s: 'x', o: { deep: { v: 2 } } }),
  c('d', { s: 'z' }),
  { key: 'bin', data: Buffer.from([0xff, 0x00]) },
];
const keys = (q: object) => evaluateStateQuery(items, validateStateQuery(q)).results.map((r) => r.key);

describe('evaluateStateQuery', () => {
  it('returns every JSON value, ordered by key, without a filter', () => {
    expect(keys({})).toEqual(['a', 'b', 'c', 'd']);
    expect(keys({ filter: {} })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('evaluates comparisons on dotted paths, arrays by index', () => {
    expect(keys({ filter: { EQ: { 'o.deep.v': 2 } } })).toEqual(['c']);
    expect(keys({ filter: { EQ: { 'tags.1': 'q' } } })).toEqual(['a']);
    expect(keys({ filter: { EQ: { tags: ['p', 'q'] } } })).toEqual(['a']);
    expect(keys({ filter: { NEQ: { s: 'x' } } })).toEqual(['b', 'd']);
    expect(keys({ filter: { GT: { n: 1 } } })).toEqual(['a', 'c']);
    expect(keys({ filter: { GTE: { n: 1 } } })).toEqual(['a', 'b', 'c']);
    expect(keys({ filter: { LT: { s: 'y' } } })).toEqual(['a', 'c']);
    expect(keys({ filter: { LTE: { n: '3' } } })).toEqual([]);
    expect(keys({ filter: { IN: { s: ['y', 'z'] } } })).toEqual(['b', 'd']);
    expect(keys({ filter: { OR: [{ EQ: { n: 1 } }, { AND: [{ EQ: { s: 'x' } }, { GT: { n: 2 } }] }] } })).toEqual(['a', 'b']);
  });

  it('sorts with missing values last in both directions, ties by key', () => {
    expect(keys({ sort: [{ key: 'n' }] })).toEqual(['b', 'c', 'a', 'd']);
    expect(keys({ sort: [{ key: 'n', order: 'DESC' }] })).toEqual(['a', 'c', 'b', 'd']);
    expect(keys({ sort: [{ key: 's', order: 'DESC' }, { key: 'n' }] })).toEqual(['d', 'b', 'c', 'a']);
  });

  it('pages by offset tokens and stops issuing tokens at the end', () => {
    const p1 = evaluateStateQuery(items, { page: { limit: 3 } });
    expect(p1.results.map((r) => r.key)).toEqual(['a', 'b', 'c']);
    expect(p1.token).toBe('3');
    const p2 = evaluateStateQuery(items, { page: { limit: 3, token: p1.token } });
    expect(p2.results.map((r) => r.key)).toEqual(['d']);
    expect(p2.token).toBeUndefined();
    expect(evaluateStateQuery(items, { page: { limit: 4 } }).token).toBeUndefined();
  });

  it('keeps data and etag of the candidates', () => {
    const [r] = evaluateStateQuery(items, { filter: { EQ: { s: 'y' } } }).results;
    expect(r).toEqual({ key: 'b', data: items[1]?.data, etag: 'e-b' });
  });

  it.each([
    ['not an object', 'x'],
    ['two operators', { filter: { EQ: { a: 1 }, IN: { a: [1] } } }],
    ['unknown operator', { filter: { LIKE: { a: 1 } } }],
    ['empty AND', { filter: { AND: [] } }],
    ['IN without array', { filter: { IN: { a: 1 } } }],
    ['EQ with two keys', { filter: { EQ: { a: 1, b: 2 } } }],
    ['bad sort order', { sort: [{ key: 'a', order: 'UP' }] }],
    ['negative limit', { page: { limit: -1 } }],
    ['foreign token', { page: { token: 'abc' } }],
  ])('rejects %s with kind query', (_label, q) => {
    expect(() => evaluateStateQuery(items, q as never)).toThrow(expect.objectContaining({ errorKind: 'query' }));
  });
});
