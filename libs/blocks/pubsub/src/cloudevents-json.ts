// Exact-text JSON helpers for CloudEvent envelopes. JSON numbers must reach the app as they were
// published (a 20-digit id must not become 12345678901234567000), so envelopes are assembled
// from the members' original text instead of JSON.parse + JSON.stringify. Every function here
// expects text that JSON.parse already accepted; none of them validates on its own.
//
//   compactJson(text)        the same JSON without insignificant whitespace
//   objectMembers(text)      [key, raw value text][] of a top-level object (undefined otherwise);
//                            a key given twice keeps its last value at its first position, as
//                            JSON.parse does
//   memberText(text, key)    the raw text of one top-level member, or undefined
//   writeObject(members)     `{"k":<raw>,...}` from [key, raw value text] pairs

const WS = new Set([' ', '\t', '\r', '\n']);
const HAS_WS = /[ \t\r\n]/;

/** The JSON text without whitespace outside strings. */
export function compactJson(text: string): string {
  if (!HAS_WS.test(text)) return text;
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \\ */) i += 2;
        else if (d === 34) break;
        else i++;
      }
      i++;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (i > start) parts.push(text.slice(start, i));
      while (i < n && isWs(text.charCodeAt(i))) i++;
      start = i;
    } else {
      i++;
    }
  }
  if (start < n) parts.push(text.slice(start));
  return parts.join('');
}

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Index just past the string starting at `i` (text[i] === '"'). */
function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const d = s[j];
    if (d === '\\') j++;
    else if (d === '"') return j + 1;
  }
  return s.length;
}

/** Index just past the JSON value starting at `i` (no leading whitespace). */
function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return skipString(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') j = skipString(s, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return s.length;
  }
  let j = i;
  while (j < s.length && !',}] \t\r\n'.includes(s[j] as string)) j++;
  return j;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && WS.has(s[i] as string)) i++;
  return i;
}

/** The top-level members of a JSON object text, in order; undefined when it is not an object. */
export function objectMembers(text: string): Array<[string, string]> | undefined {
  let i = skipWs(text, 0);
  if (text[i] !== '{') return undefined;
  const out: Array<[string, string]> = [];
  const at = new Map<string, number>();
  i = skipWs(text, i + 1);
  while (i < text.length && text[i] !== '}') {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // ':'
    const end = skipValue(text, i);
    const raw = text.slice(i, end);
    const prev = at.get(key);
    if (prev === undefined) {
      at.set(key, out.length);
      out.push([key, raw]);
    } else {
      (out[prev] as [string, string])[1] = raw;
    }
    i = skipWs(text, end);
    if (text[i] === ',') i = skipWs(text, i + 1);
  }
  return out;
}

/** The raw text of the top-level member `key` of a JSON object text. */
export function memberText(text: string, key: string): string | undefined {
  const members = objectMembers(text);
  if (members === undefined) return undefined;
  for (const [k, v] of members) if (k === key) return v;
  return undefined;
}

/** A JSON object text from [key, raw JSON value text] pairs. */
export function writeObject(members: Iterable<readonly [string, string]>): string {
  let out = '{';
  let first = true;
  for (const [k, v] of members) {
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + v;
    first = false;
  }
  return out + '}';
}
