// Every configuration error factory answers with the code, HTTP status and gRPC code of Dapr's
// catalog, and with daprd's wording.
import type { ApiError } from './api-error';
import { GrpcCode } from './api-error';
import { ERROR_CATALOG, matchesCatalog } from './catalog';
import { ConfigurationErrors } from './configuration.errors';

const samples: Array<[string, ApiError]> = [
  ['notConfigured', ConfigurationErrors.notConfigured()],
  ['notFound', ConfigurationErrors.notFound('s')],
  ['get', ConfigurationErrors.get(['a'], 's', 'c')],
  ['subscribe', ConfigurationErrors.subscribe([], 's', 'c')],
  ['unsubscribe', ConfigurationErrors.unsubscribe('id', 'c')],
  ['appChannelNil', ConfigurationErrors.appChannelNil()],
];

describe('configuration errors', () => {
  it.each(samples)('%s answers as daprd does', (_name, e) => {
    expect(ERROR_CATALOG[e.code]).toBeDefined();
    expect(matchesCatalog(e.code, e.httpStatus, e.grpcCode)).toBe(true);
    expect(e.details).toEqual([]); // daprd's legacy errors: no rich details
  });

  it("words the messages as daprd's", () => {
    expect(ConfigurationErrors.notConfigured().message).toBe('configuration stores not configured');
    expect(ConfigurationErrors.notFound('cfg').message).toBe('configuration store cfg not found');
    expect(ConfigurationErrors.get(['a', 'b'], 'cfg', 'boom').message).toBe('failed to get [a b] from Configuration store cfg: boom');
    expect(ConfigurationErrors.subscribe([], 'cfg', 'boom').message).toBe('failed to subscribe [] from Configuration store cfg: boom');
    expect(ConfigurationErrors.unsubscribe('42', 'gone').message).toBe('failed to unsubscribe to configuration request 42: gone');
    expect(ConfigurationErrors.appChannelNil().message).toBe('app channel is not initialized. cannot subscribe to configuration updates');
  });

  it('lookup failures are terminal; component failures may be retried', () => {
    expect([ConfigurationErrors.notFound('s').retryable, ConfigurationErrors.notConfigured().retryable]).toEqual([false, false]);
    expect(ConfigurationErrors.get([], 's', 'c')).toMatchObject({ retryable: true, grpcCode: GrpcCode.INTERNAL, httpStatus: 500 });
  });
});
