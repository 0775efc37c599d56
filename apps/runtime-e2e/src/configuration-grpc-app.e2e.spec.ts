// An HTTP-API configuration subscription of a gRPC app (--app-protocol grpc): daprd sends each
// update over the app channel as an invocation, so the app's AppCallback.OnInvoke receives method
// `configuration/{store}/{key}` with verb POST, content type application/json and the
// `{"id","items"}` body. A non-OK answer is the app's business (logged by the runtime).
import * as grpc from '@grpc/grpc-js';
import { AppCallbackService, HTTPExtension_Verb } from '@tessera/contracts';
import type { InvokeRequest, InvokeResponse } from '@tessera/contracts';
import { redisSkipReason } from '@tessera/testing';
import { eventually, redisConfigYaml, redisWriter } from './support/configuration';
import type { ConfigWriter } from './support/configuration';
import { freePort, resourcesDir, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(`SKIPPED: configuration delivery to a gRPC app (needs configuration.redis): ${skip}`);
const describeRedis = skip === undefined ? describe : describe.skip;

describeRedis('configuration: HTTP subscription of a gRPC app', () => {
  const seen: InvokeRequest[] = [];
  const server = new grpc.Server();
  let rt: Runtime;
  let writer: ConfigWriter;
  const key = `grpcapp_${Date.now().toString(36)}`;

  beforeAll(async () => {
    writer = redisWriter();
    const unimplemented = (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'not here' });
    server.addService(AppCallbackService, {
      onInvoke: (call: grpc.ServerUnaryCall<InvokeRequest, InvokeResponse>, cb: grpc.sendUnaryData<InvokeResponse>) => {
        seen.push(call.request);
        cb(null, { data: undefined, contentType: '' });
      },
      listTopicSubscriptions: unimplemented,
      onTopicEvent: unimplemented,
      listInputBindings: unimplemented,
      onBindingEvent: unimplemented,
      onBulkTopicEvent: unimplemented,
      onJobEvent: unimplemented,
    } as grpc.UntypedServiceImplementation);
    const port = await freePort();
    await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
    rt = await startRuntime({
      appId: 'cfg-grpc-app',
      appPort: port,
      appProtocol: 'grpc',
      resources: [resourcesDir({ 'c.yaml': redisConfigYaml('configstore') })],
      cwd: tempDir(),
    });
  });

  afterAll(async () => {
    await rt?.stop();
    server.forceShutdown();
    await writer?.del(key).catch(() => undefined);
    await writer?.close();
  });

  it('OnInvoke receives configuration/{store}/{key}, POST, application/json, {"id","items"}', async () => {
    const res = await fetch(`${rt.http}/v1.0/configuration/configstore/subscribe?key=${key}`);
    const { id } = (await res.json()) as { id: string };
    await writer.set(key, 'to grpc', '7');
    await eventually(() => seen.length > 0, 'the invocation');
    const req = seen[0] as InvokeRequest;
    expect(req.method).toBe(`configuration/configstore/${key}`);
    expect(req.httpExtension?.verb).toBe(HTTPExtension_Verb.POST);
    expect(req.contentType).toBe('application/json');
    expect(JSON.parse(Buffer.from(req.data?.value ?? new Uint8Array()).toString('utf8'))).toEqual({ id, items: { [key]: { value: 'to grpc', version: '7' } } });
  });
});
