// InvokeBlock over fakes: target parsing, self and remote paths, caller identity, access control,
// resiliency hooks and error mapping.
import type { AppChannel, CallContext, GrpcProxyFrame, InternalInvokeRequest, InternalInvokeResponse } from '@tessera/contracts';
import { InvokeBlock, isFailureResponse } from './invoke.block';
import type { InvokeBlockOptions, InvokePolicy } from './invoke.block';
import { parseTarget } from './invoke-target';

const ctx: CallContext = { appId: 'caller', namespace: 'default' };

function request(method = 'orders', headers: Record<string, string> = {}): InternalInvokeRequest {
  return {
    ver: 1,
    metadata: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { values: [v] }])),
    message: { method, data: { typeUrl: '', value: Buffer.from('hi') }, contentType: 'text/plain', httpExtension: { verb: 3, querystring: 'a=1' } },
    actor: undefined,
  };
}

function response(code: number, body = 'ok'): InternalInvokeResponse {
  return { status: { code, message: '', details: [] }, headers: {}, trailers: {}, message: { data: { typeUrl: '', value: Buffer.from(body) }, contentType: 'text/plain' } };
}

const passThrough: InvokePolicy = { run: (fn) => fn(new AbortController().signal) };

function block(over: Partial<InvokeBlockOptions> = {}) {
  const calls: Array<{ where: string; address?: string; req: InternalInvokeRequest; ctx: CallContext }> = [];
  const app: AppChannel = {
    protocol: 'http',
    healthy: () => true,
    invokeMethod: async (req, c) => {
      calls.push({ where: 'app', req, ctx: c });
      return response(200);
    },
  };
  const b = new InvokeBlock({
    appId: 'caller',
    namespace: 'default',
    resolver: { resolve: async (id) => (id === 'missing' ? undefined : `127.0.0.1:${id.length}`) },
    remote: {
      callLocal: async (address, req, c) => {
        calls.push({ where: 'remote', address, req, ctx: c });
        return response(201);
      },
    },
    urls: {
      invokeUrl: async (baseUrl, _h, req, c) => {
        calls.push({ where: `url:${baseUrl}`, req, ctx: c });
        return response(200);
      },
    },
    policies: { forApp: () => passThrough, remoteRetry: () => passThrough },
    appChannel: app,
    ...over,
  });
  return { b, calls };
}

describe('parseTarget', () => {
  const eps = new Map([['ext', { name: 'ext', baseUrl: 'http://example.test/api/', headers: { k: 'v' } }]]);
  it.each([
    ['orders', { kind: 'app', appId: 'orders', namespace: 'ns' }],
    ['orders.prod', { kind: 'app', appId: 'orders', namespace: 'prod' }],
    ['http://h:1/x', { kind: 'url', baseUrl: 'http://h:1/x' }],
    ['http%3A%2F%2Fh%3A1', { kind: 'url', baseUrl: 'http://h:1' }],
    ['ext', { kind: 'url', baseUrl: 'http://example.test/api', headers: { k: 'v' } }],
    ['a.b.c', { kind: 'invalid' }],
  ])('%s', (raw, want) => expect(parseTarget(raw, 'ns', eps)).toMatchObject(want));
});

