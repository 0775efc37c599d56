// StateTransportClient -> StateTransportServer over loopback, against a small in-file fake
// StateApi: byte-exact round trips of every method, ApiError round trips, CallContext
// propagation, deadline and abort, reconnection after a server restart, 1000 calls in flight.
import {
  ApiError,
  DeleteBulkStateRequest,
  DeleteStateRequest,
  ExecuteStateTransactionRequest,
  GetBulkStateRequest,
  GetBulkStateResponse,
  GetStateRequest,
  GetStateResponse,
  GrpcCode,
  QueryStateRequest,
  QueryStateResponse,
  SaveStateRequest,
  StateErrors,
  StateOptions_StateConcurrency,
  StateOptions_StateConsistency,
  isApiError,
} from '@tessera/contracts';
import type { CallContext, RegisteredComponent, StateApi } from '@tessera/contracts';
import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import { StateTransportClient, StateTransportServer } from './index';

/** Bytes that are not valid UTF-8, plus NUL: they must come back exactly. */
const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x80, 0x00]);

type Handler = (req: unknown, ctx: CallContext) => Promise<unknown>;

/** Records every call; answers with `handlers[method]` or a canned default. */
class FakeStateApi implements StateApi {
  readonly calls: Array<{ method: string; req: unknown; ctx: CallContext }> = [];
  readonly handlers: Partial<Record<keyof StateApi, Handler>> = {};

  private run(method: keyof StateApi, req: unknown, ctx: CallContext, dflt: unknown): Promise<never> {
    this.calls.push({ method, req, ctx });
    const h = this.handlers[method];
    return (h ? h(req, ctx) : Promise.resolve(dflt)) as Promise<never>;
  }
  getState(req: GetStateRequest, ctx: CallContext): Promise<GetStateResponse> {
    return this.run('getState', req, ctx, { data: BINARY, etag: '7', metadata: { 'ttlExpireTime': '2030-01-01T00:00:00Z' } });
  }
  getBulkState(req: GetBulkStateRequest, ctx: CallContext): Promise<GetBulkStateResponse> {
    return this.run('getBulkState', req, ctx, { items: [] });
  }
  saveState(req: SaveStateRequest, ctx: CallContext): Promise<void> {
    return this.run('saveState', req, ctx, undefined);
  }
  deleteState(req: DeleteStateRequest, ctx: CallContext): Promise<void> {
    return this.run('deleteState', req, ctx, undefined);
  }
  deleteBulkState(req: DeleteBulkStateRequest, ctx: CallContext): Promise<void> {
    return this.run('deleteBulkState', req, ctx, undefined);
  }
  executeStateTransaction(req: ExecuteStateTransactionRequest, ctx: CallContext): Promise<void> {
    return this.run('executeStateTransaction', req, ctx, undefined);
  }
  queryState(req: QueryStateRequest, ctx: CallContext): Promise<QueryStateResponse> {
    return this.run('queryState', req, ctx, { results: [], token: '', metadata: {} });
  }
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.run('listComponents', undefined, ctx, []);
  }
}

const ctx: CallContext = {
  appId: 'app-1',
  namespace: 'ns-1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'congo=t61rcWkgMzE',
};

/** The first call the fake saw. */
function seen(api: FakeStateApi): { method: string; req: unknown; ctx: CallContext } {
  const c = api.calls[0];
  if (c === undefined) throw new Error('the fake saw no call');
  return c;
}

function first<T>(items: readonly T[]): T {
  const v = items[0];
  if (v === undefined) throw new Error('empty');
  return v;
}

