// Dapr's stored lock-key layout (spec/http-api.md 8; dapr/dapr pkg/components/lock): every key
// starts with `lock||`, then the keyPrefix strategy's part:
//   appid (default)  lock||<appId>||<resourceId>   (lock||<resourceId> when the app id is empty)
//   name             lock||<storeName>||<resourceId>
//   none             lock||<resourceId>
//   anything else    lock||<that value, lower-cased>||<resourceId>
// As in daprd, the strategy is lower-cased whole (a custom prefix too), and `||` is refused in both
// the prefix (at load) and the resource id (per call). There is no `namespace` strategy for locks.

export const LOCK_KEY_SEPARATOR = '||';
const API_PREFIX = 'lock';

export class IllegalLockKeyError extends Error {
  readonly kind = 'tessera.illegal-lock-key' as const;
  constructor(key: string) {
    super(`input key/keyPrefix '${key}' can't contain '${LOCK_KEY_SEPARATOR}'`);
    this.name = 'IllegalLockKeyError';
  }
}

/** The strategy for a store's `keyPrefix` metadata; throws IllegalLockKeyError on `||`. */
export function lockKeyStrategy(keyPrefix: string | undefined): string {
  if (keyPrefix === undefined || keyPrefix === '') return 'appid';
  if (keyPrefix.includes(LOCK_KEY_SEPARATOR)) throw new IllegalLockKeyError(keyPrefix);
  return keyPrefix.toLowerCase();
}

/** The key the component stores; throws IllegalLockKeyError when `resourceId` contains `||`. */
export function lockKey(strategy: string, storeName: string, appId: string, resourceId: string): string {
  if (resourceId.includes(LOCK_KEY_SEPARATOR)) throw new IllegalLockKeyError(resourceId);
  const sep = LOCK_KEY_SEPARATOR;
  switch (strategy) {
    case 'none':
      return `${API_PREFIX}${sep}${resourceId}`;
    case 'name':
      return `${API_PREFIX}${sep}${storeName}${sep}${resourceId}`;
    case 'appid':
      return appId === '' ? `${API_PREFIX}${sep}${resourceId}` : `${API_PREFIX}${sep}${appId}${sep}${resourceId}`;
    default:
      return `${API_PREFIX}${sep}${strategy}${sep}${resourceId}`;
  }
}
