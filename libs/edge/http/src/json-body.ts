// Strict decoding of Dapr's JSON request bodies: the wrong type in a field answers
// ERR_MALFORMED_REQUEST naming the field, as Go's decoder does in daprd, never a crash.
import { CommonErrors } from '@tessera/contracts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function parseJsonBody(body: Buffer | undefined): Json {
  if (!body || body.length === 0) throw CommonErrors.malformedRequest('failed deserializing HTTP body: body is empty');
  try {
    return JSON.parse(body.toString('utf8')) as Json;
  } catch (e) {
    throw CommonErrors.malformedRequest(`failed deserializing HTTP body: ${(e as Error).message}`);
  }
}

export function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function expectObject(v: Json | undefined, field: string): { [k: string]: Json } {
  if (!isObject(v)) throw CommonErrors.malformedRequest(`failed deserializing HTTP body: ${field} must be a JSON object`, field);
  return v;
}

export function optString(v: Json | undefined, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw CommonErrors.malformedRequest(`failed deserializing HTTP body: ${field} must be a string`, field);
  return v;
}

/** A map<string,string>; Dapr's decoder refuses non-string values. */
export function optStringMap(v: Json | undefined, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw CommonErrors.malformedRequest(`failed deserializing HTTP body: ${field} must be an object of strings`, field);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') {
      throw CommonErrors.malformedRequest(`failed deserializing HTTP body: ${field}.${k} must be a string`, `${field}.${k}`);
    }
    out[k] = val;
  }
  return out;
}
