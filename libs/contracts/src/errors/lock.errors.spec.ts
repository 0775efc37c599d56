// Every lock error factory answers with the code, HTTP status and gRPC code of Dapr's catalog.
import type { ApiError } from './api-error';
import { ERROR_CATALOG, matchesCatalog } from './catalog';
import { LOCK_MAX_FIELD_BYTES, LockErrors } from './lock.errors';

const samples: Array<[string, ApiError]> = [
  ['notConfigured', LockErrors.notConfigured()],
  ['notFound', LockErrors.notFound('s')],
  ['expiryNotPositive', LockErrors.expiryNotPositive('s')],
  ['resourceIdEmpty', LockErrors.resourceIdEmpty('s')],
  ['lockOwnerEmpty', LockErrors.lockOwnerEmpty('s')],
  ['fieldTooLong', LockErrors.fieldTooLong('LockOwner', 5000, 's')],
  ['tryLock', LockErrors.tryLock('c')],
  ['unlock', LockErrors.unlock('c')],
];

describe('lock errors', () => {
  it.each(samples)('%s answers as daprd does', (_name, e) => {
    expect(ERROR_CATALOG[e.code]).toBeDefined();
    expect(matchesCatalog(e.code, e.httpStatus, e.grpcCode)).toBe(true);
    // Lock errors are daprd's legacy ("predefined") errors: no rich details.
    expect(e.details).toEqual([]);
  });

  it("words the messages as daprd's predefined lock errors", () => {
    expect(LockErrors.notConfigured().message).toBe('lock store is not configured');
    expect(LockErrors.notFound('abc').message).toBe('lock store abc not found');
    expect(LockErrors.expiryNotPositive('abc').message).toBe('ExpiryInSeconds is not positive in lock store abc');
    expect(LockErrors.resourceIdEmpty('abc').message).toBe('ResourceId is empty in lock store abc');
    expect(LockErrors.lockOwnerEmpty('abc').message).toBe('LockOwner is empty in lock store abc');
    expect(LockErrors.tryLock('boom').message).toBe('failed to try acquiring lock: boom');
    expect(LockErrors.unlock('boom').message).toBe('failed to release lock: boom');
    expect(LockErrors.fieldTooLong('ResourceId', 5000, 'abc').message).toContain(`at most ${LOCK_MAX_FIELD_BYTES} bytes`);
  });

  it('marks bad input and illegal keys as not retryable, component failures as retryable', () => {
    for (const e of [LockErrors.notConfigured(), LockErrors.notFound('s'), LockErrors.expiryNotPositive('s'), LockErrors.fieldTooLong('LockOwner', 1, 's')]) {
      expect(e.retryable).toBe(false);
    }
    expect(LockErrors.tryLock('c').retryable).toBe(true);
    expect(LockErrors.tryLock('c', false).retryable).toBe(false);
    expect(LockErrors.unlock('c', false).retryable).toBe(false);
  });
});