describe('InvokeBlock', () => {
  it('resolves a remote app and strips client-sent identity headers', async () => {
    const { b, calls } = block();
    const res = await b.invoke('orders', request('m', { 'dapr-caller-app-id': 'forged', 'dapr-app-id': 'orders', x: 'y' }), ctx);
    expect(res.status?.code).toBe(201);
    expect(calls[0]).toMatchObject({ where: 'remote', address: '127.0.0.1:6' });
    expect(Object.keys(calls[0]?.req.metadata ?? {})).toEqual(['x']);
  });

  it('self-invocation reaches the own app with trusted caller headers', async () => {
    const { b, calls } = block();
    await b.invoke('caller', request('m', { 'dapr-caller-app-id': 'forged' }), ctx);
    expect(calls[0]?.where).toBe('app');
    const md = calls[0]?.req.metadata ?? {};
    expect(md['dapr-caller-app-id']?.values).toEqual(['caller']);
    expect(md['dapr-callee-app-id']?.values).toEqual(['caller']);
  });

  it('names the target app id (not the address) to the transport for its own errors', async () => {
    const ids: string[] = [];
    const { b } = block({
      remote: {
        callLocal: async (_address, _req, _c, targetAppId) => {
          ids.push(targetAppId);
          return response(200);
        },
      },
    });
    await b.invoke('orders', request(), ctx);
    expect(ids).toEqual(['orders']);
  });

  it('self-invocation is not subject to access control (daprd invokeLocal); calls from other gateways are', async () => {
    const { b, calls } = block({ accessCheck: () => ({ allowed: false, reason: 'deny all' }) });
    await expect(b.invoke('caller', request('secret'), ctx)).resolves.toMatchObject({ status: { code: 200 } });
    expect(calls[0]?.where).toBe('app');
    await expect(b.callLocal(request('secret'), { appId: 'caller', namespace: 'default', trustDomain: 'public' }, ctx)).rejects.toMatchObject({ httpStatus: 403 });
  });

  it('a remote call carries X-Forwarded-For, X-Forwarded-Host and Forwarded (appended to the client\'s); self-invocation does not', async () => {
    const { b, calls } = block({ hostAddress: '10.0.0.5', hostName: 'node-a' });
    await b.invoke('orders', request('m', { 'x-forwarded-for': '192.0.2.1' }), ctx);
    await b.invoke('caller', request('m'), ctx);
    const remote = calls[0]?.req.metadata ?? {};
    expect(remote['x-forwarded-for']?.values).toEqual(['192.0.2.1', '10.0.0.5']);
    expect(remote['x-forwarded-host']?.values).toEqual(['node-a']);
    expect(remote['forwarded']?.values).toEqual(['for=10.0.0.5;by=10.0.0.5;host=node-a']);
    const self = calls[1]?.req.metadata ?? {};
    expect(self['x-forwarded-host']).toBeUndefined();
    expect(self['forwarded']).toBeUndefined();
  });

  it('an unknown app is ERR_DIRECT_INVOKE 500', async () => {
    const { b } = block();
    await expect(b.invoke('missing', request(), ctx)).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', httpStatus: 500 });
    await expect(b.invoke('a.b.c', request(), ctx)).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
  });

  it('HTTPEndpoint and URL targets go to the URL invoker', async () => {
    const { b, calls } = block({ httpEndpoints: new Map([['ext', { name: 'ext', baseUrl: 'http://x.test', headers: {} }]]) });
    await b.invoke('ext', request(), ctx);
    await b.invoke('http://y.test:8080', request(), ctx);
    expect(calls.map((c) => c.where)).toEqual(['url:http://x.test', 'url:http://y.test:8080']);
  });

  it('callLocal checks access control with the caller identity, operation and verb', async () => {
    const seen: unknown[] = [];
    const { b } = block({
      accessCheck: (caller, op, verb) => {
        seen.push([caller.appId, op, verb]);
        return { allowed: op !== 'secret', reason: 'test' };
      },
    });
    await b.callLocal(request('open'), { appId: 'x', namespace: 'default', trustDomain: 'public' }, ctx);
    await expect(b.callLocal(request('secret'), { appId: 'x', namespace: 'default', trustDomain: 'public' }, ctx)).rejects.toMatchObject({
      code: 'ERR_DIRECT_INVOKE',
      httpStatus: 403,
    });
    expect(seen).toEqual([
      ['x', 'open', 'POST'],
      ['x', 'secret', 'POST'],
    ]);
  });

  it('callLocal without an app channel is a clear error', async () => {
    const { b } = block({ appChannel: undefined });
    await expect(b.callLocal(request(), { appId: 'x', namespace: 'd', trustDomain: 'public' }, ctx)).rejects.toMatchObject({
      code: 'ERR_DIRECT_INVOKE',
    });
  });

  it('runs remote calls under the target policy and classifies app failures', async () => {
    const targets: string[] = [];
    let classified: boolean[] = [];
    const { b } = block({
      policies: {
        remoteRetry: () => passThrough,
        forApp: (id) => {
          targets.push(id);
          return {
            run: async (fn, opts) => {
              const r = await fn(new AbortController().signal);
              classified = [Boolean(opts?.isFailure?.(r as never))];
              return r;
            },
          };
        },
      },
    });
    await b.invoke('orders', request(), ctx);
    expect(targets).toEqual(['orders']);
    expect(classified).toEqual([false]);
  });

  it('built-in retries: a failed call is the policy\'s first attempt (made once), retries call again, give-up errors pass through', async () => {
    // A retry policy as the built-in one: up to `max` retries of errors `retryable` accepts.
    const attempts: string[] = [];
    const retrying = (max: number, retryable: (e: unknown) => boolean): InvokePolicy => ({
      run: async (fn, opts) => {
        for (let i = 0; ; i++) {
          try {
            const r = await fn(opts?.signal ?? new AbortController().signal);
            attempts.push('ok');
            return r;
          } catch (e) {
            attempts.push(e instanceof Error ? e.message : String(e));
            if (i >= max || !retryable(e)) throw e;
          }
        }
      },
    });
    let failures = 2;
    let calls = 0;
    const flaky = {
      callLocal: async () => {
        calls++;
        if (failures-- > 0) throw new Error(`down ${calls}`);
        return response(201);
      },
    };
    const { b } = block({ remote: flaky, policies: { forApp: () => passThrough, remoteRetry: () => retrying(3, () => true) } });
    await expect(b.invoke('orders', request(), ctx)).resolves.toMatchObject({ status: { code: 201 } });
    // two failures then a success: three calls in all, each seen by the policy once
    expect(calls).toBe(3);
    expect(attempts).toEqual([expect.stringContaining('down 1'), expect.stringContaining('down 2'), 'ok']);

    // the first call succeeds: one call
    calls = 0;
    await expect(b.invoke('orders', request(), ctx)).resolves.toMatchObject({ status: { code: 201 } });
    expect(calls).toBe(1);

    // an error the policy does not retry: one call, the error as it was
    failures = 5;
    calls = 0;
    const { b: b2 } = block({ remote: flaky, policies: { forApp: () => passThrough, remoteRetry: () => retrying(3, () => false) } });
    await expect(b2.invoke('orders', request(), ctx)).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('down 1') });
    expect(calls).toBe(1);

    // retries exhausted: 1 + 3 calls, the last error
    failures = 10;
    calls = 0;
    attempts.length = 0;
    await expect(b.invoke('orders', request(), ctx)).rejects.toMatchObject({ message: expect.stringContaining('down 4') });
    expect([calls, attempts.length]).toEqual([4, 4]);
  });

  describe('a caller context with the lazy-abort protocol (the gRPC edge’s InvokeService)', () => {
    type H = { handleEvent(): void };
    class LazyCtx implements CallContext {
      readonly appId = 'caller';
      readonly namespace = 'default';
      readonly traceparent = 'tp';
      readonly deadline = 99;
      made = 0;
      aborted = false;
      readonly handlers = new Set<H>();
      #c: AbortController | undefined;
      get signalIfMade(): AbortSignal | undefined {
        return this.#c?.signal;
      }
      get signal(): AbortSignal {
        if (this.#c === undefined) {
          this.made++;
          this.#c = new AbortController();
        }
        return this.#c.signal;
      }
      onAbort(h: H): void {
        this.handlers.add(h);
      }
      offAbort(h: H): void {
        this.handlers.delete(h);
      }
    }
    const passThroughMarked: InvokePolicy = { passThrough: true, run: (fn, opts) => fn(opts?.signal ?? new AbortController().signal) };

    it('under a pass-through policy the remote call gets an attempt context that forwards the protocol; no signal is made', async () => {
      const { b, calls } = block({ policies: { forApp: () => passThroughMarked, remoteRetry: () => passThroughMarked } });
      const ctx = new LazyCtx();
      await b.invoke('orders', request(), ctx);
      const sent = calls[0]?.ctx as CallContext & { onAbort(h: H): void; offAbort(h: H): void; aborted: boolean };
      expect(sent).toMatchObject({ appId: 'caller', namespace: 'default', traceparent: 'tp', deadline: 99, trustDomain: 'public' });
      expect(typeof sent.onAbort).toBe('function');
      expect(sent.signalIfMade).toBeUndefined();
      const h = { handleEvent: () => undefined };
      sent.onAbort(h);
      expect(ctx.handlers.has(h)).toBe(true);
      sent.offAbort(h);
      expect(ctx.handlers.size).toBe(0);
      expect(ctx.made).toBe(0);
      // asked for, the attempt's signal is the caller's
      expect(sent.signal).toBe(ctx.signal);
    });

    it('self-invocation under a pass-through policy: the app channel gets the same kind of context', async () => {
      const { b, calls } = block({ policies: { forApp: () => passThroughMarked, remoteRetry: () => passThroughMarked } });
      const ctx = new LazyCtx();
      await b.invoke('caller', request(), ctx);
      expect(calls[0]?.where).toBe('app');
      expect(typeof (calls[0]?.ctx as { onAbort?: unknown }).onAbort).toBe('function');
      expect(ctx.made).toBe(0);
    });

    it('a policy that is not pass-through gets the caller’s signal, as before', async () => {
      const { b, calls } = block();
      const ctx = new LazyCtx();
      await b.invoke('orders', request(), ctx);
      expect(ctx.made).toBe(1);
      expect(calls[0]?.ctx.signal).toBeInstanceOf(AbortSignal);
    });

    it('a failed first call: the built-in retries run with the caller’s signal, made then', async () => {
      let n = 0;
      const retried: Array<AbortSignal | undefined> = [];
      const { b, calls } = block({
        remote: {
          callLocal: async (address, req, c) => {
            calls.push({ where: 'remote', address, req, ctx: c });
            if (n++ === 0) throw new Error('down');
            return response(201);
          },
        },
        policies: {
          forApp: () => passThroughMarked,
          remoteRetry: () => ({
            run: async (fn, opts) => {
              retried.push(opts?.signal);
              try {
                return await fn(opts?.signal as AbortSignal);
              } catch {
                return fn(opts?.signal as AbortSignal);
              }
            },
          }),
        },
      });
      const ctx = new LazyCtx();
      await expect(b.invoke('orders', request(), ctx)).resolves.toMatchObject({ status: { code: 201 } });
      expect(calls).toHaveLength(2);
      expect(ctx.made).toBe(1);
      expect(retried).toEqual([ctx.signal]);
      expect(calls[1]?.ctx.signal).toBe(ctx.signal);
    });
  });

  it('isFailureResponse tells HTTP statuses from gRPC codes', () => {
    expect(isFailureResponse(response(200))).toBe(false);
    expect(isFailureResponse(response(302))).toBe(false);
    expect(isFailureResponse(response(404))).toBe(true);
    expect(isFailureResponse(response(0))).toBe(false);
    expect(isFailureResponse(response(14))).toBe(true);
  });

  it('transport errors that are not ApiErrors become ERR_DIRECT_INVOKE', async () => {
    const { b } = block({
      remote: {
        callLocal: async () => {
          throw new Error('socket hang up');
        },
      },
    });
    await expect(b.invoke('orders', request(), ctx)).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('socket hang up') });
  });
});

