import { AppCallbackStatusError, TopicEventResponse_TopicEventResponseStatus as Status } from '@tessera/contracts';
import { bulkVerdictsFromGrpc, bulkVerdictsFromHttp, verdictFromError, verdictFromGrpc, verdictFromHttp } from './verdicts';

describe('verdictFromHttp (spec 3.4 table)', () => {
  it.each([
    [200, ''],
    [200, undefined],
    [204, ''],
    [200, 'not json'],
    [200, '{}'],
    [200, '{"status":""}'],
    [200, '{"status":null}'],
    [200, '[1,2]'],
    [200, '"SUCCESS"'],
    [200, '{"status":5}'],
    [200, '{"other":"x"}'],
    [201, '{"status":"SUCCESS"}'],
    [299, '{"status":"SUCCESS"}'],
  ])('%d %j -> success (ack)', (status, body) => {
    expect(verdictFromHttp(status, body).verdict).toBe('success');
  });
  it('reads a byte body', () => {
    expect(verdictFromHttp(200, Buffer.from('{"status":"DROP"}')).verdict).toBe('drop');
  });
  it('2xx RETRY -> retry', () => {
    expect(verdictFromHttp(200, '{"status":"RETRY"}')).toEqual({ verdict: 'retry', reason: 'the app asked to retry' });
  });
  it('2xx DROP -> drop', () => {
    expect(verdictFromHttp(202, '{"status":"DROP"}').verdict).toBe('drop');
  });
  it.each(['success', 'Retry', 'drop', 'OK', 'FAILED'])('2xx with unknown status %j (case-sensitive) -> retry', (s) => {
    const v = verdictFromHttp(200, JSON.stringify({ status: s }));
    expect(v.verdict).toBe('retry');
    expect(v.reason).toContain(JSON.stringify(s));
  });
  it('404 with any body -> drop', () => {
    expect(verdictFromHttp(404, '{"status":"SUCCESS"}').verdict).toBe('drop');
    expect(verdictFromHttp(404, '').verdict).toBe('drop');
  });
  it.each([100, 301, 304, 400, 401, 403, 405, 409, 429, 500, 502, 503, 0])('%d -> retry', (status) => {
    const v = verdictFromHttp(status, '{"status":"SUCCESS"}');
    expect(v.verdict).toBe('retry');
    expect(v.reason).not.toBe('');
  });
});

describe('verdictFromGrpc', () => {
  it.each([
    [Status.SUCCESS, 'success'],
    [Status.RETRY, 'retry'],
    [Status.DROP, 'drop'],
    [7, 'retry'],
    [-1, 'retry'],
  ])('status %d -> %s', (status, verdict) => {
    expect(verdictFromGrpc({ status }).verdict).toBe(verdict);
  });
  it('an empty response is SUCCESS (proto3 default)', () => {
    expect(verdictFromGrpc(undefined).verdict).toBe('success');
  });
});

describe('verdictFromError', () => {
  it('UNIMPLEMENTED from the app -> drop', () => {
    const v = verdictFromError(new AppCallbackStatusError(12, 'unknown service', '/dapr.proto.runtime.v1.AppCallback/OnTopicEvent'));
    expect(v.verdict).toBe('drop');
    expect(v.reason).toContain('unknown service');
  });
  it('a raw grpc-js UNIMPLEMENTED error -> drop', () => {
    expect(verdictFromError(Object.assign(new Error('12 UNIMPLEMENTED'), { code: 12, details: 'x', metadata: {} })).verdict).toBe('drop');
  });
  it.each([
    ['another gRPC status', new AppCallbackStatusError(13, 'boom', '/p')],
    ['UNAVAILABLE', new AppCallbackStatusError(14, 'down', '/p')],
    ['a connection error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a number code without gRPC shape', Object.assign(new Error('x'), { code: 12 })],
    ['a thrown string', 'oops'],
  ])('%s -> retry', (_name, e) => {
    expect(verdictFromError(e).verdict).toBe('retry');
  });
});

describe('bulkVerdictsFromHttp (spec 3.5)', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  it('reads each entry status; missing/empty/unknown/unlisted -> retry; foreign ids ignored', () => {
    const body = JSON.stringify({
      statuses: [
        { entryId: 'a', status: 'SUCCESS' },
        { entryId: 'b', status: 'DROP' },
        { entryId: 'c', status: '' },
        { entryId: 'd', status: 'WHATEVER' },
        { entryId: 'zzz', status: 'SUCCESS' },
        { entryId: 'e' },
        'junk',
      ],
    });
    const m = bulkVerdictsFromHttp(200, body, [...ids, 'f']);
    expect(Object.fromEntries([...m].map(([k, v]) => [k, v.verdict]))).toEqual({ a: 'success', b: 'drop', c: 'retry', d: 'retry', e: 'retry', f: 'retry' });
    expect(m.has('zzz')).toBe(false);
  });
  it('RETRY per entry', () => {
    expect(bulkVerdictsFromHttp(200, '{"statuses":[{"entryId":"a","status":"RETRY"}]}', ['a']).get('a')?.verdict).toBe('retry');
  });
  it.each(['', 'not json', '{}', '{"statuses":"x"}', '[]'])('2xx with unreadable body %j -> all retry', (body) => {
    const m = bulkVerdictsFromHttp(200, body, ids);
    expect([...m.values()].every((v) => v.verdict === 'retry')).toBe(true);
    expect(m.size).toBe(ids.length);
  });
  it('404 -> all drop', () => {
    expect([...bulkVerdictsFromHttp(404, '', ids).values()].every((v) => v.verdict === 'drop')).toBe(true);
  });
  it.each([0, 302, 400, 500, 503])('%d -> all retry', (status) => {
    expect([...bulkVerdictsFromHttp(status, '{"statuses":[{"entryId":"a","status":"SUCCESS"}]}', ids).values()].every((v) => v.verdict === 'retry')).toBe(true);
  });
});

describe('bulkVerdictsFromGrpc', () => {
  it('per entry; unknown enum and unlisted -> retry', () => {
    const m = bulkVerdictsFromGrpc(
      {
        statuses: [
          { entryId: 'a', status: Status.SUCCESS },
          { entryId: 'b', status: Status.RETRY },
          { entryId: 'c', status: Status.DROP },
          { entryId: 'd', status: 9 as Status },
          { entryId: 'x', status: Status.SUCCESS },
        ],
      },
      ['a', 'b', 'c', 'd', 'e'],
    );
    expect(Object.fromEntries([...m].map(([k, v]) => [k, v.verdict]))).toEqual({ a: 'success', b: 'retry', c: 'drop', d: 'retry', e: 'retry' });
  });
  it('no response -> all retry', () => {
    expect([...bulkVerdictsFromGrpc(undefined, ['a']).values()].map((v) => v.verdict)).toEqual(['retry']);
  });
});
