// Reading decoded YAML the way Dapr's Go decoder does: a field matches its exact name first,
// then any key equal ignoring case (`auth.secretstore` == `auth.secretStore`).

export type YamlMap = Record<string, unknown>;

export function isMap(v: unknown): v is YamlMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value of `name` in `obj`, matched case-insensitively when there is no exact key. */
export function field(obj: YamlMap, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** True when `name` is present (even with a null value). */
export function hasField(obj: YamlMap, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(obj).some((k) => k.toLowerCase() === lower);
}

/** How a value is shown after "got" in an error message. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (isMap(v)) return 'a mapping';
  return String(v);
}

/**
 * A metadata `value` as Dapr stores it: strings as they are, other scalars in their JSON text,
 * lists and mappings as JSON, null as "".
 */
export function stringifyValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}
