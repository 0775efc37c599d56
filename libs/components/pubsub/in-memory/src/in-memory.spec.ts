// pubsub.in-memory against the shared pub/sub conformance suite, plus its own rules: MQTT-style
// wildcard matching, handler failures only logged, abandoned messages kept for the group.
import { describePubSubConformance, PubSubRecorder } from '@tessera/conformance';
import { PubSubAbandonError } from '@tessera/spi';
import type { ComponentHost, PubSub } from '@tessera/spi';
import { createInMemoryPubSub, topicMatches } from './in-memory-pubsub';

const meta = { name: 'bus', type: 'pubsub.in-memory', version: 'v1', properties: {}, appId: 'app' };

async function open(host?: ComponentHost): Promise<PubSub> {
  const ps = createInMemoryPubSub(meta, host);
  await ps.init();
  return ps;
}

describePubSubConformance('pubsub.in-memory', () => open(), {
  carriesMetadata: true,
  carriesContentType: true,
  competingConsumers: true,
  fanOut: true,
  redeliversOnHandlerError: false,
  redeliversUnackedAfterClose: { withinMs: 1000 },
  durableAcrossInstances: false,
  wildcards: { separator: '/', single: '+', multi: '#' },
  settleMs: 200,
});

describe('pubsub.in-memory specifics', () => {
  it('matches topics the MQTT way', () => {
    expect(topicMatches('a/b', 'a/b')).toBe(true);
    expect(topicMatches('a/+', 'a/b')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('a/+', 'a')).toBe(false);
    expect(topicMatches('+/+', 'a/b')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('#', 'x/y')).toBe(true);
    expect(topicMatches('a/#', 'b/a')).toBe(false);
    expect(topicMatches('a+b', 'a+b')).toBe(true);
    expect(topicMatches('a+b', 'axb')).toBe(false);
    expect(topicMatches('orders', 'orders2')).toBe(false);
  });

  it('logs a failed handler and does not redeliver', async () => {
    const warnings: string[] = [];
    const ps = await open({ logger: { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined } });
    const rec = new PubSubRecorder(async () => {
      throw new Error('boom');
    });
    await ps.subscribe({ topic: 't', consumerGroup: 'g', metadata: {} }, rec.handler);
    await ps.publish({ topic: 't', data: new Uint8Array([1]), metadata: {} });
    await rec.waitFor(1, 1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(rec.count()).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/handler failed/);
    await ps.close();
  });

  it('hands an abandoned message to another open subscription of the group', async () => {
    const ps = await open();
    const leaving = new PubSubRecorder(async () => {
      throw new PubSubAbandonError();
    });
    const staying = new PubSubRecorder();
    await ps.subscribe({ topic: 't', consumerGroup: 'g', metadata: {} }, leaving.handler);
    await ps.subscribe({ topic: 't', consumerGroup: 'g', metadata: {} }, staying.handler);
    for (let i = 0; i < 10; i++) await ps.publish({ topic: 't', data: new TextEncoder().encode(`m${i}`), metadata: {} });
    await staying.waitFor(10, 2000);
    expect([...staying.distinct()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
    expect(leaving.count()).toBeGreaterThan(0);
    await ps.close();
  });

  it('drops messages published while no subscription matches (no persistence)', async () => {
    const ps = await open();
    await ps.publish({ topic: 't', data: new Uint8Array([1]), metadata: {} });
    const rec = new PubSubRecorder();
    await ps.subscribe({ topic: 't', consumerGroup: 'g', metadata: {} }, rec.handler);
    await ps.publish({ topic: 't', data: new Uint8Array([2]), metadata: {} });
    await rec.waitFor(1, 1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(rec.messages.map((m) => [...m.data])).toEqual([[2]]);
    await ps.close();
  });
});
