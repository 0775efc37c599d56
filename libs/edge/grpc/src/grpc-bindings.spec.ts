// InvokeBinding on the gRPC edge over a real @grpc/grpc-js client: the request passes through
// (data bytes as given), the answer comes back, the block's errors map to INTERNAL, and without a
// bindings block the RPC answers UNIMPLEMENTED naming the block.
import * as grpc from '@grpc/grpc-js';
import { BindingsErrors, DaprClient } from '@tessera/contracts';
import type { BindingsApi, CallContext, InvokeBindingRequest, InvokeBindingResponse, MetadataApi, RuntimeLifecycle, StateApi } from '@tessera/contracts';
import { GrpcEdge } from './grpc-edge';

type Client = InstanceType<typeof DaprClient>;

const seen: Array<{ req: InvokeBindingRequest; ctx: CallContext }> = [];
const bindings: BindingsApi = {
  async invoke(req, ctx) {
    seen.push({ req, ctx });
    if (req.name === 'missing') throw BindingsErrors.notFound(req.name);
    return { data: Buffer.from(`echo:${Buffer.from(req.data).toString()}`), metadata: { k: 'v' } };
  },
  listInputBindings: async () => [],
  read: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }),
  settle: async () => undefined,
  listComponents: async () => [],
};
const metadata: MetadataApi = { getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }), setMetadata: async () => undefined };
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };
const base = { appId: 'app1', namespace: 'ns', maxBodySize: 1 << 20, enableApiLogging: false, state: {} as StateApi, metadata, lifecycle, logger };

function call<T>(fn: (cb: (e: grpc.ServiceError | null, r: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));
}

describe('gRPC InvokeBinding', () => {
  let edge: GrpcEdge;
  let bare: GrpcEdge;
  let client: Client;
  let bareClient: Client;

  beforeAll(async () => {
    edge = new GrpcEdge({ ...base, bindings });
    bare = new GrpcEdge(base);
    client = new DaprClient(`127.0.0.1:${await edge.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
    bareClient = new DaprClient(`127.0.0.1:${await bare.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    bareClient.close();
    await Promise.all([edge.close(), bare.close()]);
  });

  it('passes the request through (data bytes untouched) and answers data and metadata', async () => {
    const req: InvokeBindingRequest = { name: 'out', data: Buffer.from('hi'), metadata: { key: 'k' }, operation: 'create' };
    const md = new grpc.Metadata();
    md.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const res = await call<InvokeBindingResponse>((cb) => client.invokeBinding(req, md, cb));
    expect([Buffer.from(res.data).toString(), res.metadata]).toEqual(['echo:hi', { k: 'v' }]);
    expect(seen.at(-1)?.req).toEqual(req);
    expect(seen.at(-1)?.ctx).toMatchObject({ appId: 'app1', namespace: 'ns', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  });

  it("answers the block's errors as INTERNAL with Dapr's message", async () => {
    const e = await call((cb) => client.invokeBinding({ name: 'missing', data: Buffer.alloc(0), metadata: {}, operation: 'create' }, cb)).catch((x: grpc.ServiceError) => x);
    expect(e).toMatchObject({ code: grpc.status.INTERNAL, details: "error invoking output binding missing: couldn't find output binding missing" });
  });

  it('without a bindings block: UNIMPLEMENTED naming the block', async () => {
    const e = await call((cb) => bareClient.invokeBinding({ name: 'out', data: Buffer.alloc(0), metadata: {}, operation: 'create' }, cb)).catch((x: grpc.ServiceError) => x);
    expect(e).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    expect((e as grpc.ServiceError).details).toMatch(/bindings building block/);
  });
});
