// Bad input on the pub/sub API and from subscriber apps (spec/http-api.md 3, errors.md): unknown
// pubsub, empty topic, bad metadata, malformed CloudEvents, bulk bodies without or with duplicate
// entry ids, oversized messages over HTTP and gRPC, and an app that answers garbage or fails.
// Each case asserts Dapr's error shape or policy, and the runtime must keep serving.
// All-in-one on the embedded SQLite pubsub, --max-body-size 64Ki.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { DaprClient as GrpcDaprClient } from '@tessera/contracts';
import type { SubscribeTopicEventsRequestAlpha1, SubscribeTopicEventsResponseAlpha1 } from '@tessera/contracts';
import { freePort, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';

interface Answer {
  status: number;
  text: string;
  json?: { errorCode?: string; message?: string; failedEntries?: Array<{ entryId: string; error: string }> };
}

interface AppCall {
  path: string;
  body: string;
}

describe('pub/sub bad input (all-in-one, embedded pubsub)', () => {
  let rt: Runtime;
  let app: Server;
  const calls: AppCall[] = [];
  /** What the app answers per topic path. */
  const answers: Record<string, { status: number; body: string }> = {
    garbage: { status: 200, body: 'this is not json' },
    unknownstatus: { status: 200, body: '{"status":"MAYBE"}' },
    fails: { status: 500, body: 'boom' },
  };

  beforeAll(async () => {
    const appPort = await freePort();
    app = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const path = (req.url ?? '').replace(/^\//, '');
        if (path === 'dapr/subscribe') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(Object.keys(answers).map((t) => ({ pubsubname: 'pubsub', topic: t, route: `/${t}` }))));
          return;
        }
        calls.push({ path, body });
        const a = answers[path] ?? { status: 200, body: '' };
        res.statusCode = a.status;
        res.end(a.body);
      });
    });
    await new Promise<void>((r) => app.listen(appPort, '127.0.0.1', r));
    rt = await startRuntime({ appId: 'badsub', appPort, cwd: tempDir(), extraArgs: ['--max-body-size', '64Ki'] });
  });

  afterAll(async () => {
    await rt?.stop();
    await new Promise<void>((r) => app.close(() => r()));
  });

  const call = async (method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<Answer> => {
    const res = await fetch(`${rt.http}${path}`, { method, body, headers: { 'content-type': contentType } });
    const text = await res.text();
    let json: Answer['json'];
    try {
      json = JSON.parse(text) as Answer['json'];
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  };

  const expectError = (a: Answer, status: number, errorCode: string, message?: RegExp): void => {
    expect({ status: a.status, errorCode: a.json?.errorCode }).toEqual({ status, errorCode });
    expect(typeof a.json?.message).toBe('string');
    if (message) expect(a.json?.message).toMatch(message);
  };

  afterEach(async () => {
    const h = await fetch(`${rt.http}/v1.0/healthz`);
    expect(h.status).toBe(204);
  });

  it.each([
    ['unknown pubsub', '/v1.0/publish/nope/t', 404, 'ERR_PUBSUB_NOT_FOUND', /pubsub nope is not found/],
    ['empty topic', '/v1.0/publish/pubsub/', 404, 'ERR_TOPIC_NAME_EMPTY', /topic is empty in pubsub pubsub/],
    ['non-boolean rawPayload', '/v1.0/publish/pubsub/t?metadata.rawPayload=perhaps', 400, 'ERR_PUBSUB_REQUEST_METADATA', /rawPayload/],
  ])('%s: POST %s -> %i %s', async (_what, path, status, code, message) => {
    expectError(await call('POST', path, '{}'), status, code, message);
  });

  it('a malformed CloudEvent body is refused with Dapr\'s envelope error, nothing published', async () => {
    const a = await call('POST', '/v1.0/publish/pubsub/garbage', '{"specversion":"1.0", broken', 'application/cloudevents+json');
    expect(a.status).toBeGreaterThanOrEqual(400);
    expect(a.json?.errorCode).toMatch(/^ERR_PUBSUB_(CLOUD_EVENTS_SER|EVENTS_SER)$/);
  });

  it.each([
    ['not JSON', '[{"entryId":', /unmarshal/],
    ['not an array', '{"entryId":"1","event":"x","contentType":"text/plain"}', /array/],
    ['an entry without entryId', '[{"event":"x","contentType":"text/plain"}]', /entryId is missing/],
    ['a duplicated entryId', '[{"entryId":"1","event":"x","contentType":"text/plain"},{"entryId":"1","event":"y","contentType":"text/plain"}]', /duplicated/],
    ['a binary entry that is not base64 text', '[{"entryId":"1","event":{"a":1},"contentType":"application/octet-stream"}]', /base64/],
  ])('bulk publish with %s -> 400 ERR_PUBSUB_EVENTS_SER', async (_what, body, message) => {
    expectError(await call('POST', '/v1.0-alpha1/publish/bulk/pubsub/t', body), 400, 'ERR_PUBSUB_EVENTS_SER', message);
  });

  it('an oversized message is refused (413 over HTTP, RESOURCE_EXHAUSTED over gRPC)', async () => {
    const big = Buffer.alloc(70 * 1024, 'x');
    expectError(await call('POST', '/v1.0/publish/pubsub/t', big, 'text/plain'), 413, 'ERR_BODY_READ');
    const client = new GrpcDaprClient(`127.0.0.1:${rt.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.publishEvent({ pubsubName: 'pubsub', topic: 't', data: big, dataContentType: 'text/plain', metadata: {} }, (e) => resolve(e)),
      );
      expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const nf = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.publishEvent({ pubsubName: 'nope', topic: 't', data: Buffer.from('x'), dataContentType: 'text/plain', metadata: {} }, (e) => resolve(e)),
      );
      expect(nf?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(nf?.details).toBe('pubsub nope is not found');
    } finally {
      client.close();
    }
  });

  it('a streaming subscription whose first message is not an initial request is ended with an error', async () => {
    const client = new GrpcDaprClient(`127.0.0.1:${rt.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const stream = client.subscribeTopicEventsAlpha1() as grpc.ClientDuplexStream<SubscribeTopicEventsRequestAlpha1, SubscribeTopicEventsResponseAlpha1>;
      const err = await new Promise<grpc.ServiceError>((resolve) => {
        stream.on('error', resolve);
        stream.on('data', () => undefined);
        stream.write({ subscribeTopicEventsRequestType: { $case: 'eventProcessed', value: { id: 'x', status: undefined } } });
      });
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
  });

  it('an app answering 200 with garbage has the event processed (SUCCESS), not redelivered', async () => {
    await call('POST', '/v1.0/publish/pubsub/garbage', '{"n":1}');
    await waitCalls('garbage', 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(calls.filter((c) => c.path === 'garbage')).toHaveLength(1);
  });

  it('an app answering 500 or an unknown status gets the event again (RETRY goes back to the broker)', async () => {
    await call('POST', '/v1.0/publish/pubsub/fails', '{"n":2}');
    await call('POST', '/v1.0/publish/pubsub/unknownstatus', '{"n":3}');
    await waitCalls('fails', 2, 10_000);
    await waitCalls('unknownstatus', 2, 10_000);
  });

  async function waitCalls(path: string, n: number, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (calls.filter((c) => c.path === path).length < n) {
      if (Date.now() > until) throw new Error(`expected ${n} calls to /${path}, got ${calls.filter((c) => c.path === path).length}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
});
