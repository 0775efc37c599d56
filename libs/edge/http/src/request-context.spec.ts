// RequestContext over a real node:http server: the signal is made only when asked for, fires when
// the client disconnects before its answer, and never after a normal answer (keep-alive or not).
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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

  function get(path: string, opts: { abortAfterMs?: number; keepAlive?: boolean } = {}): Promise<void> {
    return new Promise((resolve) => {
      const req = httpRequest({ port, path, agent: opts.keepAlive === false ? false : agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
      if (opts.abortAfterMs !== undefined) setTimeout(() => req.destroy(), opts.abortAfterMs);
    });
  }

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('carries identity and trace context; the signal is made on first use only and is stable', async () => {
    let ctx: RequestContext | undefined;
    let listenersBefore = -1;
    let listenersAfter = -1;
    handler = (req, res) => {
      ctx = new RequestContext('app', 'ns', req, 'tp', 'ts');
      listenersBefore = req.listenerCount('close');
      const s = ctx.signal;
      expect(ctx.signal).toBe(s);
      listenersAfter = req.listenerCount('close');
      res.end();
    };
    await get('/x');
    expect({ appId: ctx?.appId, namespace: ctx?.namespace, traceparent: ctx?.traceparent, tracestate: ctx?.tracestate }).toEqual({ appId: 'app', namespace: 'ns', traceparent: 'tp', tracestate: 'ts' });
    expect(listenersAfter).toBe(listenersBefore + 1);
  });

  it('a spread copy keeps identity and trace context, not the signal (callers set their own)', () => {
    const fake = { destroyed: false, socket: { destroyed: false }, once: () => undefined } as unknown as IncomingMessage;
    const ctx = new RequestContext('app', 'ns', fake, 'tp');
    const copy = { ...ctx };
    expect(copy).toEqual({ appId: 'app', namespace: 'ns', traceparent: 'tp', tracestate: undefined });
    expect('signal' in copy).toBe(false);
  });

  it('fires with CLIENT_GONE when the client disconnects before the answer', async () => {
    let signal: AbortSignal | undefined;
    handler = (req, res) => {
      signal = new RequestContext('app', 'ns', req).signal;
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
    handler = (req, res) => {
      setTimeout(() => {
        signal = new RequestContext('app', 'ns', req).signal;
        if (!res.destroyed) res.end();
      }, 150);
    };
    await get('/late', { abortAfterMs: 30 });
    await sleep(250);
    expect(signal?.aborted).toBe(true);
  });

  it.each([true, false])('does not fire after a normal answer (keep-alive %s)', async (keepAlive) => {
    let signal: AbortSignal | undefined;
    handler = (req, res) => {
      signal = new RequestContext('app', 'ns', req).signal;
      res.end('ok');
    };
    await get('/ok', { keepAlive });
    await sleep(50);
    expect(signal?.aborted).toBe(false);
  });
});
