// Dapr's layout of configuration items in Redis (components.md 5.12) and the keyspace
// notifications subscriptions listen to. Pure functions, unit-tested on their own.

/** Value and version of a stored string `<value>` or `<value>||<version>` (Go strings.Split). */
export function parseItemValue(raw: string): { value: string; version: string } {
  const parts = raw.split('||');
  return { value: parts[0] ?? '', version: parts.length > 1 ? (parts[1] ?? '') : '' };
}

/** The string Dapr's layout stores for an item. */
export function formatItemValue(value: string, version: string): string {
  return version === '' ? value : `${value}||${version}`;
}

/** The keyspace channel of `key` in database `db` (`__keyspace@<db>__:<key>`). */
export function keyspaceChannel(db: number, key: string): string {
  return `__keyspace@${db}__:${key}`;
}

/** The pattern of every key's keyspace channel in `db`. */
export function keyspacePattern(db: number): string {
  return `__keyspace@${db}__:*`;
}

/** The key a keyspace channel of `db` is about, or undefined for another channel. */
export function keyOfChannel(db: number, channel: string): string | undefined {
  const prefix = `__keyspace@${db}__:`;
  return channel.startsWith(prefix) ? channel.slice(prefix.length) : undefined;
}

/**
 * Keyspace events a subscription needs: K (keyspace channels) for string writes ($), generic
 * commands (g: DEL, RENAME, EXPIRE...), expirations (x) and evictions (e). 'A' covers the last four.
 */
const NEEDED_CLASSES = ['$', 'g', 'x', 'e'] as const;

/**
 * The `notify-keyspace-events` value to set so subscriptions see changes, keeping every flag
 * already on; undefined when the current value is enough.
 */
export function keyspaceFlagsToSet(current: string): string | undefined {
  const missing: string[] = [];
  if (!current.includes('K')) missing.push('K');
  if (!current.includes('A')) for (const c of NEEDED_CLASSES) if (!current.includes(c)) missing.push(c);
  return missing.length === 0 ? undefined : current + missing.join('');
}
