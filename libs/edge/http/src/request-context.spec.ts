// RequestContext over a real node:http server: the signal is made only when asked for, fires when
// the client disconnects before its answer, and never after a normal answer (keep-alive or not);
// the lazy-abort protocol reports the same without making the signal, through at most one
// 'close' listener per request.
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { lazyAbortOf } from '@tessera/contracts';
import type { AbortHandler } from '@tessera/contracts';
import { CLIENT_GONE, RequestContext } from './request-context';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('RequestContext', () => {
  let server: Server;
  let port: number;
  let handler: Handler = (_req, res) => res.end();
  const agent = new Agent({ keepAlive: true });

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    port = typeof a === 'object' && a ? a.port : 0;
  });
  afterAll(async () => {
    agent.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  function get(path: string, opts: { abortAfterMs?: number; keepAlive?: boolean; body?: string } = {}): Promise<void> {
    return new Promise((resolve) => {
      const method = opts.body === undefined ? 'GET' : 'POST';
      const req = httpRequest({ port, path, method, agent: opts.keepAlive === false ? false : agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', () => resolve());
      req.end(opts.body);
      if (opts.abortAfterMs !== undefined) setTimeout(() => req.destroy(), opts.abortAfterMs);
    });
  }

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('carries identity and trace context; the signal is made on first use only and is stable', async () => {
    let ctx: RequestContext | undefined;
    let listenersBefore = -1;
    let listenersAfter = -1;
    handler = (_req, res) => {
      ctx = new RequestContext('app', 'ns', res, 'tp', 'ts');
      listenersBefore = res.listenerCount('close');
      expect(ctx.signalIfMade).toBeUndefined();
      expect(res.listenerCount('close')).toBe(listenersBefore);
      const s = ctx.signal;
      expect(ctx.signal).toBe(s);
      expect(ctx.signalIfMade).toBe(s);
      listenersAfter = res.listenerCount('close');
      res.end();
    };
    await get('/x');
    expect({ appId: ctx?.appId, namespace: ctx?.namespace, traceparent: ctx?.traceparent, tracestate: ctx?.tracestate }).toEqual({ appId: 'app', namespace: 'ns', traceparent: 'tp', tracestate: 'ts' });
    expect(listenersAfter).toBe(listenersBefore + 1);
  });

  it('a spread copy keeps identity and trace context, not the signal nor the protocol (callers set their own)', () => {
    const fake = { destroyed: false, writableFinished: false, closed: false, once: () => undefined } as unknown as ServerResponse;
    const ctx = new RequestContext('app', 'ns', fake, 'tp');
    expect(lazyAbortOf(ctx)).toBe(ctx);
    const copy = { ...ctx };
    expect(copy).toEqual({ appId: 'app', namespace: 'ns', traceparent: 'tp', tracestate: undefined });
    expect('signal' in copy).toBe(false);
    expect(lazyAbortOf(copy)).toBeUndefined();
  });

  it('fires with CLIENT_GONE when the client disconnects before the answer', async () => {
    let signal: AbortSignal | undefined;
    handler = (_req, res) => {
      signal = new RequestContext('app', 'ns', res).signal;
      setTimeout(() => {
        if (!res.destroyed) res.end();
      }, 300);
    };
    await get('/slow', { abortAfterMs: 50 });
    await sleep(100);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(CLIENT_GONE);
  });

  it('made after the client is gone, it is aborted at once', async () => {
    let signal: AbortSignal | undefined;
    handler = (_req, res) => {
      setTimeout(() => {
        signal = new RequestContext('app', 'ns', res).signal;
        if (!res.destroyed) res.end();
      }, 150);
    };
    await get('/late', { abortAfterMs: 30 });
    await sleep(250);
    expect(signal?.aborted).toBe(true);
  });

  it.each([true, false])('does not fire after a normal answer (keep-alive %s)', async (keepAlive) => {
    let signal: AbortSignal | undefined;
    handler = (_req, res) => {
      signal = new RequestContext('app', 'ns', res).signal;
      res.end('ok');
    };
    await get('/ok', { keepAlive });
    await sleep(50);
    expect(signal?.aborted).toBe(false);
  });

  it('a request whose body was read (its IncomingMessage already closed) still aborts when the client leaves', async () => {
    let signal: AbortSignal | undefined;
    let told = 0;
    let reqClosedFirst = false;
    handler = (req, res) => {
      req.resume();
      req.on('end', () =>
        setImmediate(() => {
          reqClosedFirst = req.destroyed;
          const ctx = new RequestContext('app', 'ns', res);
          ctx.onAbort({ handleEvent: () => told++ });
          signal = ctx.signal;
          setTimeout(() => {
            if (!res.destroyed) res.end();
          }, 300);
        }),
      );
    };
    await get('/post', { body: 'payload', abortAfterMs: 80 });
    await sleep(100);
    expect(reqClosedFirst).toBe(true);
    expect(told).toBe(1);
    expect(signal?.reason).toBe(CLIENT_GONE);
  });

  describe('lazy-abort protocol', () => {
    /** Records what a handler is told, by name. */
    const recorder = (told: string[], name: string): AbortHandler => ({ handleEvent: () => told.push(name) });

    it('client gone before the answer: aborted, every handler told once, offAbort honoured, no signal made', async () => {
      const told: string[] = [];
      let ctx: RequestContext | undefined;
      let abortedBefore: boolean | undefined;
      handler = (_req, res) => {
        ctx = new RequestContext('app', 'ns', res);
        abortedBefore = ctx.aborted;
        const b = recorder(told, 'b');
        ctx.onAbort(recorder(told, 'a'));
        ctx.onAbort(b);
        ctx.onAbort(recorder(told, 'c'));
        ctx.offAbort(b);
        setTimeout(() => {
          if (!res.destroyed) res.end();
        }, 300);
      };
      await get('/lazy', { abortAfterMs: 50 });
      await sleep(100);
      expect(abortedBefore).toBe(false);
      expect(ctx?.aborted).toBe(true);
      expect(told).toEqual(['a', 'c']);
      expect(ctx?.signalIfMade).toBeUndefined();
      // A handler registered once the client is gone is never told (aborted says so); the signal
      // made now is aborted at once, with the reason.
      ctx?.onAbort(recorder(told, 'late'));
      await sleep(20);
      expect(told).toEqual(['a', 'c']);
      expect(ctx?.signal.aborted).toBe(true);
      expect(ctx?.signal.reason).toBe(CLIENT_GONE);
    });

    it('handlers and a signal made later share one close listener, and are told together', async () => {
      const told: string[] = [];
      let ctx: RequestContext | undefined;
      const counts: number[] = [];
      handler = (_req, res) => {
        ctx = new RequestContext('app', 'ns', res);
        const base = res.listenerCount('close');
        ctx.onAbort(recorder(told, 'a'));
        ctx.onAbort(recorder(told, 'b'));
        counts.push(res.listenerCount('close') - base);
        const s = ctx.signal;
        s.addEventListener('abort', () => told.push('signal'));
        counts.push(res.listenerCount('close') - base);
        ctx.offAbort(recorder(told, 'never registered'));
        setTimeout(() => {
          if (!res.destroyed) res.end();
        }, 300);
      };
      await get('/shared', { abortAfterMs: 50 });
      await sleep(100);
      expect(counts).toEqual([1, 1]);
      expect(told.sort()).toEqual(['a', 'b', 'signal']);
      expect(ctx?.signal.reason).toBe(CLIENT_GONE);
    });

    it.each([true, false])('a normal answer tells no handler and is not an abort (keep-alive %s)', async (keepAlive) => {
      const told: string[] = [];
      let ctx: RequestContext | undefined;
      handler = (_req, res) => {
        ctx = new RequestContext('app', 'ns', res);
        ctx.onAbort(recorder(told, 'a'));
        setTimeout(() => res.end('ok'), 20);
      };
      await get('/answered', { keepAlive });
      await sleep(50);
      expect(ctx?.aborted).toBe(false);
      expect(told).toEqual([]);
      expect(ctx?.signalIfMade).toBeUndefined();
      // Asked for after the answer: a signal that never fires, and no listener on a closed response.
      expect(ctx?.signal.aborted).toBe(false);
    });

    it('a handler removed before the client leaves is not told; one removed after is harmless', async () => {
      const told: string[] = [];
      let ctx: RequestContext | undefined;
      const a = recorder(told, 'a');
      handler = (_req, res) => {
        ctx = new RequestContext('app', 'ns', res);
        ctx.onAbort(a);
        ctx.offAbort(a);
        setTimeout(() => {
          if (!res.destroyed) res.end();
        }, 300);
      };
      await get('/removed', { abortAfterMs: 50 });
      await sleep(100);
      expect(ctx?.aborted).toBe(true);
      expect(told).toEqual([]);
      ctx?.offAbort(a);
    });
  });
});
