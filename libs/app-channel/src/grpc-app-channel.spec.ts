// GrpcAppChannel against a real @grpc/grpc-js app (AppCallbackService from @tessera/contracts).
import * as grpc from '@grpc/grpc-js';
import { GrpcCode, HTTPExtension_Verb, isApiError } from '@tessera/contracts';
import { GrpcAppChannel } from './grpc-app-channel';
import { createAppChannel } from './create-app-channel';
import { ERROR_INFO_TYPE, startGrpcTestApp, type GrpcTestApp } from '../test/grpc-test-app';
import { ctx, freePort, invokeReq, until } from '../test/helpers';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('GrpcAppChannel', () => {
  let app: GrpcTestApp;
  let channel: GrpcAppChannel;

  beforeAll(async () => {
    app = await startGrpcTestApp();
    channel = new GrpcAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port, appApiToken: 'app-secret' });
  });
  afterAll(async () => {
    await channel.close();
    await app.close();
  });
  beforeEach(() => {
    app.calls.length = 0;
  });

  it('calls AppCallback.OnInvoke and returns the answer with OK, headers and trailers', async () => {
    const bin = Buffer.from([0, 1, 2, 250, 255, 0]);
    const res = await channel.invokeMethod(invokeReq({ method: 'echo', body: bin, contentType: 'application/octet-stream' }), ctx());
    expect(res.status).toEqual({ code: 0, message: '', details: [] });
    expect(res.message?.data?.value.equals(bin)).toBe(true);
    expect(res.message?.contentType).toBe('application/octet-stream');
    expect(res.headers['x-seen-token']?.values).toEqual(['app-secret']);
    expect(res.trailers['x-trailer']?.values).toEqual(['done']);
    expect(res.trailers['x-trailer-bin']?.values).toEqual([Buffer.from([1, 2, 3]).toString('base64')]);
    expect(res.headers['content-type']).toBeUndefined(); // the gRPC hop's application/grpc
  });

  it('passes http_extension, content type and caller metadata (binary, multi-valued) to the app', async () => {
    const res = await channel.invokeMethod(
      invokeReq({
        method: 'describe',
        verb: HTTPExtension_Verb.PUT,
        query: 'a=1&b=2',
        contentType: 'application/json',
        body: '{}',
        headers: {
          'x-custom': ['1', '2'],
          'x-thing-bin': Buffer.from([1, 2, 3]).toString('base64'),
          'dapr-caller-app-id': 'caller',
          'dapr-api-token': 'caller-dapr-token',
          'dapr-app-id': 'app',
          ':authority': 'pseudo',
          'bad name': 'x',
          connection: 'keep-alive',
          'content-type': 'text/caller',
          'grpc-timeout': '5S',
          'x-non-ascii': 'caf\u00e9',
          traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
        },
      }),
      ctx({ traceparent: TRACEPARENT, tracestate: 'k=v' }),
    );
    expect(res.status?.code).toBe(0);
    const seen = JSON.parse(res.message?.data?.value.toString() ?? '{}') as {
      verb: number;
      querystring: string;
      contentType: string;
      metadata: Record<string, string[]>;
    };
    expect(seen.verb).toBe(HTTPExtension_Verb.PUT);
    expect(seen.querystring).toBe('a=1&b=2');
    expect(seen.contentType).toBe('application/json');
    const md = seen.metadata;
    expect(md['x-custom']).toEqual(['1, 2']); // two entries on the wire; node's HTTP/2 server joins them
    expect(md['x-thing-bin']).toEqual(['bin:010203']);
    expect(md['dapr-caller-app-id']).toEqual(['caller']);
    expect(md['dapr-api-token']).toEqual(['app-secret']);
    expect(md['traceparent']).toEqual([TRACEPARENT]);
    expect(md['tracestate']).toEqual(['k=v']);
    expect(md['dapr-app-id']).toBeUndefined();
    expect(md['bad name']).toBeUndefined();
    expect(md['connection']).toBeUndefined();
    expect(md['x-non-ascii']).toBeUndefined();
    expect(md['content-type'] ?? []).not.toContain('text/caller');
    expect(md['grpc-timeout'] ?? []).not.toContain('5S');
  });

  it('resolves (not rejects) with the gRPC error status the app returned, details decoded', async () => {
    const res = await channel.invokeMethod(invokeReq({ method: 'fail' }), ctx());
    expect(res.status?.code).toBe(grpc.status.NOT_FOUND);
    expect(res.status?.message).toBe('no such order');
    expect(res.status?.details).toEqual([{ typeUrl: ERROR_INFO_TYPE, value: Buffer.from('reason-bytes') }]);
    expect(res.trailers['grpc-status-details-bin']).toBeDefined();
    expect(res.message).toBeUndefined();
  });

  it("passes the app's own UNAVAILABLE through as an answer", async () => {
    const res = await channel.invokeMethod(invokeReq({ method: 'unavailable' }), ctx());
    expect(res.status?.code).toBe(grpc.status.UNAVAILABLE);
    expect(res.status?.message).toBe('app is draining');
  });

  it('cancels the call when the caller aborts', async () => {
    const ac = new AbortController();
    const before = app.slow.total;
    const p = rejection(channel.invokeMethod(invokeReq({ method: 'slow' }), ctx({ signal: ac.signal })));
    await app.waitForSlow(before + 1);
    ac.abort();
    const e = await p;
    expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.CANCELLED);
    await until(() => app.slow.active === 0, 5000, 'the app to see the cancellation');
  });

  it('rejects with DEADLINE_EXCEEDED when the deadline passes', async () => {
    const before = app.slow.total;
    const p = rejection(channel.invokeMethod(invokeReq({ method: 'slow' }), ctx({ deadline: Date.now() + 150 })));
    await app.waitForSlow(before + 1);
    const e = await p;
    expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.DEADLINE_EXCEEDED);
    await until(() => app.slow.active === 0, 5000, 'the app to see the deadline');
  });

  it('callRaw forwards an arbitrary unary method with bytes untouched', async () => {
    const md = new grpc.Metadata();
    md.set('x-in', '1');
    md.set('dapr-api-token', 'caller-dapr-token');
    const out = await channel.callRaw('/test.Raw/Echo', Buffer.from('abc'), md, ctx({ traceparent: TRACEPARENT }));
    expect(out.status.code).toBe(grpc.status.OK);
    expect(out.response.toString()).toBe('echo:abc');
    expect(out.metadata.get('x-raw')).toEqual(['yes']);
    const seen = app.calls[0]?.metadata ?? {};
    expect(seen['x-in']).toEqual(['1']);
    expect(seen['dapr-api-token']).toEqual(['app-secret']);
    expect(seen['traceparent']).toEqual([TRACEPARENT]);
    expect(md.get('dapr-api-token')).toEqual(['caller-dapr-token']); // the caller's copy is untouched
  });

  it('callRaw resolves with the status of a failing or unknown method', async () => {
    const denied = await channel.callRaw('/test.Raw/Echo', Buffer.from('fail'), new grpc.Metadata(), ctx());
    expect(denied.status).toEqual({ code: grpc.status.PERMISSION_DENIED, details: 'raw denied' });
    expect(denied.response.length).toBe(0);
    const unknown = await channel.callRaw('/test.Raw/Nope', Buffer.from('x'), new grpc.Metadata(), ctx());
    expect(unknown.status.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('callRaw answers UNIMPLEMENTED at once (no hang) when the method streams its response', async () => {
    const out = await channel.callRaw('/test.Raw/Stream', Buffer.from('x'), new grpc.Metadata(), ctx());
    expect(out.status.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(out.status.details).toMatch(/streaming gRPC calls is not supported/);
    expect(out.response.length).toBe(0);
  });

  it('callRaw reports OK without a message as UNIMPLEMENTED (as grpc-js does for unary calls)', async () => {
    const out = await channel.callRaw('/test.Raw/Empty', Buffer.from('x'), new grpc.Metadata(), ctx());
    expect(out.status).toEqual({ code: grpc.status.UNIMPLEMENTED, details: 'No message received' });
  });
});

describe('GrpcAppChannel --app-max-concurrency', () => {
  it('holds a third call while two are in flight (concurrency 2)', async () => {
    const app = await startGrpcTestApp();
    const channel = new GrpcAppChannel({ appId: 'app', host: '127.0.0.1', port: app.port, maxConcurrency: 2 });
    try {
      const calls = [1, 2, 3].map(() => channel.invokeMethod(invokeReq({ method: 'slow' }), ctx()));
      await app.waitForSlow(2);
      expect(channel.inFlight).toBe(2);
      expect(channel.waiting).toBe(1);
      expect(app.slow.total).toBe(2);
      app.release();
      await app.waitForSlow(3);
      app.release();
      const res = await Promise.all(calls);
      expect(res.map((r) => r.status?.code)).toEqual([0, 0, 0]);
      expect(app.slow.peak).toBe(2);
    } finally {
      await channel.close();
      await app.close();
    }
  });
});

describe('GrpcAppChannel when the app is down', () => {
  it('rejects invokeMethod and callRaw with appUnavailable', async () => {
    const channel = new GrpcAppChannel({ appId: 'downapp', host: '127.0.0.1', port: await freePort() });
    try {
      const e = await rejection(channel.invokeMethod(invokeReq({ method: 'echo' }), ctx()));
      expect(isApiError(e)).toBe(true);
      if (!isApiError(e)) return;
      expect(e.code).toBe('ERR_DIRECT_INVOKE');
      expect(e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      expect(e.message).toContain('failed to invoke, id: downapp');
      const raw = await rejection(channel.callRaw('/test.Raw/Echo', Buffer.from('x'), new grpc.Metadata(), ctx()));
      expect(isApiError(raw) && raw.grpcCode).toBe(GrpcCode.UNAVAILABLE);
    } finally {
      await channel.close();
    }
  });
});

describe('GrpcAppChannel app health checks', () => {
  it('probes AppCallbackHealthCheck.HealthCheck: threshold failures -> unhealthy, one success -> healthy', async () => {
    const app = await startGrpcTestApp();
    const channel = createAppChannel({
      appId: 'app',
      protocol: 'grpc',
      host: '127.0.0.1',
      port: app.port,
      healthCheck: { enabled: true, path: '/healthz', probeIntervalMs: 10, probeTimeoutMs: 1000, threshold: 2 },
    });
    const checker = channel.healthChecker;
    if (checker === undefined || channel.protocol !== 'grpc') throw new Error('expected a gRPC channel with a health checker');
    const changes: Array<{ healthy: boolean; checks: number }> = [];
    checker.onChange((healthy) => changes.push({ healthy, checks: app.healthChecks }));
    try {
      checker.start();
      await until(() => channel.healthy(), 5000, 'healthy');
      expect(changes).toEqual([{ healthy: true, checks: 1 }]);

      const okChecks = app.healthChecks;
      app.healthy = false;
      await until(() => !channel.healthy(), 5000, 'unhealthy');
      expect(changes[1]).toEqual({ healthy: false, checks: okChecks + 2 });

      const e = await rejection(channel.invokeMethod(invokeReq({ method: 'echo' }), ctx()));
      expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      const raw = await rejection(channel.callRaw('/test.Raw/Echo', Buffer.from('x'), new grpc.Metadata(), ctx()));
      expect(isApiError(raw) && raw.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      expect(app.calls).toHaveLength(0);

      const badChecks = app.healthChecks;
      app.healthy = true;
      await until(() => channel.healthy(), 5000, 'healthy again');
      expect(changes[2]).toEqual({ healthy: true, checks: badChecks + 1 });
      expect((await channel.invokeMethod(invokeReq({ method: 'echo' }), ctx())).status?.code).toBe(0);
    } finally {
      await channel.close();
      await app.close();
    }
  });
});