describe('InvokeBlock: proxied gRPC streams', () => {
  type Frame = GrpcProxyFrame;
  const msg = (t: string): Frame => ({ kind: { $case: 'message', value: Buffer.from(t) } });
  async function* input(...t: string[]): AsyncGenerator<Uint8Array> {
    for (const x of t) yield Buffer.from(x);
  }
  async function texts(it: AsyncIterable<Frame>): Promise<string[]> {
    const out: string[] = [];
    for await (const f of it) if (f.kind?.$case === 'message') out.push(f.kind.value.toString());
    return out;
  }

  function streaming(over: Partial<InvokeBlockOptions> = {}) {
    const seen: Array<{ where: string; address?: string; req: InternalInvokeRequest; ctx: CallContext; target?: string }> = [];
    const echo = async function* (src: AsyncIterable<Uint8Array>, prefix: string): AsyncGenerator<Frame> {
      for await (const m of src) yield msg(`${prefix}${Buffer.from(m).toString()}`);
    };
    const app: AppChannel = {
      protocol: 'grpc',
      healthy: () => true,
      invokeMethod: async () => response(0),
      invokeStream: (req, src, c) => {
        seen.push({ where: 'app', req, ctx: c });
        return echo(src, 'app:');
      },
    };
    const { b } = block({
      appChannel: app,
      remote: {
        callLocal: async () => response(0),
        proxyStream: (address, req, src, c, target) => {
          seen.push({ where: 'remote', address, req, ctx: c, target });
          return echo(src, 'remote:');
        },
      },
      ...over,
    });
    return { b, seen };
  }

  it('a remote target: resolved, client identity headers stripped, no forwarded headers, the input passed through', async () => {
    const { b, seen } = streaming({ hostAddress: '10.0.0.5', hostName: 'node-a' });
    const out = await texts(b.invokeStream('orders', request('/pkg.Svc/Chat', { 'dapr-caller-app-id': 'forged', 'dapr-app-id': 'orders', x: 'y' }), input('a', 'b'), ctx));
    expect(out).toEqual(['remote:a', 'remote:b']);
    expect(seen[0]).toMatchObject({ where: 'remote', address: '127.0.0.1:6', target: 'orders' });
    expect(Object.keys(seen[0]?.req.metadata ?? {})).toEqual(['x']);
    expect(seen[0]?.ctx.trustDomain).toBe('public');
  });

  it('self: the own app with trusted caller headers', async () => {
    const { b, seen } = streaming();
    const out = await texts(b.invokeStream('caller', request('/pkg.Svc/Chat', { 'dapr-caller-app-id': 'forged' }), input('x'), ctx));
    expect(out).toEqual(['app:x']);
    expect(seen[0]?.req.metadata['dapr-caller-app-id']?.values).toEqual(['caller']);
    expect(seen[0]?.req.metadata['dapr-callee-app-id']?.values).toEqual(['caller']);
  });

  it('callLocalStream checks access control first, then the app', async () => {
    const checks: unknown[] = [];
    const { b, seen } = streaming({
      accessCheck: (caller, op) => {
        checks.push([caller.appId, op]);
        return { allowed: caller.appId === 'friend', reason: '' };
      },
    });
    expect(() => b.callLocalStream(request('/pkg.Svc/Chat'), { appId: 'stranger', namespace: 'default', trustDomain: 'public' }, input('x'), ctx)).toThrow(
      expect.objectContaining({ httpStatus: 403 }),
    );
    expect(seen).toHaveLength(0);
    await expect(texts(b.callLocalStream(request('/pkg.Svc/Chat'), { appId: 'friend', namespace: 'default', trustDomain: 'public' }, input('x'), ctx))).resolves.toEqual(['app:x']);
    expect(seen[0]?.req.metadata['dapr-caller-app-id']?.values).toEqual(['friend']);
    expect(checks).toEqual([
      ['stranger', '/pkg.Svc/Chat'],
      ['friend', '/pkg.Svc/Chat'],
    ]);
  });

  it('errors fail the first next(): unknown app, URL target, an app that cannot stream, no app channel', async () => {
    const { b } = streaming();
    await expect(texts(b.invokeStream('missing', request('/p.S/M'), input(), ctx))).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
    await expect(texts(b.invokeStream('http://h:1', request('/p.S/M'), input(), ctx))).rejects.toMatchObject({ grpcCode: 12 });
    const http = block().b;
    await expect(texts(http.invokeStream('caller', request('/p.S/M'), input(), ctx))).rejects.toMatchObject({ grpcCode: 12, message: expect.stringContaining('speaks http') });
    const none = block({ appChannel: undefined }).b;
    await expect(texts(none.invokeStream('caller', request('/p.S/M'), input(), ctx))).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE', message: expect.stringContaining('--app-port') });
  });

  it('return() reaches the source at once, even while a next() is pending', async () => {
    let returned = false;
    const { b } = streaming({
      remote: {
        callLocal: async () => response(0),
        proxyStream: () => ({
          [Symbol.asyncIterator]: () => ({
            next: () => new Promise<IteratorResult<Frame>>(() => undefined),
            return: async () => {
              returned = true;
              return { value: undefined, done: true };
            },
          }),
        }),
      },
    });
    const it = b.invokeStream('orders', request('/p.S/M'), input(), ctx)[Symbol.asyncIterator]();
    void it.next();
    await new Promise((r) => setTimeout(r, 10));
    await it.return?.();
    expect(returned).toBe(true);
  });
});
