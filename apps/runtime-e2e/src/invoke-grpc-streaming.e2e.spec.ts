// gRPC proxying of streaming methods (`dapr-app-id` metadata, spec/grpc-api.md section 0), as
// daprd's proxy: a plain grpc-js client calls server-streaming, client-streaming and
// bidirectional methods of a raw grpc-js app through Tessera. Covered: every message both ways in
// order, headers / trailers / status passed through (an app error after some messages
// included), caller metadata and the caller identity reaching the app, large messages with
// backpressure, the client cancelling (the app's call is cancelled), the client's deadline, an
// unknown app, the unary fast path still working, through the caller's runtime (gateway ->
// gateway over the internal transport) and the app's own runtime. Runs twice: every gateway in
// one `tessera run -f` process, and one runtime process per app.
import * as grpc from '@grpc/grpc-js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './support/invoke';
import { freePort, startCli, startRuntime, tempDir, waitHttp } from './support/processes';
import type { Runtime, TesseraProcess } from './support/processes';

const CALLEE = 'svc-stream';
const CALLER = 'stream-caller';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

const identity = (b: Buffer): Buffer => b;

function method(name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/stream.Echo/${name}`,
    requestStream,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

const SERVICE = {
  Say: method('Say', false, false),
  /** Server streaming: request `n` or `fail:n` (n messages, then FAILED_PRECONDITION). */
  Count: method('Count', false, true),
  /** Server streaming: one message, then nothing until cancelled. */
  Watch: method('Watch', false, true),
  /** Server streaming: `n` messages of 64 KiB, byte i of message k = (k + i) & 0xff. */
  Big: method('Big', false, true),
  /** Client streaming: the messages joined with '+'. */
  Sum: method('Sum', true, false),
  /** Bidirectional: `re:<m>` per message; `big` messages echoed whole; trailer x-count on end. */
  Chat: method('Chat', true, true),
} satisfies grpc.ServiceDefinition;

function mdRecord(md: grpc.Metadata): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of Object.keys(md.getMap())) out[k] = md.get(k).map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : String(v)));
  return out;
}

function bigMessage(k: number, size = 64 * 1024): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (k + i) & 0xff;
  return b;
}

interface StreamApp {
  readonly calls: Array<{ method: string; metadata: Record<string, string[]> }>;
  readonly cancelled: Record<string, number>;
  readonly received: string[];
  stop(): Promise<void>;
}

async function startStreamApp(port: number): Promise<StreamApp> {
  const server = new grpc.Server();
  const calls: StreamApp['calls'] = [];
  const cancelled: Record<string, number> = {};
  const received: string[] = [];
  const seen = (name: string, call: { metadata: grpc.Metadata; on(e: 'cancelled', f: () => void): unknown }): void => {
    calls.push({ method: name, metadata: mdRecord(call.metadata) });
    call.on('cancelled', () => (cancelled[name] = (cancelled[name] ?? 0) + 1));
  };
  const header = (call: { sendMetadata(md: grpc.Metadata): void }, name: string): void => {
    const h = new grpc.Metadata();
    h.set('x-reply-header', name);
    call.sendMetadata(h);
  };
  const trailer = (k: string, v: string): grpc.Metadata => {
    const t = new grpc.Metadata();
    t.set(k, v);
    return t;
  };
  server.addService(SERVICE, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      calls.push({ method: 'Say', metadata: mdRecord(call.metadata) });
      header(call, 'Say');
      cb(null, Buffer.concat([Buffer.from('echo:'), call.request]), trailer('x-reply-trailer', 'say'));
    },
    Count: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      seen('Count', call);
      const req = call.request.toString();
      const fail = req.startsWith('fail:');
      const n = Number(fail ? req.slice(5) : req);
      header(call, 'Count');
      for (let i = 1; i <= n; i++) call.write(Buffer.from(`c${i}`));
      if (fail) call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: `stopped after ${n}`, metadata: trailer('x-why', 'asked') });
      else call.end(trailer('x-count', String(n)));
    },
    Watch: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      seen('Watch', call);
      call.write(Buffer.from(`watching:${call.request.toString()}`));
    },
    Big: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      seen('Big', call);
      const n = Number(call.request.toString());
      let k = 0;
      const more = (): void => {
        while (k < n) {
          k++;
          if (!call.write(bigMessage(k))) {
            call.once('drain', more);
            return;
          }
        }
        call.end();
      };
      more();
    },
    Sum: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      seen('Sum', call);
      const parts: string[] = [];
      call.on('data', (b: Buffer) => parts.push(b.toString()));
      call.on('end', () => cb(null, Buffer.from(`sum:${parts.join('+')}`), trailer('x-count', String(parts.length))));
    },
    Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      seen('Chat', call);
      header(call, 'Chat');
      let n = 0;
      call.on('data', (b: Buffer) => {
        n++;
        if (b.length > 1024) {
          if (!call.write(b)) {
            call.pause();
            call.once('drain', () => call.resume());
          }
          return;
        }
        received.push(b.toString());
        call.write(Buffer.from(`re:${b.toString()}`));
      });
      call.on('end', () => call.end(trailer('x-count', String(n))));
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  return {
    calls,
    cancelled,
    received,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

interface Outcome {
  messages: Buffer[];
  headers: Record<string, string[]>;
  status: grpc.StatusObject;
}

const StreamClient = grpc.makeGenericClientConstructor(SERVICE, 'Echo');

/** A grpc-js client of the app's service pointed at a runtime's gRPC port. */
class Client {
  readonly c: grpc.Client;
  constructor(port: number) {
    this.c = new StreamClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  md(target: string, extra: Record<string, string> = {}): grpc.Metadata {
    const m = new grpc.Metadata();
    m.set('dapr-app-id', target);
    for (const [k, v] of Object.entries(extra)) m.set(k, v);
    return m;
  }

  /** Reads a call's answer to its status. */
  outcome(call: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>): Promise<Outcome> {
    return new Promise((resolve) => {
      const messages: Buffer[] = [];
      let headers: Record<string, string[]> = {};
      call.on('metadata', (m: grpc.Metadata) => (headers = mdRecord(m)));
      call.on('data', (b: Buffer) => messages.push(b));
      call.on('error', () => undefined);
      call.on('status', (status: grpc.StatusObject) => resolve({ messages, headers, status }));
    });
  }

  serverStream(name: 'Count' | 'Watch' | 'Big', body: string, md: grpc.Metadata, deadlineMs = 20_000): grpc.ClientReadableStream<Buffer> {
    return this.c.makeServerStreamRequest(`/stream.Echo/${name}`, identity, identity, Buffer.from(body), md, { deadline: Date.now() + deadlineMs });
  }

  bidi(md: grpc.Metadata, deadlineMs = 20_000): grpc.ClientDuplexStream<Buffer, Buffer> {
    return this.c.makeBidiStreamRequest('/stream.Echo/Chat', identity, identity, md, { deadline: Date.now() + deadlineMs });
  }

  sum(parts: string[], md: grpc.Metadata): Promise<{ error?: grpc.ServiceError; response?: Buffer; trailers: Record<string, string[]> }> {
    return new Promise((resolve) => {
      let outcome: { error?: grpc.ServiceError; response?: Buffer } = {};
      const call = this.c.makeClientStreamRequest('/stream.Echo/Sum', identity, identity, md, { deadline: Date.now() + 20_000 }, (error, response) => {
        outcome = error ? { error } : { response };
      });
      call.on('status', (s: grpc.StatusObject) => resolve({ ...outcome, trailers: mdRecord(s.metadata) }));
      for (const p of parts) call.write(Buffer.from(p));
      call.end();
    });
  }

  say(body: string, md: grpc.Metadata): Promise<{ error?: grpc.ServiceError; response?: Buffer; headers: Record<string, string[]>; trailers: Record<string, string[]> }> {
    return new Promise((resolve) => {
      let headers: Record<string, string[]> = {};
      let outcome: { error?: grpc.ServiceError; response?: Buffer } = {};
      const call = this.c.makeUnaryRequest('/stream.Echo/Say', identity, identity, Buffer.from(body), md, { deadline: Date.now() + 20_000 }, (error, response) => {
        outcome = error ? { error } : { response };
      });
      call.on('metadata', (m: grpc.Metadata) => (headers = mdRecord(m)));
      call.on('status', (s: grpc.StatusObject) => resolve({ ...outcome, headers, trailers: mdRecord(s.metadata) }));
    });
  }

  close(): void {
    this.c.close();
  }
}

/** Waits for the next message of a duplex call. */
function nextMessage(call: grpc.ClientDuplexStream<Buffer, Buffer>): Promise<string> {
  return new Promise((resolve, reject) => {
    call.once('data', (b: Buffer) => resolve(b.toString()));
    call.once('error', reject);
  });
}

interface Topology {
  /** gRPC port of the caller's runtime (no app of its own). */
  callerGrpc: number;
  /** gRPC port of the callee app's own runtime. */
  calleeGrpc: number;
  app?: StreamApp;
}

function streamingMatrix(topo: () => Topology): void {
  let viaCaller: Client;
  let viaOwn: Client;
  const app = (): StreamApp => topo().app as StreamApp;
  beforeAll(() => {
    viaCaller = new Client(topo().callerGrpc);
    viaOwn = new Client(topo().calleeGrpc);
  });
  afterAll(() => {
    viaCaller?.close();
    viaOwn?.close();
  });

  describe.each([
    ['through the caller runtime (gateway to gateway)', () => viaCaller, CALLER],
    ["through the app's own runtime", () => viaOwn, CALLEE],
  ] as const)('%s', (_label, client, callerId) => {
    it('unary still works (the fast path): answer, headers and trailers', async () => {
      const r = await client().say('ping', client().md(CALLEE));
      expect(r.error).toBeUndefined();
      expect(r.response?.toString()).toBe('echo:ping');
      expect(r.headers['x-reply-header']).toEqual(['Say']);
      expect(r.trailers['x-reply-trailer']).toEqual(['say']);
    });

    it('server streaming: every message in order, the app\'s headers, trailers and OK status; metadata and caller identity reach the app', async () => {
      const before = app().calls.length;
      const o = await client().outcome(client().serverStream('Count', '25', client().md(CALLEE, { 'x-custom': 'yes', traceparent: TRACEPARENT })));
      expect(o.status.code).toBe(grpc.status.OK);
      expect(o.messages.map((b) => b.toString())).toEqual(Array.from({ length: 25 }, (_, i) => `c${i + 1}`));
      expect(o.headers['x-reply-header']).toEqual(['Count']);
      expect(mdRecord(o.status.metadata)['x-count']).toEqual(['25']);
      const seen = app().calls.slice(before).find((c) => c.method === 'Count');
      expect(seen?.metadata).toMatchObject({ 'x-custom': ['yes'], 'dapr-caller-app-id': [callerId], 'dapr-callee-app-id': [CALLEE] });
      expect(seen?.metadata['dapr-app-id']).toBeUndefined();
      expect(seen?.metadata['traceparent']?.[0]).toMatch(new RegExp(`^00-${TRACE_ID}-`));
    });

    it('server streaming: an app error after some messages arrives after them, with its code, message and trailers', async () => {
      const o = await client().outcome(client().serverStream('Count', 'fail:3', client().md(CALLEE)));
      expect(o.messages.map((b) => b.toString())).toEqual(['c1', 'c2', 'c3']);
      expect([o.status.code, o.status.details]).toEqual([grpc.status.FAILED_PRECONDITION, 'stopped after 3']);
      expect(mdRecord(o.status.metadata)['x-why']).toEqual(['asked']);
    });

    it('server streaming: a stream of no messages ends OK', async () => {
      const o = await client().outcome(client().serverStream('Count', '0', client().md(CALLEE)));
      expect(o.status.code).toBe(grpc.status.OK);
      expect(o.messages).toEqual([]);
    });

    it('server streaming: the first message arrives while the app keeps the stream open; the client cancelling cancels the app\'s call', async () => {
      const before = app().cancelled['Watch'] ?? 0;
      const call = client().serverStream('Watch', 'w1', client().md(CALLEE));
      call.on('error', () => undefined);
      const first = await new Promise<string>((resolve) => call.once('data', (b: Buffer) => resolve(b.toString())));
      expect(first).toBe('watching:w1');
      call.cancel();
      await eventually(() => (app().cancelled['Watch'] ?? 0) === before + 1, 10_000, 'the app to see its Watch call cancelled');
    });

    it('server streaming: 200 messages of 64 KiB arrive complete and intact', async () => {
      const o = await client().outcome(client().serverStream('Big', '200', client().md(CALLEE)));
      expect(o.status.code).toBe(grpc.status.OK);
      expect(o.messages).toHaveLength(200);
      expect(o.messages.every((b, k) => b.equals(bigMessage(k + 1)))).toBe(true);
    });

    it('client streaming: every message reaches the app in order; one answer with its trailers', async () => {
      const parts = Array.from({ length: 40 }, (_, i) => `p${i + 1}`);
      const r = await client().sum(parts, client().md(CALLEE, { 'x-custom': 'sum' }));
      expect(r.error).toBeUndefined();
      expect(r.response?.toString()).toBe(`sum:${parts.join('+')}`);
      expect(r.trailers['x-count']).toEqual(['40']);
      const seen = [...app().calls].reverse().find((c) => c.method === 'Sum');
      expect(seen?.metadata).toMatchObject({ 'x-custom': ['sum'], 'dapr-caller-app-id': [callerId] });
    });

    it('client streaming: no message at all still gets its answer', async () => {
      const r = await client().sum([], client().md(CALLEE));
      expect(r.response?.toString()).toBe('sum:');
      expect(r.trailers['x-count']).toEqual(['0']);
    });

    it('bidirectional ping-pong: each answer comes back before the next message is sent; the half-close ends the call with trailers', async () => {
      const call = client().bidi(client().md(CALLEE));
      const done = client().outcome(call);
      for (let i = 1; i <= 5; i++) {
        const answer = nextMessage(call);
        call.write(Buffer.from(`q${i}`));
        await expect(answer).resolves.toBe(`re:q${i}`);
      }
      call.end();
      const o = await done;
      expect(o.status.code).toBe(grpc.status.OK);
      expect(o.headers['x-reply-header']).toEqual(['Chat']);
      expect(mdRecord(o.status.metadata)['x-count']).toEqual(['5']);
    });

    it('bidirectional: 300 messages of 64 KiB each way arrive complete and intact (flow control both ways)', async () => {
      const call = client().bidi(client().md(CALLEE));
      const done = client().outcome(call);
      for (let k = 1; k <= 300; k++) {
        if (!call.write(bigMessage(k))) await new Promise((r) => call.once('drain', r));
      }
      call.end();
      const o = await done;
      expect(o.status.code).toBe(grpc.status.OK);
      expect(o.messages).toHaveLength(300);
      expect(o.messages.every((b, k) => b.equals(bigMessage(k + 1)))).toBe(true);
      expect(mdRecord(o.status.metadata)['x-count']).toEqual(['300']);
    });

    it('bidirectional: the client cancelling cancels the app\'s call', async () => {
      const before = app().cancelled['Chat'] ?? 0;
      const call = client().bidi(client().md(CALLEE));
      call.on('error', () => undefined);
      const answer = nextMessage(call);
      call.write(Buffer.from('hello'));
      await expect(answer).resolves.toBe('re:hello');
      call.cancel();
      await eventually(() => (app().cancelled['Chat'] ?? 0) === before + 1, 10_000, 'the app to see its Chat call cancelled');
    });

    it('bidirectional: the client\'s deadline ends the call on both sides', async () => {
      const before = app().cancelled['Chat'] ?? 0;
      const call = client().bidi(client().md(CALLEE), 500);
      const done = client().outcome(call);
      call.write(Buffer.from('still here'));
      const o = await done;
      expect(o.messages.map((b) => b.toString())).toEqual(['re:still here']);
      expect(o.status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await eventually(() => (app().cancelled['Chat'] ?? 0) === before + 1, 10_000, 'the app to see its Chat call end');
    });
  });

  it('a streaming call to an unknown app fails with an error naming it, not a hang', async () => {
    const call = viaCaller.bidi(viaCaller.md('no-such-app'), 10_000);
    const done = viaCaller.outcome(call);
    call.write(Buffer.from('x'));
    const o = await done;
    expect(o.status.code).toBe(grpc.status.INTERNAL);
    expect(o.status.details).toContain('no-such-app');
  });
}

describe('gRPC proxying of streaming methods: every gateway in one `tessera run -f` process', () => {
  const env = { TESSERA_HOME: tempDir('tessera-home-') };
  let run: TesseraProcess | undefined;
  const topo: Topology = { callerGrpc: 0, calleeGrpc: 0 };

  beforeAll(async () => {
    const apps = {
      [CALLEE]: { appPort: await freePort(), http: await freePort(), grpc: await freePort() },
      [CALLER]: { appPort: 0, http: await freePort(), grpc: await freePort() },
    };
    const dir = tempDir('tessera-runfile-');
    const lines = ['version: 1', 'apps:'];
    for (const [id, a] of Object.entries(apps)) {
      mkdirSync(join(dir, id));
      lines.push(`  - appID: ${id}`, `    appDirPath: ./${id}`, `    daprHTTPPort: ${a.http}`, `    daprGRPCPort: ${a.grpc}`);
      if (a.appPort) lines.push(`    appPort: ${a.appPort}`, '    appProtocol: grpc');
    }
    writeFileSync(join(dir, 'dapr.yaml'), `${lines.join('\n')}\n`);
    topo.app = await startStreamApp(apps[CALLEE].appPort);
    run = startCli(['run', '-f', join(dir, 'dapr.yaml')], { env, cwd: dir });
    for (const a of Object.values(apps)) await waitHttp(run, `http://127.0.0.1:${a.http}/v1.0/healthz`, 30_000, (s) => s === 204);
    topo.callerGrpc = apps[CALLER].grpc;
    topo.calleeGrpc = apps[CALLEE].grpc;
    // both gateways have registered once the caller reaches the callee
    const probe = new Client(topo.callerGrpc);
    try {
      await eventually(async () => (await probe.say('up', probe.md(CALLEE))).error === undefined, 20_000, 'the caller to reach the callee');
    } finally {
      probe.close();
    }
  }, 60_000);

  afterAll(async () => {
    await run?.stop();
    await topo.app?.stop();
  });

  streamingMatrix(() => topo);
});

describe('gRPC proxying of streaming methods: one runtime process per app', () => {
  const env = { TESSERA_HOME: tempDir('tessera-home-') };
  const runtimes: Runtime[] = [];
  const topo: Topology = { callerGrpc: 0, calleeGrpc: 0 };

  beforeAll(async () => {
    const appPort = await freePort();
    topo.app = await startStreamApp(appPort);
    const [callee, caller] = await Promise.all([
      startRuntime({ appId: CALLEE, appPort, appProtocol: 'grpc', env }),
      startRuntime({ appId: CALLER, env }),
    ]);
    runtimes.push(callee, caller);
    topo.callerGrpc = caller.grpcPort;
    topo.calleeGrpc = callee.grpcPort;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    await topo.app?.stop();
  });

  streamingMatrix(() => topo);
});
