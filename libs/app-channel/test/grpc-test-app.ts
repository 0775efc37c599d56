// A real gRPC app for the channel tests: @grpc/grpc-js server with AppCallback.OnInvoke,
// AppCallbackHealthCheck.HealthCheck and a generic unary method `/test.Raw/Echo` (bytes in,
// bytes out). OnInvoke answers by method:
//   echo          data/contentType back; header x-seen-token = dapr-api-token; trailer x-trailer
//   describe      JSON {verb, querystring, method, contentType, metadata} of what arrived
//   fail          NOT_FOUND "no such order" with a google.rpc.Status details trailer
//   unavailable   UNAVAILABLE "app is draining" (the app's own answer, not a transport failure)
//   slow          held until release()
// Raw methods (proxying): /test.Raw/Echo (unary), /test.Raw/Stream (two messages),
// /test.Raw/Empty (OK, no message), /test.Raw/Watch (header, one message, then nothing until
// cancelled), /test.Raw/Chat (bidirectional: `chat:<m>` per message, `fail` -> ABORTED after the
// answers so far, trailer x-count on end), /test.Raw/Many (server streaming: 1000 messages of 4 KiB, `m<i>:` then padding).
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import { AppCallbackHealthCheckService, AppCallbackService } from '@tessera/contracts';
import type { InvokeRequest, InvokeResponse } from '@tessera/contracts';

export interface GrpcTestApp {
  readonly port: number;
  readonly calls: Array<{ method: string; metadata: Record<string, Array<string | Buffer>> }>;
  /** HealthCheck answers OK while true, UNAVAILABLE otherwise. */
  healthy: boolean;
  healthChecks: number;
  readonly slow: { active: number; total: number; peak: number };
  /** Watch / Chat calls the app saw cancelled, and Chat messages it received. */
  readonly streams: { watchCancelled: number; chatCancelled: number; chatReceived: string[]; manySent: number };
  release(): void;
  waitForSlow(n: number): Promise<void>;
  close(): Promise<void>;
}

export const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

/** google.rpc.Status{code, message, details:[Any{typeUrl, value}]} */
export function encodeStatus(code: number, message: string, typeUrl: string, value: Buffer): Buffer {
  const any = new BinaryWriter().uint32(10).string(typeUrl).uint32(18).bytes(value).finish();
  return Buffer.from(new BinaryWriter().uint32(8).int32(code).uint32(18).string(message).uint32(26).bytes(any).finish());
}

const identity = (b: Buffer): Buffer => b;
/** 4 KiB of padding per /test.Raw/Many message: 4 MiB in all, well past HTTP/2's windows. */
const PAD = Buffer.alloc(4096, 0x78);