/** Resolves when `signal` aborts, with its reason. */
function aborted(signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

describe('state transport', () => {
  let api: FakeStateApi;
  let server: StateTransportServer;
  let client: StateTransportClient;
  let port: number;
  const internalErrors: Array<{ err: unknown; method: string }> = [];

  beforeEach(async () => {
    api = new FakeStateApi();
    internalErrors.length = 0;
    server = new StateTransportServer(api, { onInternalError: (err, method) => internalErrors.push({ err, method }) });
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new StateTransportClient(`127.0.0.1:${port}`);
  });

  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  describe('round trips every method byte-exact', () => {
    it('getState', async () => {
      const req: GetStateRequest = {
        storeName: 'store',
        key: 'k\u00e9y||odd',
        consistency: StateOptions_StateConsistency.CONSISTENCY_STRONG,
        metadata: { contentType: 'application/octet-stream', 'partitionKey': 'p' },
      };
      const res = await client.getState(req, ctx);
      const got = seen(api);
      expect(got.method).toBe('getState');
      expect(GetStateRequest.encode(got.req as GetStateRequest).finish()).toEqual(GetStateRequest.encode(req).finish());
      expect(got.req).toEqual(req);
      expect(Buffer.compare(res.data, BINARY)).toBe(0);
      expect(res.etag).toBe('7');
      expect(res.metadata).toEqual({ ttlExpireTime: '2030-01-01T00:00:00Z' });
    });

    it('getState of a missing key: empty data', async () => {
      api.handlers.getState = async () => ({ data: Buffer.alloc(0), etag: '', metadata: {} });
      const res = await client.getState({ storeName: 's', key: 'nope', consistency: 0, metadata: {} }, ctx);
      expect(res.data.length).toBe(0);
      expect(res.etag).toBe('');
    });

    it('getBulkState', async () => {
      const resp: GetBulkStateResponse = {
        items: [
          { key: 'a', data: BINARY, etag: '1', error: '', metadata: { m: 'v' } },
          { key: 'b', data: Buffer.alloc(0), etag: '', error: 'boom', metadata: {} },
        ],
      };
      api.handlers.getBulkState = async () => resp;
      const req: GetBulkStateRequest = { storeName: 's', keys: ['a', 'b'], parallelism: 4, metadata: { x: 'y' } };
      const res = await client.getBulkState(req, ctx);
      expect(seen(api).req).toEqual(req);
      expect(GetBulkStateResponse.encode(res).finish()).toEqual(GetBulkStateResponse.encode(resp).finish());
      expect(Buffer.compare(first(res.items).data, BINARY)).toBe(0);
    });

    it('saveState', async () => {
      const req: SaveStateRequest = {
        storeName: 's',
        states: [
          {
            key: 'k1',
            value: BINARY,
            etag: { value: '3' },
            metadata: { ttlInSeconds: '60' },
            options: {
              concurrency: StateOptions_StateConcurrency.CONCURRENCY_FIRST_WRITE,
              consistency: StateOptions_StateConsistency.CONSISTENCY_EVENTUAL,
            },
          },
          { key: 'k2', value: Buffer.from([0xff]), etag: undefined, metadata: {}, options: undefined },
        ],
      };
      await expect(client.saveState(req, ctx)).resolves.toBeUndefined();
      const got = seen(api).req as SaveStateRequest;
      expect(SaveStateRequest.encode(got).finish()).toEqual(SaveStateRequest.encode(req).finish());
      expect(Buffer.compare(first(got.states).value, BINARY)).toBe(0);
      expect(first(got.states).etag).toEqual({ value: '3' });
    });

    it('deleteState', async () => {
      const req: DeleteStateRequest = {
        storeName: 's',
        key: 'k',
        etag: { value: 'e1' },
        options: { concurrency: StateOptions_StateConcurrency.CONCURRENCY_LAST_WRITE, consistency: 0 },
        metadata: { a: 'b' },
      };
      await expect(client.deleteState(req, ctx)).resolves.toBeUndefined();
      expect(DeleteStateRequest.encode(seen(api).req as DeleteStateRequest).finish()).toEqual(DeleteStateRequest.encode(req).finish());
    });

    it('deleteBulkState', async () => {
      const req: DeleteBulkStateRequest = {
        storeName: 's',
        states: [{ key: 'a', value: Buffer.alloc(0), etag: { value: '1' }, metadata: {}, options: undefined }],
      };
      await expect(client.deleteBulkState(req, ctx)).resolves.toBeUndefined();
      expect(seen(api).req).toEqual(req);
    });

    it('executeStateTransaction', async () => {
      const req: ExecuteStateTransactionRequest = {
        storeName: 's',
        operations: [
          { operationType: 'upsert', request: { key: 'a', value: BINARY, etag: undefined, metadata: {}, options: undefined } },
          { operationType: 'delete', request: { key: 'b', value: Buffer.alloc(0), etag: { value: '2' }, metadata: {}, options: undefined } },
        ],
        metadata: { partitionKey: 'p' },
      };
      await expect(client.executeStateTransaction(req, ctx)).resolves.toBeUndefined();
      const got = seen(api).req as ExecuteStateTransactionRequest;
      expect(ExecuteStateTransactionRequest.encode(got).finish()).toEqual(ExecuteStateTransactionRequest.encode(req).finish());
      expect(Buffer.compare(first(got.operations).request?.value ?? Buffer.alloc(0), BINARY)).toBe(0);
    });

    it('queryState', async () => {
      const resp: QueryStateResponse = {
        results: [{ key: 'a', data: BINARY, etag: '1', error: '' }],
        token: 'next',
        metadata: { m: 'v' },
      };
      api.handlers.queryState = async () => resp;
      const req: QueryStateRequest = { storeName: 's', query: '{"filter":{"EQ":{"state":"CA"}}}', metadata: { contentType: 'json' } };
      const res = await client.queryState(req, ctx);
      expect(seen(api).req).toEqual(req);
      expect(QueryStateResponse.encode(res).finish()).toEqual(QueryStateResponse.encode(resp).finish());
    });

    it('listComponents', async () => {
      const components: RegisteredComponent[] = [
        { name: 'statestore', type: 'state.redis', version: 'v1', capabilities: ['ETAG', 'TRANSACTIONAL', 'TTL'] },
        { name: 'other', type: 'state.in-memory', version: 'v1', capabilities: [] },
      ];
      api.handlers.listComponents = async () => components;
      await expect(client.listComponents(ctx)).resolves.toEqual(components);
      expect(seen(api).ctx.appId).toBe('app-1');
    });

    it('a 4 MiB value (frames split across many socket reads)', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 131) & 0xff;
      api.handlers.getState = async (r) => ({ data: (r as GetStateRequest).key === 'big' ? big : BINARY, etag: '', metadata: {} });
      const [a, b] = await Promise.all([
        client.getState({ storeName: 's', key: 'big', consistency: 0, metadata: {} }, ctx),
        client.getState({ storeName: 's', key: 'small', consistency: 0, metadata: {} }, ctx),
      ]);
      expect(Buffer.compare(a.data, big)).toBe(0);
      expect(Buffer.compare(b.data, BINARY)).toBe(0);
    });
  });

  describe('errors', () => {
    it('an ApiError crosses the wire intact (code, message, statuses, details, retryable)', async () => {
      const original = StateErrors.tooManyTransactions('s', 'app-1', 12, 10);
      api.handlers.executeStateTransaction = async () => {
        throw original;
      };
      const e = await rejection(client.executeStateTransaction({ storeName: 's', operations: [], metadata: {} }, ctx));
      expect(e).toBeInstanceOf(Error);
      expect(e.kind).toBe('tessera.api-error');
      expect({ code: e.code, message: e.message, httpStatus: e.httpStatus, grpcCode: e.grpcCode, retryable: e.retryable }).toEqual({
        code: 'ERR_STATE_STORE_TOO_MANY_TRANSACTIONS',
        message: original.message,
        httpStatus: 400,
        grpcCode: GrpcCode.INVALID_ARGUMENT,
        retryable: false,
      });
      expect(e.details).toEqual(original.details);
      expect(e.toJSON()).toEqual(original.toJSON());
    });

    it.each([
      ['ETag mismatch', StateErrors.etagMismatch('SAVE', 'possible etag mismatch. error from state store: ERR Error running script')],
      ['invalid ETag', StateErrors.etagInvalid('SAVE', 'invalid etag value: strconv.ParseInt: parsing "x"')],
      ['illegal key (rich)', StateErrors.illegalKey('a||b', 's', 'app-1')],
      ['retryable component failure', StateErrors.save('s', 'connection refused')],
    ])('%s', async (_name, original) => {
      api.handlers.saveState = async () => {
        throw original;
      };
      const e = await rejection(client.saveState({ storeName: 's', states: [] }, ctx));
      expect([e.code, e.message, e.httpStatus, e.grpcCode, e.retryable, e.details]).toEqual([
        original.code,
        original.message,
        original.httpStatus,
        original.grpcCode,
        original.retryable,
        original.details,
      ]);
    });

    it('any other failure becomes ERR_INTERNAL without the stack, and is reported to the server', async () => {
      const boom = new TypeError('cannot read properties of undefined (reading "x")');
      api.handlers.getState = async () => {
        throw boom;
      };
      const e = await rejection(client.getState({ storeName: 's', key: 'k', consistency: 0, metadata: {} }, ctx));
      expect(e.code).toBe('ERR_INTERNAL');
      expect(e.httpStatus).toBe(500);
      expect(e.grpcCode).toBe(GrpcCode.INTERNAL);
      expect(e.message).toBe('state-svc failed to serve GetState: cannot read properties of undefined (reading "x")');
      expect(e.message).not.toContain('.ts:');
      expect(internalErrors).toEqual([{ err: boom, method: 'GetState' }]);
    });

    it('a synchronous throw from the API is answered too', async () => {
      api.handlers.deleteState = () => {
        throw StateErrors.delete('k', 'nope');
      };
      const e = await rejection(client.deleteState({ storeName: 's', key: 'k', etag: undefined, options: undefined, metadata: {} }, ctx));
      expect(e.code).toBe('ERR_STATE_DELETE');
      expect(e.message).toBe('failed deleting state with key k: nope');
    });
  });

  describe('call context', () => {
    it('carries app id, namespace and trace context', async () => {
      await client.getState({ storeName: 's', key: 'k', consistency: 0, metadata: {} }, ctx);
      const got = seen(api).ctx;
      expect(got.appId).toBe('app-1');
      expect(got.namespace).toBe('ns-1');
      expect(got.traceparent).toBe(ctx.traceparent);
      expect(got.tracestate).toBe(ctx.tracestate);
      expect(got.deadline).toBeUndefined();
      expect(got.signal).toBeUndefined();
    });

    it('leaves absent trace context absent', async () => {
      await client.saveState({ storeName: 's', states: [] }, { appId: 'a2', namespace: '' });
      const got = seen(api).ctx;
      expect(got).toMatchObject({ appId: 'a2', namespace: '' });
      expect(got.traceparent).toBeUndefined();
      expect(got.tracestate).toBeUndefined();
    });

    it('turns the deadline into a server-side deadline and AbortSignal', async () => {
      const deadline = Date.now() + 5000;
      await client.getState({ storeName: 's', key: 'k', consistency: 0, metadata: {} }, { ...ctx, deadline });
      const got = seen(api).ctx;
      expect(got.deadline).toBeGreaterThan(Date.now() + 4000);
      expect(got.deadline).toBeLessThanOrEqual(deadline + 50);
      expect(got.signal?.aborted).toBe(false);
    });
  });

  describe('deadline and abort', () => {
    it('a deadline that passes fails the call with DEADLINE_EXCEEDED and aborts the server side', async () => {
      let serverAbort: Promise<unknown> = Promise.resolve();
      api.handlers.getState = (_r, c) => {
        serverAbort = aborted(c.signal);
        return new Promise(() => undefined); // never answers
      };
      const t0 = Date.now();
      const e = await rejection(
        client.getState({ storeName: 's', key: 'k', consistency: 0, metadata: {} }, { ...ctx, deadline: Date.now() + 150 }),
      );
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect([e.code, e.grpcCode, e.httpStatus]).toEqual(['ERR_STATE_GET', GrpcCode.DEADLINE_EXCEEDED, 500]);
      expect(e.message).toBe('fail to get k from state store s: context deadline exceeded');
      const reason = await serverAbort;
      expect(isApiError(reason) && reason.grpcCode).toBe(GrpcCode.DEADLINE_EXCEEDED);
    });

    it('a deadline already past fails at once, without a call', async () => {
      const e = await rejection(client.saveState({ storeName: 's', states: [] }, { ...ctx, deadline: Date.now() - 1 }));
      expect([e.code, e.grpcCode]).toEqual(['ERR_STATE_SAVE', GrpcCode.DEADLINE_EXCEEDED]);
      expect(api.calls).toHaveLength(0);
    });

    it('ctx.signal aborts the call at once and cancels it on the server', async () => {
      let serverAbort: Promise<unknown> = Promise.resolve();
      let started!: () => void;
      const isStarted = new Promise<void>((r) => (started = r));
      api.handlers.queryState = (_r, c) => {
        serverAbort = aborted(c.signal);
        started();
        return new Promise(() => undefined);
      };
      const ac = new AbortController();
      const p = rejection(client.queryState({ storeName: 's', query: '{}', metadata: {} }, { ...ctx, signal: ac.signal }));
      await isStarted;
      ac.abort();
      const e = await p;
      expect([e.code, e.grpcCode, e.retryable]).toEqual(['ERR_STATE_QUERY', GrpcCode.CANCELLED, false]);
      expect(e.message).toBe('failed query in state store s: context canceled');
      const reason = await serverAbort;
      expect(isApiError(reason) && reason.grpcCode).toBe(GrpcCode.CANCELLED);
    });

    it('an already aborted signal fails at once; an ApiError reason is passed through', async () => {
      const ac = new AbortController();
      ac.abort();
      const e = await rejection(client.getState({ storeName: 's', key: 'k', consistency: 0, metadata: {} }, { ...ctx, signal: ac.signal }));
      expect(e.grpcCode).toBe(GrpcCode.CANCELLED);
      const reason = StateErrors.get('k', 's', 'resiliency timeout');
      const e2 = await rejection(
        client.getState({ storeName: 's', key: 'k', consistency: 0, metadata: {} }, { ...ctx, signal: AbortSignal.abort(reason) }),
      );
      expect(e2).toBe(reason);
      expect(api.calls).toHaveLength(0);
    });

    it('a signal shared by many calls keeps no listener once they are done', async () => {
      const ac = new AbortController();
      const calls = Array.from({ length: 20 }, () => client.saveState({ storeName: 's', states: [] }, { ...ctx, signal: ac.signal }));
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(20);
      await Promise.all(calls);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });
  });

  describe('connection loss and reconnection', () => {
    const get = (c: StateTransportClient, key = 'k'): Promise<GetStateResponse> =>
      c.getState({ storeName: 'store', key, consistency: 0, metadata: {} }, ctx);

    it('state-svc never reachable: each operation fails with its own code, UNAVAILABLE, retryable', async () => {
      const dead = new StateTransportClient(`127.0.0.1:${await freePort()}`);
      try {
        const cases: Array<[Promise<unknown>, string, string]> = [
          [get(dead), 'ERR_STATE_GET', 'fail to get k from state store store'],
          [dead.getBulkState({ storeName: 's', keys: [], parallelism: 0, metadata: {} }, ctx), 'ERR_STATE_BULK_GET', 'failed getting bulk state from state store s'],
          [dead.saveState({ storeName: 's', states: [] }, ctx), 'ERR_STATE_SAVE', 'failed saving state in state store s'],
          [dead.deleteState({ storeName: 's', key: 'k', etag: undefined, options: undefined, metadata: {} }, ctx), 'ERR_STATE_DELETE', 'failed deleting state with key k'],
          [dead.deleteBulkState({ storeName: 's', states: [] }, ctx), 'ERR_STATE_BULK_DELETE', 'failed deleting state'],
          [dead.executeStateTransaction({ storeName: 's', operations: [], metadata: {} }, ctx), 'ERR_STATE_TRANSACTION', 'error while executing state transaction'],
          [dead.queryState({ storeName: 's', query: '{}', metadata: {} }, ctx), 'ERR_STATE_QUERY', 'failed query in state store s'],
        ];
        for (const [p, code, prefix] of cases) {
          const e = await rejection(p);
          expect([e.code, e.httpStatus, e.grpcCode, e.retryable]).toEqual([code, 500, GrpcCode.UNAVAILABLE, true]);
          expect(e.message).toMatch(new RegExp(`^${prefix}: state-svc at ${dead.address} is unreachable: .*ECONNREFUSED`));
        }
      } finally {
        await dead.close();
      }
    });

    it('fails fast while state-svc is down and recovers by itself when it is back', async () => {
      await expect(get(client)).resolves.toBeDefined();

      // a call in flight when state-svc dies fails with the unreachable error
      let started!: () => void;
      const isStarted = new Promise<void>((r) => (started = r));
      api.handlers.getState = () => {
        started();
        return new Promise(() => undefined);
      };
      const inFlight = rejection(get(client, 'in-flight'));
      await isStarted;
      await server.close(0);
      const e1 = await inFlight;
      expect([e1.code, e1.grpcCode, e1.httpStatus, e1.retryable]).toEqual(['ERR_STATE_GET', GrpcCode.UNAVAILABLE, 500, true]);
      expect(e1.message).toContain(`state-svc at 127.0.0.1:${port} is unreachable: `);

      // while it is down, calls fail fast
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const e = await rejection(get(client));
        expect(performance.now() - t0).toBeLessThan(500); // vs a 2 s connect timeout
        expect(e.message).toMatch(new RegExp(`^fail to get k from state store store: state-svc at 127\\.0\\.0\\.1:${port} is unreachable: .*ECONNREFUSED`));
      }

      // back on the same port: the same client gets through again without being recreated
      api = new FakeStateApi();
      server = new StateTransportServer(api);
      await server.listen('127.0.0.1', port);
      const t0 = Date.now();
      let res: GetStateResponse | undefined;
      while (res === undefined && Date.now() - t0 < 3000) {
        res = await get(client).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 20)));
      }
      expect(res && Buffer.compare(res.data, BINARY)).toBe(0);
      expect(Date.now() - t0).toBeLessThan(2500); // backoff tops out at 1 s (+20% jitter)
    });

    it('graceful close: calls in flight finish, the connection is given up (GOAWAY)', async () => {
      let release!: () => void;
      api.handlers.getState = () =>
        new Promise((r) => (release = () => r({ data: BINARY, etag: 'late', metadata: {} })));
      const p = get(client);
      while (api.calls.length === 0) await new Promise((r) => setImmediate(r));
      const closing = server.close(5000);
      await new Promise((r) => setTimeout(r, 20));
      release();
      await expect(p).resolves.toMatchObject({ etag: 'late' });
      await closing; // the client ended the drained connection, so close() did not wait for the grace period
      const e = await rejection(get(client));
      expect(e.grpcCode).toBe(GrpcCode.UNAVAILABLE);
    });

    it('a peer that is not a state transport client is refused', async () => {
      const { connect } = await import('node:net');
      const sock = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      sock.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((r) => sock.once('connect', r));
      sock.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'); // a gRPC client, say
      await new Promise((r) => sock.once('close', r));
      expect(api.calls).toHaveLength(0);
    });

    it('close() fails calls in flight and later calls; the server aborts what it was doing', async () => {
      let serverAbort: Promise<unknown> = Promise.resolve();
      api.handlers.saveState = (_r, c) => {
        serverAbort = aborted(c.signal);
        return new Promise(() => undefined);
      };
      const p = rejection(client.saveState({ storeName: 's', states: [] }, { ...ctx, signal: new AbortController().signal }));
      while (api.calls.length === 0) await new Promise((r) => setImmediate(r));
      await client.close();
      expect((await p).message).toContain('is unreachable: the client is closed');
      expect(isApiError(await serverAbort)).toBe(true);
      expect((await rejection(get(client))).message).toContain('the client is closed');
    });
  });

  describe('concurrency', () => {
    it('1000 calls in flight on one connection each get their own answer', async () => {
      api.handlers.getState = (r) =>
        new Promise((resolve) =>
          setTimeout(
            () => resolve({ data: Buffer.from(`value-of-${(r as GetStateRequest).key}`), etag: (r as GetStateRequest).key, metadata: {} }),
            Math.floor(Math.random() * 20),
          ),
        );
      api.handlers.saveState = () => new Promise<void>((r) => setTimeout(r, Math.floor(Math.random() * 20)));
      const n = 1000;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          i % 5 === 4
            ? client.saveState({ storeName: 's', states: [] }, { ...ctx, appId: `app-${i}` }).then(() => `saved-${i}`)
            : client.getState({ storeName: 's', key: `k${i}`, consistency: 0, metadata: {} }, { ...ctx, appId: `app-${i}` }),
        ),
      );
      results.forEach((r, i) => {
        if (i % 5 === 4) expect(r).toBe(`saved-${i}`);
        else expect([(r as GetStateResponse).etag, (r as GetStateResponse).data.toString()]).toEqual([`k${i}`, `value-of-k${i}`]);
      });
      expect(api.calls).toHaveLength(n);
      expect(new Set(api.calls.map((c) => c.ctx.appId)).size).toBe(n);
    });
  });
});
