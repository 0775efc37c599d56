// GetSecret / GetBulkSecret on the gRPC edge over a real @grpc/grpc-js client: messages pass
// through to SecretsApi, secrets errors keep daprd's gRPC codes, and without a SecretsApi both RPCs
// answer UNIMPLEMENTED naming the block.
import * as grpc from '@grpc/grpc-js';
import { DaprClient, SecretsErrors } from '@tessera/contracts';
import type { CallContext, MetadataApi, RuntimeLifecycle, SecretsApi, StateApi } from '@tessera/contracts';
import { GrpcEdge } from './grpc-edge';

type Client = InstanceType<typeof DaprClient>;

const seen: Array<{ req: unknown; ctx: CallContext }> = [];
const secrets: SecretsApi = {
  async getSecret(req, ctx) {
    seen.push({ req, ctx });
    if (req.storeName === 'nope') throw SecretsErrors.notFound('nope');
    if (req.key === 'denied') throw SecretsErrors.permissionDenied('denied', req.storeName);
    return { data: { [req.key]: 'v', extra: 'é' } };
  },
  async getBulkSecret(req, ctx) {
    seen.push({ req, ctx });
    if (req.storeName === 'none') throw SecretsErrors.notConfigured();
    return { data: { a: { secrets: { a: '1' } }, db: { secrets: { user: 'u', password: 'p' } } } };
  },
  listComponents: async () => [],
};
const state = { listComponents: async () => [] } as unknown as StateApi;
const metadata: MetadataApi = { getMetadata: async () => ({ id: 'app1', runtimeVersion: 't', enabledFeatures: [], components: [], extended: {} }), setMetadata: async () => undefined };
const lifecycle: RuntimeLifecycle = { notReady: () => [], outboundReady: () => true, shutdown: () => undefined };
const logger = { debug: () => undefined, info: () => undefined, error: () => undefined };

function call<T>(fn: (cb: (e: grpc.ServiceError | null, r: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));
}

describe('GrpcEdge secrets', () => {
  let edge: GrpcEdge;
  let bare: GrpcEdge;
  let client: Client;
  let bareClient: Client;

  beforeAll(async () => {
    const opts = { appId: 'app1', namespace: '', maxBodySize: 1 << 20, enableApiLogging: false, state, metadata, lifecycle, logger };
    edge = new GrpcEdge({ ...opts, secrets });
    bare = new GrpcEdge(opts);
    client = new DaprClient(`127.0.0.1:${await edge.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
    bareClient = new DaprClient(`127.0.0.1:${await bare.listen('127.0.0.1', 0)}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    bareClient.close();
    await Promise.all([edge.close(), bare.close()]);
  });

  it('serves GetSecret with the request metadata', async () => {
    const res = await call<{ data: Record<string, string> }>((cb) => client.getSecret({ storeName: 'vault', key: 'k', metadata: { namespace: 'x' } }, cb));
    expect(res.data).toEqual({ k: 'v', extra: 'é' });
    expect(seen.at(-1)).toMatchObject({ req: { storeName: 'vault', key: 'k', metadata: { namespace: 'x' } }, ctx: { appId: 'app1' } });
  });

  it('serves GetBulkSecret', async () => {
    const res = await call<{ data: Record<string, { secrets: Record<string, string> }> }>((cb) => client.getBulkSecret({ storeName: 'vault', metadata: {} }, cb));
    expect(res.data).toEqual({ a: { secrets: { a: '1' } }, db: { secrets: { user: 'u', password: 'p' } } });
  });

  it.each([
    ['unknown store', () => call((cb) => client.getSecret({ storeName: 'nope', key: 'k', metadata: {} }, cb)), grpc.status.INVALID_ARGUMENT, 'failed finding secret store with key nope'],
    ['denied key', () => call((cb) => client.getSecret({ storeName: 'vault', key: 'denied', metadata: {} }, cb)), grpc.status.PERMISSION_DENIED, 'access denied by policy to get "denied" from "vault"'],
    ['none configured', () => call((cb) => client.getBulkSecret({ storeName: 'none', metadata: {} }, cb)), grpc.status.FAILED_PRECONDITION, 'secret store is not configured'],
  ])('%s keeps its gRPC code and message', async (_n, fn, code, details) => {
    const err = await fn().catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code, details });
  });

  it('without a SecretsApi both RPCs answer UNIMPLEMENTED naming the block', async () => {
    for (const fn of [
      () => call((cb) => bareClient.getSecret({ storeName: 'v', key: 'k', metadata: {} }, cb)),
      () => call((cb) => bareClient.getBulkSecret({ storeName: 'v', metadata: {} }, cb)),
    ]) {
      const err = (await fn().catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(err.details).toContain('secrets');
    }
  });
});