export async function startGrpcTestApp(): Promise<GrpcTestApp> {
  const calls: GrpcTestApp['calls'] = [];
  const held: Array<() => void> = [];
  const slow = { active: 0, total: 0, peak: 0 };
  const streams = { watchCancelled: 0, chatCancelled: 0, chatReceived: [] as string[], manySent: 0 };
  const slowWaiters: Array<{ n: number; resolve: () => void }> = [];
  const state = { healthy: true, healthChecks: 0 };

  const server = new grpc.Server();
  server.addService(AppCallbackService, {
    onInvoke(call: grpc.ServerUnaryCall<InvokeRequest, InvokeResponse>, cb: grpc.sendUnaryData<InvokeResponse>) {
      const req = call.request;
      calls.push({ method: req.method, metadata: call.metadata.toJSON() });
      switch (req.method) {
        case 'echo': {
          const md = new grpc.Metadata();
          md.set('x-seen-token', String(call.metadata.get('dapr-api-token')[0] ?? ''));
          call.sendMetadata(md);
          const trailer = new grpc.Metadata();
          trailer.set('x-trailer', 'done');
          trailer.set('x-trailer-bin', Buffer.from([1, 2, 3]));
          cb(null, { data: req.data, contentType: req.contentType }, trailer);
          return;
        }
        case 'describe': {
          const metadata: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(call.metadata.toJSON())) metadata[k] = v.map((x) => (Buffer.isBuffer(x) ? `bin:${x.toString('hex')}` : x));
          const out = { verb: req.httpExtension?.verb, querystring: req.httpExtension?.querystring, method: req.method, contentType: req.contentType, metadata };
          cb(null, { data: { typeUrl: '', value: Buffer.from(JSON.stringify(out)) }, contentType: 'application/json' });
          return;
        }
        case 'fail': {
          const trailer = new grpc.Metadata();
          trailer.set('grpc-status-details-bin', encodeStatus(grpc.status.NOT_FOUND, 'no such order', ERROR_INFO_TYPE, Buffer.from('reason-bytes')));
          cb({ code: grpc.status.NOT_FOUND, details: 'no such order', metadata: trailer });
          return;
        }
        case 'unavailable':
          cb({ code: grpc.status.UNAVAILABLE, details: 'app is draining' });
          return;
        case 'slow': {
          slow.active++;
          slow.total++;
          slow.peak = Math.max(slow.peak, slow.active);
          let done = false;
          const finish = (): void => {
            if (done) return;
            done = true;
            slow.active--;
          };
          call.on('cancelled', finish);
          held.push(() => {
            finish();
            cb(null, { data: { typeUrl: '', value: Buffer.from('done') }, contentType: 'text/plain' });
          });
          for (const w of slowWaiters.splice(0)) {
            if (slow.total >= w.n) w.resolve();
            else slowWaiters.push(w);
          }
          return;
        }
        default:
          cb({ code: grpc.status.UNIMPLEMENTED, details: `unknown method ${req.method}` });
      }
    },
  });
  server.addService(AppCallbackHealthCheckService, {
    healthCheck(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<object>) {
      state.healthChecks++;
      if (state.healthy) cb(null, {});
      else cb({ code: grpc.status.UNAVAILABLE, details: 'not ready' });
    },
  });
  server.addService(
    {
      echo: {
        path: '/test.Raw/Echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
      stream: {
        path: '/test.Raw/Stream',
        requestStream: false,
        responseStream: true,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
      empty: {
        path: '/test.Raw/Empty',
        requestStream: false,
        responseStream: true,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
      watch: {
        path: '/test.Raw/Watch',
        requestStream: false,
        responseStream: true,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
      many: {
        path: '/test.Raw/Many',
        requestStream: false,
        responseStream: true,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
      chat: {
        path: '/test.Raw/Chat',
        requestStream: true,
        responseStream: true,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      /** Server streaming: two messages (not proxyable as unary). */
      stream(call: grpc.ServerWritableStream<Buffer, Buffer>) {
        calls.push({ method: '/test.Raw/Stream', metadata: call.metadata.toJSON() });
        call.write(Buffer.from('one'));
        call.write(Buffer.from('two'));
        call.end();
      },
      /** OK without any message. */
      empty(call: grpc.ServerWritableStream<Buffer, Buffer>) {
        call.end();
      },
      watch(call: grpc.ServerWritableStream<Buffer, Buffer>) {
        calls.push({ method: '/test.Raw/Watch', metadata: call.metadata.toJSON() });
        const md = new grpc.Metadata();
        md.set('x-watch', 'on');
        call.sendMetadata(md);
        call.write(Buffer.from(`first:${call.request.toString()}`));
        call.on('cancelled', () => streams.watchCancelled++);
      },
      many(call: grpc.ServerWritableStream<Buffer, Buffer>) {
        let i = 0;
        const more = (): void => {
          while (i < 1000) {
            i++;
            streams.manySent = i;
            if (!call.write(Buffer.concat([Buffer.from(`m${i}:`), PAD]))) {
              call.once('drain', more);
              return;
            }
          }
          call.end();
        };
        more();
      },
      chat(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
        calls.push({ method: '/test.Raw/Chat', metadata: call.metadata.toJSON() });
        let n = 0;
        let failed = false;
        call.on('cancelled', () => streams.chatCancelled++);
        call.on('data', (m: Buffer) => {
          if (failed) return;
          const text = m.toString();
          streams.chatReceived.push(text);
          if (text === 'fail') {
            failed = true;
            const t = new grpc.Metadata();
            t.set('x-count', String(n));
            call.emit('error', { code: grpc.status.ABORTED, details: 'chat failed', metadata: t });
            return;
          }
          n++;
          call.write(Buffer.from(`chat:${text}`));
        });
        call.on('end', () => {
          if (failed) return;
          const t = new grpc.Metadata();
          t.set('x-count', String(n));
          call.end(t);
        });
      },
      echo(call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
        calls.push({ method: '/test.Raw/Echo', metadata: call.metadata.toJSON() });
        if (call.request.toString() === 'fail') {
          cb({ code: grpc.status.PERMISSION_DENIED, details: 'raw denied' });
          return;
        }
        const md = new grpc.Metadata();
        md.set('x-raw', 'yes');
        call.sendMetadata(md);
        cb(null, Buffer.concat([Buffer.from('echo:'), call.request]));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  return {
    port,
    calls,
    get healthy() {
      return state.healthy;
    },
    set healthy(v: boolean) {
      state.healthy = v;
    },
    get healthChecks() {
      return state.healthChecks;
    },
    set healthChecks(v: number) {
      state.healthChecks = v;
    },
    slow,
    streams,
    release() {
      for (const f of held.splice(0)) f();
    },
    waitForSlow(n) {
      if (slow.total >= n) return Promise.resolve();
      return new Promise<void>((resolve) => slowWaiters.push({ n, resolve }));
    },
    close() {
      server.forceShutdown();
      return Promise.resolve();
    },
  };
}
