// GrpcAppChannel against a real @grpc/grpc-js app (AppCallbackService from @tessera/contracts).
import * as grpc from '@grpc/grpc-js';
import { GrpcCode, HTTPExtension_Verb, isApiError } from '@tessera/contracts';
import type { GrpcProxyFrame } from '@tessera/contracts';
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

  it('callRaw: a unary answer has no stream (the fast path)', async () => {
    const out = await channel.callRaw('/test.Raw/Echo', Buffer.from('u'), new grpc.Metadata(), ctx());
    expect(out.stream).toBeUndefined();
    expect(out.response.toString()).toBe('echo:u');
  });

  it('callRaw: a method that answers with several messages is handed over as a stream, in order, status last', async () => {
    const out = await channel.callRaw('/test.Raw/Stream', Buffer.from('x'), new grpc.Metadata(), ctx());
    expect(out.status.code).toBe(grpc.status.OK);
    expect(out.stream).toBeDefined();
    const frames = await readFrames(out.stream as AsyncIterable<GrpcProxyFrame>);
    expect(frames.filter((f) => f[0] !== 'headers')).toEqual([
      ['message', 'one'],
      ['message', 'two'],
      ['status', 0, 'OK'],
    ]);
  });

  it('callRaw: OK without a message is a stream of nothing but the status (a unary client reports it itself)', async () => {
    const out = await channel.callRaw('/test.Raw/Empty', Buffer.from('x'), new grpc.Metadata(), ctx());
    expect(out.status.code).toBe(grpc.status.OK);
    const frames = await readFrames(out.stream as AsyncIterable<GrpcProxyFrame>);
    expect(frames.filter((f) => f[0] !== 'headers')).toEqual([['status', 0, 'OK']]);
  });

  it('callRaw: a stream that sends one message and waits is handed over after UPGRADE_AFTER_MS; return() cancels the app call', async () => {
    const before = app.streams.watchCancelled;
    const out = await channel.callRaw('/test.Raw/Watch', Buffer.from('w'), new grpc.Metadata(), ctx({ traceparent: TRACEPARENT }));
    const it = (out.stream as AsyncIterableIterator<GrpcProxyFrame>)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value && readable(first.value)).toEqual(['headers', expect.objectContaining({ 'x-watch': { values: ['on'] } })]);
    const second = await it.next();
    expect(second.value && readable(second.value)).toEqual(['message', 'first:w']);
    await it.return?.();
    await until(() => app.streams.watchCancelled === before + 1, 5000, 'the app to see its call cancelled');
  });

  it('callRaw: a long stream is read with backpressure and arrives complete', async () => {
    const out = await channel.callRaw('/test.Raw/Many', Buffer.from('x'), new grpc.Metadata(), ctx());
    const it = (out.stream as AsyncIterableIterator<GrpcProxyFrame>)[Symbol.asyncIterator]();
    // a consumer that does not read: the app is held back well before the end
    await new Promise((r) => setTimeout(r, 100));
    expect(app.streams.manySent).toBeLessThan(1000);
    const frames = await readFrames({ [Symbol.asyncIterator]: () => it });
    const msgs = frames.filter((f) => f[0] === 'message').map((f) => String(f[1]).split(':')[0]);
    expect(msgs).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i + 1}`));
    expect(frames[frames.length - 1]?.slice(0, 3)).toEqual(['status', 0, 'OK']);
  });

  it('callRawStream: bidirectional, every message both ways in order, metadata to the app, trailers and status back', async () => {
    const md = new grpc.Metadata();
    md.set('x-custom', 'yes');
    md.set('dapr-api-token', 'caller-token');
    async function* input(): AsyncGenerator<Uint8Array> {
      for (let i = 1; i <= 50; i++) yield Buffer.from(`m${i}`);
    }
    const frames = await readFrames(channel.callRawStream('/test.Raw/Chat', input(), md, ctx({ traceparent: TRACEPARENT })));
    const msgs = frames.filter((f) => f[0] === 'message').map((f) => f[1]);
    expect(msgs).toEqual(Array.from({ length: 50 }, (_, i) => `chat:m${i + 1}`));
    expect(frames[frames.length - 1]).toEqual(['status', 0, 'OK', { 'x-count': { values: ['50'] } }]);
    const seen = app.calls.find((c) => c.method === '/test.Raw/Chat');
    expect(seen?.metadata['x-custom']).toEqual(['yes']);
    expect(seen?.metadata['dapr-api-token']).toEqual(['app-secret']);
    expect(seen?.metadata['traceparent']).toEqual([TRACEPARENT]);
  });

  it("callRawStream: the app's error status comes after the answers sent before it, with its trailers; the input is released", async () => {
    let returned = false;
    const input: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        const items = ['a', 'b', 'fail'];
        return {
          next: async () => {
            const v = items.shift();
            if (v !== undefined) return { value: Buffer.from(v), done: false };
            return new Promise<IteratorResult<Uint8Array>>(() => undefined); // holds the call open
          },
          return: async () => {
            returned = true;
            return { value: undefined, done: true };
          },
        };
      },
    };
    const frames = await readFrames(channel.callRawStream('/test.Raw/Chat', input, new grpc.Metadata(), ctx()));
    expect(frames.filter((f) => f[0] !== 'headers')).toEqual([
      ['message', 'chat:a'],
      ['message', 'chat:b'],
      ['status', grpc.status.ABORTED, 'chat failed', { 'x-count': { values: ['2'] } }],
    ]);
    await until(() => returned, 2000, "the input's return()");
  });

  it("callRawStream: the caller's abort cancels the app's call and fails the iteration", async () => {
    const before = app.streams.chatCancelled;
    const ac = new AbortController();
    const input: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        let sent = false;
        return {
          next: async () => {
            if (!sent) {
              sent = true;
              return { value: Buffer.from('hello'), done: false };
            }
            return new Promise<IteratorResult<Uint8Array>>(() => undefined);
          },
        };
      },
    };
    const it = channel.callRawStream('/test.Raw/Chat', input, new grpc.Metadata(), ctx({ signal: ac.signal }));
    let f = await it.next();
    while (f.value?.kind?.$case === 'headers') f = await it.next();
    expect(f.value && readable(f.value)).toEqual(['message', 'chat:hello']);
    const pending = it.next();
    ac.abort();
    const e = await rejection(pending);
    expect(isApiError(e) && e.grpcCode).toBe(GrpcCode.CANCELLED);
    await until(() => app.streams.chatCancelled === before + 1, 5000, 'the app to see its call cancelled');
  });

  it('callRawStream: the deadline ends the call', async () => {
    const input: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => undefined) }) };
    // The same deadline runs in two places: the channel's watch (fails the iteration) and grpc-js's
    // own (the call ends with a DEADLINE_EXCEEDED status frame). Which fires first depends on the
    // event loop; either way the caller sees DEADLINE_EXCEEDED.
    const code = await readFrames(channel.callRawStream('/test.Raw/Chat', input, new grpc.Metadata(), ctx({ deadline: Date.now() + 100 }))).then(
      (frames) => {
        const last = frames[frames.length - 1];
        return last?.[0] === 'status' ? last[1] : `no status frame: ${JSON.stringify(frames)}`;
      },
      (e: unknown) => (isApiError(e) ? e.grpcCode : String(e)),
    );
    expect(code).toBe(GrpcCode.DEADLINE_EXCEEDED);
  });
});

/** Frames as tuples: ['headers', md], ['message', text], ['status', code, message, trailers?]. */
function readable(f: GrpcProxyFrame): unknown[] {
  const k = f.kind;
  if (k?.$case === 'headers') return ['headers', k.value.metadata];
  if (k?.$case === 'message') return ['message', k.value.toString()];
  if (k?.$case === 'status') {
    const { date: _date, ...trailers } = k.value.trailers;
    return Object.keys(trailers).length > 0 ? ['status', k.value.code, k.value.message, trailers] : ['status', k.value.code, k.value.message];
  }
  return ['?'];
}

async function readFrames(s: AsyncIterable<GrpcProxyFrame>): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const f of s) out.push(readable(f));
  return out;
}

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
