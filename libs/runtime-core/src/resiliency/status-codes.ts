// `retries.<name>.matching`: which HTTP status codes / gRPC codes a retry policy retries.
// "500,502-504" is a comma list of codes and inclusive ranges; empty entries are ignored; an unset
// or empty list means "retry every failure of that protocol" (dapr/dapr pkg/resiliency/retry.go).

export interface CodeRange {
  readonly start: number;
  readonly end: number;
}

export const HTTP_CODE_RANGE: CodeRange = { start: 100, end: 599 };
export const GRPC_CODE_RANGE: CodeRange = { start: 0, end: 16 };

/**
 * Parses a code list. Returns undefined for "" (no filter).
 * @throws Error whose message says which entry is wrong and why.
 */
export function parseCodeRanges(text: string, valid: CodeRange): readonly CodeRange[] | undefined {
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) return undefined;
  return entries.map((entry) => {
    const parts = entry.split('-');
    if (parts.length > 2) throw new Error(`invalid entry "${entry}": more than one "-"`);
    const [startText = '', endText = startText] = parts;
    const start = parseCode(startText, entry, valid);
    const end = parseCode(endText, entry, valid);
    if (end < start) throw new Error(`invalid entry "${entry}": the range starts after it ends`);
    return { start, end };
  });
}

function parseCode(text: string, entry: string, valid: CodeRange): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new Error(`invalid entry "${entry}": "${t}" is not a number`);
  const n = Number(t);
  if (n < valid.start || n > valid.end) throw new Error(`invalid entry "${entry}": ${n} is outside ${valid.start}-${valid.end}`);
  return n;
}

/** True when `code` is listed, or when there is no list. */
export function codeMatches(ranges: readonly CodeRange[] | undefined, code: number): boolean {
  if (ranges === undefined) return true;
  for (const r of ranges) if (code >= r.start && code <= r.end) return true;
  return false;
}
