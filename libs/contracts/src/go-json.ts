// JSON as Go's encoding/json writes a decoded `interface{}` value: object keys sorted (Go maps
// marshal in key order, by UTF-8 bytes), `<`, `>`, `&`, U+2028 and U+2029 escaped as \u003c ...,
// lone surrogates replaced by U+FFFD. Numbers, literals and other escapes already match
// JSON.stringify (same float64 shortest form and exponent thresholds). daprd re-marshals a binding
// request's `data` and an input-binding answer's `data` this way before a component sees them
// (the HTTP edge and the bindings block both do).
const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function write(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.replace(LONE_SURROGATE, '\ufffd'));
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort(byUtf8);
    return `{${keys.map((k) => `${JSON.stringify(k.replace(LONE_SURROGATE, '\ufffd'))}:${write(o[k])}`).join(',')}}`;
  }
  return 'null';
}

/** `value` (as JSON.parse returned it) marshalled as Go's json.Marshal would. */
export function goJsonMarshal(value: unknown): string {
  return write(value).replace(HTML_UNSAFE, escapeChar);
}
