// A real HTTP app for the channel tests (HTTP/1.1, HTTPS or h2c on a loopback port). It records
// every request server-side and answers by path:
//   /healthz         status `app.healthStatus`
//   /slow/...        held until release(); counts concurrent and peak in-flight requests
//   /trailers        chunked body plus a trailer
//   anything else    echo: the request body back, status from header x-status (default 200),
//                    content-type copied, `x-reply: a` and `x-reply: b`, two set-cookie lines
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Client port of the connection (same value = a reused keep-alive connection). */
  readonly remotePort: number | undefined;
}

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export interface HttpTestApp {
  readonly port: number;
  readonly requests: RecordedRequest[];
  healthStatus: number;
  /** Requests currently held at /slow, and the most ever held at once. */
  readonly slow: { active: number; peak: number; total: number };
  /** Answers every held /slow request (200, body "done"). */
  release(): void;
  /** Resolves once `n` /slow requests have arrived in total. */
  waitForSlow(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface HttpTestAppOptions {
  readonly kind?: 'http' | 'https' | 'h2c';
  readonly tls?: { key: string; cert: string };
  /** Listen on this port (e.g. to bring an app "back" on the same port). */
  readonly port?: number;
}

export async function startHttpTestApp(opts: HttpTestAppOptions = {}): Promise<HttpTestApp> {
  const requests: RecordedRequest[] = [];
  const held: http.ServerResponse[] = [];
  const slow = { active: 0, peak: 0, total: 0 };
  const slowWaiters: Array<{ n: number; resolve: () => void }> = [];
  const state = { healthStatus: 200 };

  const handler = (req: Req, anyRes: Res): void => {
    // The HTTP/2 compatibility response offers the same calls; one type keeps the code simple.
    const res = anyRes as http.ServerResponse;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '';
      requests.push({ method: req.method ?? '', url, headers: { ...req.headers }, body, remotePort: req.socket.remotePort });
      const path = url.split('?')[0] ?? '';
      if (path === '/healthz') {
        res.writeHead(state.healthStatus);
        res.end();
        return;
      }
      if (path.startsWith('/slow')) {
        slow.active++;
        slow.total++;
        slow.peak = Math.max(slow.peak, slow.active);
        held.push(res);
        res.on('close', () => {
          slow.active--;
        });
        for (const w of slowWaiters.splice(0)) {
          if (slow.total >= w.n) w.resolve();
          else slowWaiters.push(w);
        }
        return;
      }
      if (path === '/trailers') {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('part1-');
        res.addTrailers({ 'x-checksum': 'abc123' });
        res.end('part2');
        return;
      }
      const statusHeader = req.headers['x-status'];
      const status = typeof statusHeader === 'string' ? Number(statusHeader) : 200;
      const headers: Record<string, string | string[]> = { 'x-reply': ['a', 'b'], 'set-cookie': ['c1=1', 'c2=2'] };
      const ct = req.headers['content-type'];
      if (ct !== undefined) headers['content-type'] = ct;
      res.writeHead(status, headers);
      if (req.method === 'HEAD') res.end();
      else res.end(body);
    });
  };

  let server: http.Server | https.Server | http2.Http2Server;
  const kind = opts.kind ?? 'http';
  if (kind === 'h2c') server = http2.createServer(handler);
  else if (kind === 'https') server = https.createServer({ key: opts.tls?.key, cert: opts.tls?.cert }, handler);
  else server = http.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  if (kind === 'h2c') {
    (server as http2.Http2Server).on('session', (s: http2.ServerHttp2Session) => {
      sessions.add(s);
      s.on('close', () => sessions.delete(s));
    });
  }
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    requests,
    get healthStatus() {
      return state.healthStatus;
    },
    set healthStatus(v: number) {
      state.healthStatus = v;
    },
    slow,
    release() {
      for (const res of held.splice(0)) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('done');
      }
    },
    waitForSlow(n) {
      if (slow.total >= n) return Promise.resolve();
      return new Promise<void>((resolve) => slowWaiters.push({ n, resolve }));
    },
    close() {
      for (const res of held.splice(0)) res.destroy();
      return new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      });
    },
  };
}
