// The gRPC edge over a real @grpc/grpc-js client: implemented RPCs reach the APIs, unbuilt ones
// answer UNIMPLEMENTED naming their block, errors carry rich details, the API token is enforced.
import * as grpc from '@grpc/grpc-js';
import { ApiError, DaprClient, GrpcCode, StateErrors } from '@tessera/contracts';
import type { CallContext, GetStateRequest, MetadataApi, RuntimeLifecycle, StateApi } from '@tessera/contracts';
import { GrpcEdge } from './grpc-edge';

type Client = InstanceType<typeof DaprClient>;

const seen: CallContext[] = [];
const state: StateApi = {
  async getState(req: GetStateRequest, ctx: CallContext) {
    seen.push(ctx);
    if (req.storeName !== 'store') throw StateErrors.notFound(req.storeName, ctx.appId);
    return { data: Buffer.from([0xff, 0x00, 0x01]), etag: '7', metadata: { a: 'b' } };
  },
  getBulkState: async () => ({ items: [] }),
  saveState: async () => undefined,
  deleteState: async () => undefined,
  deleteBulkState: async () => undefined,
  executeStateTransaction: async () => {
    throw new ApiError({ code: 'ERR_X', message: 'boom', httpStatus: 500, grpcCode: GrpcCode.INTERNAL });
  },
  queryState: async () => ({ results: [], token: '', metadata: {} }),
  listComponents: async () => [{ name: 'store', type: 'state.fake', version: 'v1', capabilities: ['ETAG'] }],
};
const metadata: MetadataApi = {
  getMetadata: async () => ({ id: 'app1', runtimeVersion: 'test', enabledFeatures: [], components: await state.listComponents(seen[0] ?? { appId: 'app1', namespace: '' }), extended: { k: 'v' } }),
  setMetadata: async () => undefined,
};
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };

function call<T>(fn: (cb: (e: grpc.ServiceError | null, r: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));
}

describe('GrpcEdge', () => {
  let edge: GrpcEdge;
  let secured: GrpcEdge;
  let client: Client;
  let securedClient: Client;

  beforeAll(async () => {
    const opts = { appId: 'app1', namespace: '', maxBodySize: 1 << 20, enableApiLogging: false, state, metadata, lifecycle, logger };
    edge = new GrpcEdge(opts);
    secured = new GrpcEdge({ ...opts, apiToken: 's3cret' });
    const port = await edge.listen('127.0.0.1', 0);
    const sport = await secured.listen('127.0.0.1', 0);
    client = new DaprClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    securedClient = new DaprClient(`127.0.0.1:${sport}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    securedClient.close();
    await Promise.all([edge.close(), secured.close()]);
  });

  it('serves GetState with binary data, etag, metadata and the caller trace context', async () => {
    const md = new grpc.Metadata();
    md.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const res = await call<{ data: Buffer; etag: string; metadata: Record<string, string> }>((cb) =>
      client.getState({ storeName: 'store', key: 'k', consistency: 0, metadata: {} }, md, cb),
    );
    expect([...res.data]).toEqual([0xff, 0x00, 0x01]);
    expect(res.etag).toBe('7');
    expect(res.metadata).toEqual({ a: 'b' });
    expect(seen.at(-1)).toMatchObject({ appId: 'app1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  });

  it('returns API errors with their gRPC code, message and rich details', async () => {
    const err = await call((cb) => client.getState({ storeName: 'nope', key: 'k', consistency: 0, metadata: {} }, cb)).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'state store nope is not found' });
    const bin = (err as grpc.ServiceError).metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(bin.toString('latin1')).toContain('DAPR_STATE_NOT_FOUND');
    expect(bin.toString('latin1')).toContain('type.googleapis.com/google.rpc.ResourceInfo');
    const tx = await call((cb) => client.executeStateTransaction({ storeName: 's', operations: [], metadata: {} }, cb)).catch((e: grpc.ServiceError) => e);
    expect(tx).toMatchObject({ code: grpc.status.INTERNAL, details: 'boom' });
  });

  it('answers UNIMPLEMENTED naming the building block for RPCs not built yet', async () => {
    const err = await call((cb) => client.publishEvent({ pubsubName: 'p', topic: 't', data: Buffer.alloc(0), dataContentType: '', metadata: {} }, cb)).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(err).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    expect((err as grpc.ServiceError).details).toContain('publish and subscribe');
  });

  it('serves GetMetadata', async () => {
    const res = await call<{ id: string; registeredComponents: Array<{ name: string }>; extendedMetadata: Record<string, string> }>((cb) =>
      client.getMetadata({}, cb),
    );
    expect(res.id).toBe('app1');
    expect(res.registeredComponents.map((c) => c.name)).toEqual(['store']);
    expect(res.extendedMetadata).toEqual({ k: 'v' });
  });

  it('enforces dapr-api-token', async () => {
    const err = await call((cb) => securedClient.getMetadata({}, cb)).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const md = new grpc.Metadata();
    md.set('dapr-api-token', 's3cret');
    const ok = await call<{ id: string }>((cb) => securedClient.getMetadata({}, md, cb));
    expect(ok.id).toBe('app1');
  });
});
