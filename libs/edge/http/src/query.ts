// Query-string conventions: `metadata.<k>=<v>` becomes component metadata (first value wins).
export type Query = Record<string, string | string[] | undefined>;

export function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

export function metadataFromQuery(q: Query | undefined): Record<string, string> {
  if (!q) return EMPTY as Record<string, string>;
  let out: Record<string, string> | undefined;
  for (const k in q) {
    if (k.startsWith('metadata.') && k.length > 9) {
      const v = first(q[k]);
      if (v !== undefined) (out ??= {})[k.slice(9)] = v;
    }
  }
  return out ?? (EMPTY as Record<string, string>);
}
