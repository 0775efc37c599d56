import { globMatch, OperationTrie, type OperationEntry } from './operation-trie';

const entry = (name: string): OperationEntry => ({ name, verbs: new Map(), action: 'allow' });

function trie(...ops: string[]): OperationTrie {
  const t = new OperationTrie();
  for (const op of ops) t.put(op, entry(op));
  return t;
}

describe('OperationTrie', () => {
  it.each<[string, string[], string, string | undefined]>([
    ['exact match', ['/api/v1/state'], '/api/v1/state', '/api/v1/state'],
    ['no match', ['/api/v1/state'], '/api/v1/other', undefined],
    ['empty trie', [], '/api/v1/state', undefined],
    ['* matches one trailing segment', ['/api/v1/*'], '/api/v1/foo', '/api/v1/*'],
    ['* does not match two segments', ['/api/v1/*'], '/api/v1/foo/bar', undefined],
    ['* also matches the bare parent', ['/api/v1/*'], '/api/v1', '/api/v1/*'],
    ['* in the middle never matches', ['/api/*/state'], '/api/v1/state', undefined],
    ['** matches all remaining segments', ['/api/**'], '/api/anything/nested/deep', '/api/**'],
    ['** matches one segment', ['/api/**'], '/api/v1', '/api/**'],
    ['** matches the bare parent', ['/api/**'], '/api', '/api/**'],
    ['a literal entry matches what is below it', ['/api'], '/api/v1/state', '/api'],
    ['glob segment', ['/files/img-*.png'], '/files/img-cat.png', '/files/img-*.png'],
    ['glob segment, no match', ['/files/img-*.png'], '/files/img-cat.jpg', undefined],
    ['glob segment with several stars', ['/v*/st*e'], '/v1/state', '/v*/st*e'],
    ['an earlier wildcard shadows a later literal', ['/api/v1/*', '/api/v1/state'], '/api/v1/state', '/api/v1/*'],
    ['an earlier literal wins over a later wildcard', ['/api/v1/state', '/api/v1/*'], '/api/v1/state', '/api/v1/state'],
    ['the first matching sibling is taken, no backtracking', ['/a/*/c', '/a/b/c'], '/a/b/c', '/a/b/c'],
    ['no backtracking after a glob sibling', ['/a/b*/x', '/a/bc/y'], '/a/bc/y', undefined],
    ['root operation', ['/'], '/', '/'],
    ['case is kept (the caller lower-cases for HTTP)', ['/API'], '/api', undefined],
  ])('%s', (_what, ops, op, expected) => {
    expect(trie(...ops).search(op)?.name).toBe(expected);
  });

  it('keeps the first entry of a duplicate operation', () => {
    const t = new OperationTrie();
    const first = entry('/a');
    t.put('/a', first);
    t.put('/a', entry('/a'));
    expect(t.search('/a')).toBe(first);
  });
});

describe('globMatch', () => {
  it.each<[string, string, boolean]>([
    ['/abc', '/abc', true],
    ['/abc', '/a*', true],
    ['/a', '/a*', true],
    ['/abc', '/*c', true],
    ['/abc', '/a*c', true],
    ['/abxc', '/a*c', true],
    ['/ab', '/a*c', false],
    ['/abcbc', '/a*bc', true],
    ['/abc', '/x*', false],
    ['/abc', '/ab', false],
  ])('%s ~ %s = %s', (text, pattern, result) => {
    expect(globMatch(text, pattern)).toBe(result);
  });
});
