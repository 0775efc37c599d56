// SecretsTransportClient -> SecretsTransportServer over loopback, against a small in-file fake
// SecretsApi: round trips of every method, every secrets ApiError field (401 included), the
// caller's app id and trace context, and the wording of the transport's own failures.
import { SecretsErrors, isApiError } from '@tessera/contracts';
import type { ApiError, CallContext, GetBulkSecretRequest, GetBulkSecretResponse, GetSecretRequest, GetSecretResponse, RegisteredComponent, SecretsApi } from '@tessera/contracts';
import { createServer } from 'node:net';
import { SecretsTransportClient, SecretsTransportServer } from './index';

class FakeSecretsApi implements SecretsApi {
  readonly calls: Array<{ method: string; req: unknown; ctx: CallContext }> = [];
  fail: ApiError | undefined;
  async getSecret(req: GetSecretRequest, ctx: CallContext): Promise<GetSecretResponse> {
    this.calls.push({ method: 'getSecret', req, ctx });
    if (this.fail) throw this.fail;
    return { data: { [req.key]: 'v é€😀', other: '' } };
  }
  async getBulkSecret(req: GetBulkSecretRequest, ctx: CallContext): Promise<GetBulkSecretResponse> {
    this.calls.push({ method: 'getBulkSecret', req, ctx });
    if (this.fail) throw this.fail;
    return { data: { a: { secrets: { a: '1' } }, db: { secrets: { user: 'u', password: 'p' } } } };
  }
  async listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    this.calls.push({ method: 'listComponents', req: undefined, ctx });
    return [{ name: 'files', type: 'secretstores.local.file', version: 'v1', capabilities: ['MULTIPLE_KEY_VALUES_PER_SECRET'] }];
  }
}

const ctx: CallContext = { appId: 'app-1', namespace: 'ns-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!isApiError(e)) throw new Error(`expected an ApiError, got ${String(e)}`);
  return e;
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

describe('secrets transport', () => {
  let api: FakeSecretsApi;
  let server: SecretsTransportServer;
  let client: SecretsTransportClient;

  beforeEach(async () => {
    api = new FakeSecretsApi();
    server = new SecretsTransportServer(api);
    const { port } = await server.listen('127.0.0.1', 0);
    client = new SecretsTransportClient(`127.0.0.1:${port}`);
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('round-trips GetSecret with metadata and the call context', async () => {
    const res = await client.getSecret({ storeName: 'files', key: 'k', metadata: { namespace: 'x' } }, ctx);
    expect(res).toEqual({ data: { k: 'v é€😀', other: '' } });
    const seen = api.calls[0];
    expect(seen?.req).toEqual({ storeName: 'files', key: 'k', metadata: { namespace: 'x' } });
    expect(seen?.ctx).toMatchObject({ appId: 'app-1', namespace: 'ns-1', traceparent: ctx.traceparent });
  });

  it('round-trips GetBulkSecret and ListComponents', async () => {
    expect(await client.getBulkSecret({ storeName: 'files', metadata: {} }, ctx)).toEqual({
      data: { a: { secrets: { a: '1' } }, db: { secrets: { user: 'u', password: 'p' } } },
    });
    expect(await client.listComponents(ctx)).toEqual([{ name: 'files', type: 'secretstores.local.file', version: 'v1', capabilities: ['MULTIPLE_KEY_VALUES_PER_SECRET'] }]);
  });

  it.each([
    ['not configured', SecretsErrors.notConfigured()],
    ['not found (401)', SecretsErrors.notFound('vault')],
    ['permission denied', SecretsErrors.permissionDenied('k', 'vault')],
    ['missing secret', SecretsErrors.get('k', 'vault', 'secret k not found', false)],
    ['component failure', SecretsErrors.bulkGet('vault', 'boom')],
  ])('sends the %s error back whole', async (_name, err) => {
    api.fail = err;
    const e = await rejection(err.code === 'ERR_SECRET_GET' && err.message.includes('secrets from') ? client.getBulkSecret({ storeName: 'vault', metadata: {} }, ctx) : client.getSecret({ storeName: 'vault', key: 'k', metadata: {} }, ctx));
    expect({ code: e.code, message: e.message, httpStatus: e.httpStatus, grpcCode: e.grpcCode, retryable: e.retryable, details: e.details }).toEqual({
      code: err.code,
      message: err.message,
      httpStatus: err.httpStatus,
      grpcCode: err.grpcCode,
      retryable: err.retryable,
      details: err.details,
    });
  });

  it('words an unreachable secrets-svc as the block would word a failed get', async () => {
    const port = await freePort();
    const c = new SecretsTransportClient(`127.0.0.1:${port}`, { connectTimeoutMs: 500 });
    try {
      const e = await rejection(c.getSecret({ storeName: 'files', key: 'k', metadata: {} }, ctx));
      expect(e.code).toBe('ERR_SECRET_GET');
      expect(e.httpStatus).toBe(500);
      expect(e.retryable).toBe(true);
      expect(e.message).toMatch(new RegExp(`^failed getting secret with key k from secret store files: secrets-svc at 127\\.0\\.0\\.1:${port} is unreachable: `));
    } finally {
      await c.close();
    }
  });
});
