// Streaming subscriptions (gRPC SubscribeTopicEventsAlpha1) with a raw grpc-js client, all-in-one
// and split, on the embedded SQLite pubsub: initial response, events with their CloudEvent
// attributes, acknowledgements by status (DROP to the dead-letter topic), the metadata API listing
// the subscription while it is open, a second subscription to the same topic refused, and events
// published while no stream was open delivered to the next one (the app's consumer group keeps them).
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { DaprClient as GrpcDaprClient, TopicEventResponse_TopicEventResponseStatus } from '@tessera/contracts';
import type { SubscribeTopicEventsRequestAlpha1, SubscribeTopicEventsResponseAlpha1, TopicEventRequest } from '@tessera/contracts';
import { startPubSubSvc, startRuntime, tempDir } from './support/processes';
import type { PubSubSvc, Runtime } from './support/processes';

type Stream = grpc.ClientDuplexStream<SubscribeTopicEventsRequestAlpha1, SubscribeTopicEventsResponseAlpha1>;

class Sub {
  readonly events: TopicEventRequest[] = [];
  initial = false;
  error: grpc.ServiceError | undefined;
  constructor(readonly stream: Stream) {
    stream.on('data', (m: SubscribeTopicEventsResponseAlpha1) => {
      const t = m.subscribeTopicEventsResponseType;
      if (t?.$case === 'initialResponse') this.initial = true;
      if (t?.$case === 'eventMessage') this.events.push(t.value);
    });
    stream.on('error', (e: grpc.ServiceError) => (this.error = e));
  }
  ack(id: string, status: TopicEventResponse_TopicEventResponseStatus): void {
    this.stream.write({ subscribeTopicEventsRequestType: { $case: 'eventProcessed', value: { id, status: { status } } } });
  }
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(['all-in-one', 'split'] as const)('streaming subscriptions (%s)', (mode) => {
  let rt: Runtime;
  let svc: PubSubSvc | undefined;
  let client: GrpcDaprClient;
  const run = randomUUID().slice(0, 8);
  const topic = `stream-${run}`;

  beforeAll(async () => {
    const cwd = tempDir();
    if (mode === 'split') svc = await startPubSubSvc({ cwd });
    rt = await startRuntime({ appId: `streamer-${run}`, cwd, pubsubSvc: svc?.address });
    client = new GrpcDaprClient(`127.0.0.1:${rt.grpcPort}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await rt?.stop();
    await svc?.stop();
  });

  const open = (t: string, deadLetterTopic?: string): Sub => {
    const sub = new Sub(client.subscribeTopicEventsAlpha1() as Stream);
    sub.stream.write({ subscribeTopicEventsRequestType: { $case: 'initialRequest', value: { pubsubName: 'pubsub', topic: t, metadata: {}, deadLetterTopic } } });
    return sub;
  };
  const publish = async (t: string, data: unknown): Promise<void> => {
    const r = await fetch(`${rt.http}/v1.0/publish/pubsub/${t}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
    expect(r.status).toBe(204);
  };
  const metadataSubs = async (): Promise<Array<{ topic: string; type: string }>> =>
    ((await (await fetch(`${rt.http}/v1.0/metadata`)).json()) as { subscriptions: Array<{ topic: string; type: string }> }).subscriptions;

  it('delivers events, settles acknowledgements by status, lists the subscription while open', async () => {
    const dlq = open(`${topic}-dlq`);
    const sub = open(topic, `${topic}-dlq`);
    await until(() => sub.initial && dlq.initial, 'initial responses');
    expect((await metadataSubs()).filter((s) => s.topic === topic)).toEqual([expect.objectContaining({ topic, type: 'STREAMING' })]);
    await publish(topic, { n: 1 });
    await publish(topic, { n: 2 });
    await until(() => sub.events.length === 2, 'two events');
    const [a, b] = sub.events as [TopicEventRequest, TopicEventRequest];
    expect(a).toMatchObject({ topic, pubsubName: 'pubsub', type: 'com.dapr.event.sent', specVersion: '1.0', dataContentType: 'application/json' });
    expect([JSON.parse(a.data.toString()), JSON.parse(b.data.toString())].map((d: { n: number }) => d.n).sort()).toEqual([1, 2]);
    sub.ack(a.id, TopicEventResponse_TopicEventResponseStatus.SUCCESS);
    sub.ack(b.id, TopicEventResponse_TopicEventResponseStatus.DROP);
    await until(() => dlq.events.length === 1, 'the dropped event on the dead-letter topic');
    expect(JSON.parse(dlq.events[0]?.data.toString() ?? '')).toEqual(JSON.parse(b.data.toString()));
    dlq.ack(dlq.events[0]?.id ?? '', TopicEventResponse_TopicEventResponseStatus.SUCCESS);

    const second = open(topic);
    await until(() => second.error !== undefined, 'the second subscription refused');
    expect(second.error?.details).toMatch(/already subscribed/);

    sub.stream.end();
    dlq.stream.end();
    await new Promise((r) => setTimeout(r, 300));
    expect((await metadataSubs()).filter((s) => s.topic.startsWith(topic))).toEqual([]);
  });

  it('an event published while no stream is open reaches the next stream; an unacknowledged one comes back', async () => {
    const t = `${topic}-later`;
    const first = open(t);
    await until(() => first.initial, 'subscribed');
    await publish(t, { n: 'unacked' });
    await until(() => first.events.length === 1, 'the event');
    first.stream.cancel(); // gone without acknowledging
    await new Promise((r) => setTimeout(r, 300));
    await publish(t, { n: 'while-away' });
    const next = open(t);
    await until(() => next.events.length >= 2, 'both events again', 30_000);
    expect(next.events.map((e) => (JSON.parse(e.data.toString()) as { n: string }).n).sort()).toEqual(['unacked', 'while-away']);
    for (const e of next.events) next.ack(e.id, TopicEventResponse_TopicEventResponseStatus.SUCCESS);
    next.stream.end();
  });
});
