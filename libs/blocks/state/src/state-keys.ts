// Dapr's stored-key layout (spec/http-api.md section 2): `<prefix>||<key>` by keyPrefix rule.
import type { CallContext } from '@tessera/contracts';
import type { StateStoreEntry } from './state-stores';

export const KEY_SEPARATOR = '||';

/** The prefix (including the trailing `||`, or '') for `entry` and the caller. */
export function keyPrefixFor(entry: StateStoreEntry, ctx: CallContext): string {
  switch (entry.keyPrefix.toLowerCase()) {
    case '':
    case 'appid':
      return ctx.appId ? ctx.appId + KEY_SEPARATOR : '';
    case 'name':
      return entry.name + KEY_SEPARATOR;
    case 'namespace':
      if (ctx.namespace) return `${ctx.namespace}.${ctx.appId}${KEY_SEPARATOR}`;
      return ctx.appId ? ctx.appId + KEY_SEPARATOR : '';
    case 'none':
      return '';
    default:
      return entry.keyPrefix + KEY_SEPARATOR;
  }
}

/** Everything after the first `||`, as Dapr strips prefixes from returned keys. */
export function stripKeyPrefix(storedKey: string): string {
  const i = storedKey.indexOf(KEY_SEPARATOR);
  return i < 0 ? storedKey : storedKey.slice(i + KEY_SEPARATOR.length);
}
