// The operation matcher of access control (semantics.md §11 step 6), a port of daprd's
// pkg/config/trie.go so a policy matches here exactly what it matches in Dapr. Operations are
// stored segment by segment ("/a/b/*" -> "/a", "/b", "/*"). At each level the first child in
// definition order that matches is taken — no backtracking — where a child matches when it is
//   the same literal segment; `*` when it is the last segment of the operation; `**` always
//   (and it matches everything below); or a glob-like segment whose `*` matches any characters.
// Consequences worth knowing (all daprd's):
//  - an earlier `/a/*` shadows a later `/a/b`; a duplicate operation keeps its first entry;
//  - a literal entry matches the operation itself and anything below it (`/a` matches `/a/b`);
//  - `/a/*` and `/a/**` also match `/a` itself.

export interface OperationEntry {
  /** The operation as stored: `/` prefixed, lower-cased in the HTTP trie. */
  readonly name: string;
  /** HTTP verb (upper case, or `*`) -> action. */
  readonly verbs: ReadonlyMap<string, string>;
  /** The action for gRPC callers ('' when the operation has none: denied). */
  readonly action: string;
}

interface Node {
  readonly segment: string;
  data: OperationEntry | undefined;
  readonly children: Node[];
}

const SINGLE = '/*';
const MULTI = '/**';

export class OperationTrie {
  private readonly root: Node = { segment: '/', data: undefined, children: [] };

  /** Adds an operation (already `/` prefixed and cased as the trie expects). */
  put(operation: string, entry: OperationEntry): void {
    const parts = operation.split('/');
    let node = this.root;
    for (let i = 1; i < parts.length; i++) {
      const segment = '/' + (parts[i] as string);
      const last = i === parts.length - 1;
      const existing = node.children.find((c) => c.segment === segment);
      if (existing === undefined) {
        const created: Node = { segment, data: last ? entry : undefined, children: [] };
        node.children.push(created);
        node = created;
      } else if (last) {
        existing.data ??= entry;
      } else {
        node = existing;
      }
    }
  }

  /** The entry matching a normalised operation, or undefined. */
  search(operation: string): OperationEntry | undefined {
    const parts = operation.split('/');
    let node: Node | undefined = this.root;
    for (let i = 1; i < parts.length; i++) {
      const last = i === parts.length - 1;
      node = findChild(node, '/' + (parts[i] as string), last);
      if (node === undefined) return undefined;
      if (node.data !== undefined) {
        // A `*` reached by an operation segment that is literally "*" only matches at the end.
        if (!last && node.segment.endsWith(SINGLE) && !node.segment.endsWith(MULTI)) continue;
        return node.data;
      }
      if (last) return findChild(node, SINGLE, true)?.data;
    }
    return undefined;
  }
}

function findChild(node: Node, segment: string, last: boolean): Node | undefined {
  for (const child of node.children) {
    if (child.segment === segment) return child;
    if (child.segment === SINGLE) {
      if (last) return child;
      continue;
    }
    if (child.segment === MULTI) return child;
    if (globMatch(segment, child.segment)) return child;
  }
  return undefined;
}

/** `*` in the pattern matches any run of characters, including none; nothing else is special. */
export function globMatch(text: string, pattern: string): boolean {
  // Classic two-pointer wildcard match with backtracking to the last `*`.
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
