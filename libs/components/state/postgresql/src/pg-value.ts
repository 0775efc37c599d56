// Value encoding of Dapr's v1 table: the `value` column is jsonb. JSON text is stored as itself
// (isbinary = false); anything else - invalid UTF-8, non-JSON, or JSON that jsonb cannot hold
// (\u0000, unpaired surrogates) - is stored as a JSON string of its base64 with isbinary = true,
// which is also how Dapr stores byte values. jsonb re-serialises JSON, so JSON values read back
// semantically equal, not byte-identical (Dapr behaves the same way).
import { isUtf8 } from 'node:buffer';

export interface EncodedValue {
  /** Text for a `$n::jsonb` parameter. */
  readonly json: string;
  readonly isBinary: boolean;
}

export function encodeValue(value: Buffer): EncodedValue {
  if (value.length > 0 && isUtf8(value)) {
    const text = value.toString('utf8');
    if (fitsJsonb(text)) return { json: text, isBinary: false };
  }
  return { json: JSON.stringify(value.toString('base64')), isBinary: true };
}

/** Bytes of a row's `value::text`. */
export function decodeValue(text: string, isBinary: boolean): Buffer {
  if (!isBinary) return Buffer.from(text, 'utf8');
  const b64: unknown = JSON.parse(text);
  if (typeof b64 !== 'string') throw new Error('binary value is not a base64 JSON string');
  return Buffer.from(b64, 'base64');
}

function fitsJsonb(text: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  // Only escapes can smuggle in what jsonb rejects; valid UTF-8 cannot carry lone surrogates.
  return !text.includes('\\u') || storable(parsed);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const badText = (s: string): boolean => s.includes('\u0000') || LONE_SURROGATE.test(s);

function storable(v: unknown): boolean {
  if (typeof v === 'string') return !badText(v);
  if (Array.isArray(v)) return v.every(storable);
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (badText(k) || !storable(x)) return false;
  }
  return true;
}
