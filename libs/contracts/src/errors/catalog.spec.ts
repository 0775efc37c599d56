// Every error factory answers with a code, status and gRPC code from Dapr's catalog.
import { ApiError } from './api-error';
import { ERROR_CATALOG, matchesCatalog } from './catalog';
import { CommonErrors } from './common.errors';
import { StateErrors } from './state.errors';

const samples: Array<[string, ApiError]> = [
  ['malformedRequest', CommonErrors.malformedRequest('m', 'f')],
  ['bodyRead', CommonErrors.bodyRead('m')],
  ['badRequest', CommonErrors.badRequest('m')],
  ['unimplemented', CommonErrors.unimplemented('b', 'a')],
  ['internal', CommonErrors.internal('m')],
  ['directInvokeNoAppId', CommonErrors.directInvokeNoAppId()],
  ['healthNotReady', CommonErrors.healthNotReady(['x'])],
  ['healthAppIdNotMatch', CommonErrors.healthAppIdNotMatch()],
  ['outboundHealthNotReady', CommonErrors.outboundHealthNotReady()],
  ['state.notConfigured', StateErrors.notConfigured('a')],
  ['state.notFound', StateErrors.notFound('s', 'a')],
  ['state.illegalKey', StateErrors.illegalKey('k', 's', 'a')],
  ['state.get', StateErrors.get('k', 's', 'c')],
  ['state.bulkGet', StateErrors.bulkGet('s', 'c')],
  ['state.save', StateErrors.save('s', 'c')],
  ['state.delete', StateErrors.delete('k', 'c')],
  ['state.bulkDelete', StateErrors.bulkDelete('c')],
  ['state.etagMismatch save', StateErrors.etagMismatch('SAVE', 'm')],
  ['state.etagMismatch delete', StateErrors.etagMismatch('DELETE', 'm')],
  ['state.etagInvalid save', StateErrors.etagInvalid('SAVE', 'm')],
  ['state.transaction', StateErrors.transaction('c')],
  ['state.operationNotSupported', StateErrors.operationNotSupported('x')],
  ['state.transactionsNotSupported', StateErrors.transactionsNotSupported('s', 'a')],
  ['state.queryNotSupported', StateErrors.queryNotSupported('s', 'a')],
  ['state.tooManyTransactions', StateErrors.tooManyTransactions('s', 'a', 3, 2)],
  ['state.query', StateErrors.query('s', 'c', 'a')],
];

describe('error catalog', () => {
  it.each(samples)('%s answers as daprd does', (_name, e) => {
    expect(ERROR_CATALOG[e.code]).toBeDefined();
    expect(matchesCatalog(e.code, e.httpStatus, e.grpcCode)).toBe(true);
    if (ERROR_CATALOG[e.code]?.rich && e.code !== 'ERR_MALFORMED_REQUEST') expect(e.details.length).toBeGreaterThan(0);
  });

  it('bodyTooLarge is the one deliberate extension: ERR_BODY_READ with 413', () => {
    const e = CommonErrors.bodyTooLarge(10);
    expect(e.code).toBe('ERR_BODY_READ');
    expect(e.httpStatus).toBe(413);
  });
});
