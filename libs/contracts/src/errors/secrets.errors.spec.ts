// Every secrets error factory answers with the code, HTTP status and gRPC code of Dapr's catalog,
// worded as daprd's predefined secret errors.
import type { ApiError } from './api-error';
import { ERROR_CATALOG, matchesCatalog } from './catalog';
import { SecretsErrors } from './secrets.errors';

const samples: Array<[string, ApiError]> = [
  ['notConfigured', SecretsErrors.notConfigured()],
  ['notFound', SecretsErrors.notFound('s')],
  ['permissionDenied', SecretsErrors.permissionDenied('k', 's')],
  ['get', SecretsErrors.get('k', 's', 'c')],
  ['bulkGet', SecretsErrors.bulkGet('s', 'c')],
];

describe('secrets errors', () => {
  it.each(samples)('%s answers as daprd does', (_name, e) => {
    expect(ERROR_CATALOG[e.code]).toBeDefined();
    expect(matchesCatalog(e.code, e.httpStatus, e.grpcCode)).toBe(true);
    expect(e.details).toEqual([]);
  });

  it('answers 401 for an unknown store, as daprd does', () => {
    const e = SecretsErrors.notFound('vault');
    expect(e.httpStatus).toBe(401);
    expect(e.toJSON()).toEqual({ errorCode: 'ERR_SECRET_STORE_NOT_FOUND', message: 'failed finding secret store with key vault' });
  });

  it("words the messages as daprd's predefined secret errors", () => {
    expect(SecretsErrors.notConfigured().message).toBe('secret store is not configured');
    expect(SecretsErrors.permissionDenied('db "pw"', 'vault').message).toBe('access denied by policy to get "db \\"pw\\"" from "vault"');
    expect(SecretsErrors.get('k', 'vault', 'secret k not found').message).toBe('failed getting secret with key k from secret store vault: secret k not found');
    expect(SecretsErrors.bulkGet('vault', 'boom').message).toBe('failed getting secrets from secret store vault: boom');
  });

  it('marks bad input as not retryable, component failures as retryable', () => {
    for (const e of [SecretsErrors.notConfigured(), SecretsErrors.notFound('s'), SecretsErrors.permissionDenied('k', 's'), SecretsErrors.get('k', 's', 'c', false)]) {
      expect(e.retryable).toBe(false);
    }
    expect(SecretsErrors.get('k', 's', 'c').retryable).toBe(true);
    expect(SecretsErrors.bulkGet('s', 'c').retryable).toBe(true);
  });
});
