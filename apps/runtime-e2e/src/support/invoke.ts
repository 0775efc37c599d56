// Helpers for the service-invocation suites: polling, a tiny raw grpc-js app with a made-up
// service (pass-through serializers, so the bytes are whatever the test sends), a client for it,
// a plain node:http app that records every request and routes by path.
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';

/** Polls until `fn` resolves truthy; the deadline is a safety net, not a timing assertion. */
export async function eventually(fn: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Raw gRPC app: service `test.Echo` with unary methods whose messages are raw bytes.

const identity = (b: Buffer): Buffer => b;

function method(path: string, responseStream = false): grpc.MethodDefinition<Buffer, Buffer> {
  return { path, requestStream: false, responseStream, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
}

export const ECHO_SERVICE = {
  Say: method('/test.Echo/Say'),
  Fail: method('/test.Echo/Fail'),
  /** Answers after 3 s unless cancelled. */
  Slow: method('/test.Echo/Slow'),
  /** Server streaming: three messages. */
  Stream: method('/test.Echo/Stream', true),
} satisfies grpc.ServiceDefinition;

export interface RawCall {
  readonly method: string;
  readonly request: Buffer;
  readonly metadata: Record<string, string[]>;
}

function mdToRecord(md: grpc.Metadata): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of Object.keys(md.getMap())) out[k] = md.get(k).map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : String(v)));
  return out;
}

export interface RawGrpcApp {
  readonly port: number;
  readonly calls: RawCall[];
  /** Slow calls the app saw cancelled before answering. */
  readonly slowCancelled: () => number;
  stop(): Promise<void>;
}

/**
 * test.Echo on `port`: Say answers `echo:<request>` with header `x-reply-header: h` and trailer
 * `x-reply-trailer: t`; Fail answers NOT_FOUND "no such thing: <request>".
 */
export async function startRawGrpcApp(port: number): Promise<RawGrpcApp> {
  const server = new grpc.Server();
  const calls: RawCall[] = [];
  let slowCancelled = 0;
  server.addService(ECHO_SERVICE, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      calls.push({ method: 'Say', request: call.request, metadata: mdToRecord(call.metadata) });
      const h = new grpc.Metadata();
      h.set('x-reply-header', 'h');
      call.sendMetadata(h);
      const t = new grpc.Metadata();
      t.set('x-reply-trailer', 't');
      cb(null, Buffer.concat([Buffer.from('echo:'), call.request]), t);
    },
    Fail: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      calls.push({ method: 'Fail', request: call.request, metadata: mdToRecord(call.metadata) });
      cb({ code: grpc.status.NOT_FOUND, details: `no such thing: ${call.request.toString()}` });
    },
    Slow: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      calls.push({ method: 'Slow', request: call.request, metadata: mdToRecord(call.metadata) });
      const t = setTimeout(() => cb(null, Buffer.from('late')), 3000);
      call.on('cancelled', () => {
        clearTimeout(t);
        slowCancelled++;
      });
    },
    Stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      calls.push({ method: 'Stream', request: call.request, metadata: mdToRecord(call.metadata) });
      for (const m of ['one', 'two', 'three']) call.write(Buffer.from(m));
      call.end();
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  return {
    port,
    calls,
    slowCancelled: () => slowCancelled,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

export interface RawResult {
  readonly error?: grpc.ServiceError;
  readonly response?: Buffer;
  readonly headers: Record<string, string[]>;
  readonly trailers: Record<string, string[]>;
}

const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');

export class RawGrpcClient {
  private readonly client: grpc.Client;
  constructor(address: string) {
    this.client = new EchoClient(address, grpc.credentials.createInsecure());
  }

  /** A server-streaming call: every message received, then the status. */
  stream(body: string, md: Record<string, string> = {}, timeoutMs = 10_000): Promise<{ messages: string[]; status: grpc.StatusObject }> {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(md)) metadata.set(k, v);
    return new Promise((resolve) => {
      const messages: string[] = [];
      const call = this.client.makeServerStreamRequest(ECHO_SERVICE.Stream.path, identity, identity, Buffer.from(body), metadata, { deadline: Date.now() + timeoutMs });
      call.on('data', (m: Buffer) => messages.push(m.toString()));
      call.on('error', () => undefined);
      call.on('status', (status: grpc.StatusObject) => resolve({ messages, status }));
    });
  }

  call(method: Exclude<keyof typeof ECHO_SERVICE, 'Stream'>, body: string, md: Record<string, string> = {}, timeoutMs = 10_000): Promise<RawResult> {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(md)) metadata.set(k, v);
    return new Promise((resolve) => {
      let headers: Record<string, string[]> = {};
      let outcome: { error?: grpc.ServiceError; response?: Buffer } = {};
      const call = this.client.makeUnaryRequest(ECHO_SERVICE[method].path, identity, identity, Buffer.from(body), metadata, { deadline: Date.now() + timeoutMs }, (error, response) => {
        outcome = error ? { error } : { response };
      });
      call.on('metadata', (m: grpc.Metadata) => (headers = mdToRecord(m)));
      call.on('status', (s: grpc.StatusObject) => resolve({ ...outcome, headers, trailers: mdToRecord(s.metadata) }));
    });
  }

  close(): void {
    this.client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP app.

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type PlainHandler = (req: SeenRequest, res: ServerResponse) => void | Promise<void>;

export interface PlainHttpApp {
  readonly port: number;
  readonly seen: SeenRequest[];
  /** Requests seen per path (query string excluded). */
  count(path: string): number;
  /** Routes by path (no query); unknown paths answer 404. */
  readonly routes: Map<string, PlainHandler>;
  stop(): Promise<void>;
}

export async function startPlainHttpApp(port: number, routes: Record<string, PlainHandler> = {}): Promise<PlainHttpApp> {
  const seen: SeenRequest[] = [];
  const table = new Map(Object.entries(routes));
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(r);
      const path = r.url.split('?')[0] ?? '';
      const h = table.get(path);
      if (!h) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route ${path}`);
        return;
      }
      Promise.resolve(h(r, res)).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(e));
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    seen,
    routes: table,
    count: (path) => seen.filter((s) => (s.url.split('?')[0] ?? '') === path).length,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
