// The pub/sub conformance suite: one jest `describe` that every pub/sub component registers from
// its own spec file. Cases follow the PubSub contract in @tessera/spi (pubsub.ts header): bytes in
// = bytes out, metadata and content type travel when the broker carries them, competing consumers
// inside a consumer group and fan-out across groups, a message is never handed to the handler
// again while it is in flight, handler failure and abandon semantics, subscription close() waits
// for in-flight handlers and stops delivery, a closed component refuses work, features() matches
// what the component does.
//
// Contract with callers:
// - `factory` returns an INITIALIZED component (init() already awaited). The suite calls it more
//   than once (one shared instance, plus fresh ones for the close and durability cases); every
//   call must reach the same backend (same broker, same SQLite file). The suite closes them all.
// - Each broker declares what it does in PubSubConformanceOptions; a case for a behaviour the
//   broker does not declare is not registered (it does not show as passed). features() must agree
//   with the declarations (`bulkPublish`, `wildcards`, `messageTtl`).
// - Topics are `<topicPrefix>conf-<run>-<case>` (letters, digits, `-`; wildcard cases add the
//   declared separator), groups `conf-<run>-<case>`, unique per run so suites may share a broker.
// - An unreachable backend passes `opts.skipReason`: the suite is registered as skipped, with the
//   reason in its title and a loud console warning. It never shows as passed.
import { randomBytes, randomUUID } from 'node:crypto';
import { PubSubAbandonError } from '@tessera/spi';
import type { PubSub, PubSubFeature, PubSubHandler, PubSubMessage, PubSubSubscription } from '@tessera/spi';

export interface PubSubConformanceOptions {
  /** Set when the backend is unreachable: the whole suite is registered as skipped. */
  readonly skipReason?: string;
  /** Prepended to every topic (e.g. a subject prefix a JetStream stream is bound to). */
  readonly topicPrefix?: string;
  /** Subscription metadata passed to every subscribe() (e.g. `queueName` rules of a broker). */
  readonly subscribeMetadata?: Readonly<Record<string, string>>;
  /** Publish metadata merged into every publish(). */
  readonly publishMetadata?: Readonly<Record<string, string>>;
  /** Deadline for deliveries the suite waits for. Default 10 s. */
  readonly timeoutMs?: number;
  /** How long the suite waits to show that something does NOT happen. Default 500 ms. */
  readonly settleMs?: number;
  /** Pause after subscribe() resolved before publishing (brokers that rebalance). Default 0. */
  readonly subscribeSettleMs?: number;
  /** How many messages the concurrent round-trip case publishes. Default 200. */
  readonly messages?: number;
  /** Size of the large-payload case. Default 256 KiB. */
  readonly largePayloadBytes?: number;
  /** Publish metadata comes back in PubSubMessage.metadata. */
  readonly carriesMetadata?: boolean;
  /** The published content type comes back in PubSubMessage.contentType. */
  readonly carriesContentType?: boolean;
  /** Subscriptions of one consumerGroup share the messages (each message goes to one of them). */
  readonly competingConsumers?: boolean;
  /** Subscriptions of different consumerGroups each get every message. */
  readonly fanOut?: boolean;
  /** A rejected handler leads to a redelivery of the message within `withinMs`. */
  readonly redeliversOnHandlerError?: false | { readonly withinMs: number };
  /**
   * A message whose handler rejected with PubSubAbandonError stays with the broker: once the
   * subscription is closed, a new subscription of the same group gets it within `withinMs`.
   */
  readonly redeliversUnackedAfterClose?: false | { readonly withinMs: number };
  /**
   * A consumer group keeps its place while it has no subscription, also across a fresh component
   * instance: what was published meanwhile is delivered when the group subscribes again.
   */
  readonly durableAcrossInstances?: boolean;
  /** features() has `bulk-publish` and bulkPublish() works. */
  readonly bulkPublish?: boolean;
  /** features() has `message-ttl`: `ttlInSeconds` expires messages (needs durableAcrossInstances-like groups). */
  readonly messageTtl?: boolean;
  /** features() has `subscribe-wildcards`, in this syntax (MQTT: `/`, `+`, `#`; NATS: `.`, `*`, `>`). */
  readonly wildcards?: { readonly separator: string; readonly single: string; readonly multi: string };
}

const KNOWN_FEATURES: readonly PubSubFeature[] = ['message-ttl', 'bulk-publish', 'subscribe-wildcards'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects with `what` when `p` has not settled within `ms`. */
export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** One delivery as the recorder keeps it: data copied (drivers may reuse their buffers). */
export interface RecordedMessage {
  readonly topic: string;
  readonly data: Buffer;
  readonly text: string;
  readonly contentType?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly at: number;
}

/**
 * Collects the deliveries of one or more subscriptions and awaits counts with a deadline. Use
 * `recorder.handler` as the subscribe() handler; `behaviour` (optional) runs after the message
 * was recorded and decides the outcome (resolve = ack, reject = failure).
 */
export class PubSubRecorder {
  readonly messages: RecordedMessage[] = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly behaviour?: (msg: RecordedMessage, deliveriesOfText: number) => Promise<void>) {}

  readonly handler: PubSubHandler = async (msg: PubSubMessage): Promise<void> => {
    const data = Buffer.from(msg.data);
    const rec: RecordedMessage = { topic: msg.topic, data, text: data.toString('utf8'), contentType: msg.contentType, metadata: { ...msg.metadata }, at: Date.now() };
    this.messages.push(rec);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    if (this.behaviour) await this.behaviour(rec, this.count((m) => m.text === rec.text));
  };

  count(pred?: (m: RecordedMessage) => boolean): number {
    return pred ? this.messages.filter(pred).length : this.messages.length;
  }

  /** Texts delivered more than once, with how often. */
  duplicates(): Map<string, number> {
    const seen = new Map<string, number>();
    for (const m of this.messages) seen.set(m.text, (seen.get(m.text) ?? 0) + 1);
    return new Map([...seen].filter(([, n]) => n > 1));
  }

  /** Distinct texts delivered. */
  distinct(): Set<string> {
    return new Set(this.messages.map((m) => m.text));
  }

  /** Resolves once `check()` is true; rejects at the deadline saying what was seen. */
  async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not within ${timeoutMs} ms (${this.messages.length} deliveries recorded)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until `n` deliveries (matching `pred`) were recorded. */
  async waitFor(n: number, timeoutMs: number, pred?: (m: RecordedMessage) => boolean): Promise<void> {
    await this.until(() => this.count(pred) >= n, timeoutMs, `${n} deliveries`);
  }

  /** Waits until every text in `texts` was delivered at least once. */
  async waitForAll(texts: Iterable<string>, timeoutMs: number): Promise<void> {
    const want = [...texts];
    await this.until(
      () => {
        const have = this.distinct();
        return want.every((t) => have.has(t));
      },
      timeoutMs,
      `all ${want.length} messages`,
    );
  }
}

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

export function describePubSubConformance(title: string, factory: () => Promise<PubSub>, opts: PubSubConformanceOptions): void {
  if (opts.skipReason !== undefined) {
    const skipped = `${title} pubsub conformance — SKIPPED: ${opts.skipReason}`;
    console.warn(`\n!!!!!!!!!!\n!!! ${skipped}\n!!! The suite did NOT run; this is not a pass.\n!!!!!!!!!!\n`);
    describe.skip(skipped, () => {
      it('backend unavailable: conformance not run', () => undefined);
    });
    return;
  }

  const run = randomUUID().slice(0, 8);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const settleMs = opts.settleMs ?? 500;
  const subscribeSettleMs = opts.subscribeSettleMs ?? 0;
  const n = opts.messages ?? 200;
  const largeBytes = opts.largePayloadBytes ?? 256 * 1024;
  const caseTimeout = 2 * timeoutMs + 4 * settleMs + 2 * subscribeSettleMs + 5_000;
  const topic = (name: string): string => `${opts.topicPrefix ?? ''}conf-${run}-${name}`;
  const group = (name: string): string => `conf-${run}-${name}`;

  let ps: PubSub;
  const instances: PubSub[] = [];
  const subscriptions: PubSubSubscription[] = [];

  const fresh = async (): Promise<PubSub> => {
    const c = await factory();
    instances.push(c);
    return c;
  };
  const subscribe = async (on: PubSub, t: string, consumerGroup: string, handler: PubSubHandler): Promise<PubSubSubscription> => {
    const sub = await on.subscribe({ topic: t, consumerGroup, metadata: { ...opts.subscribeMetadata } }, handler);
    subscriptions.push(sub);
    return sub;
  };
  const publish = (on: PubSub, t: string, data: Uint8Array | string, extra: { contentType?: string; metadata?: Record<string, string> } = {}): Promise<void> =>
    on.publish({
      topic: t,
      data: typeof data === 'string' ? enc(data) : data,
      ...(extra.contentType !== undefined ? { contentType: extra.contentType } : {}),
      metadata: { ...opts.publishMetadata, ...extra.metadata },
    });
  const settleSubscribe = (): Promise<void> => (subscribeSettleMs > 0 ? sleep(subscribeSettleMs) : Promise.resolve());

  describe(`${title} pubsub conformance`, () => {
    beforeAll(async () => {
      ps = await fresh();
    });

    afterAll(async () => {
      await Promise.allSettled(subscriptions.map((s) => s.close()));
      await Promise.allSettled(instances.map((c) => c.close()));
    });

    it('declares only known features, and exactly the ones its options say it has', () => {
      const features = ps.features();
      for (const f of features) expect(KNOWN_FEATURES).toContain(f);
      expect(features.includes('bulk-publish')).toBe(opts.bulkPublish === true);
      expect(typeof ps.bulkPublish === 'function').toBe(opts.bulkPublish === true);
      expect(features.includes('subscribe-wildcards')).toBe(opts.wildcards !== undefined);
      expect(features.includes('message-ttl')).toBe(opts.messageTtl === true);
    });

    it(
      `delivers ${n} messages published concurrently, each one, with its exact text and topic`,
      async () => {
        const t = topic('roundtrip');
        const rec = new PubSubRecorder();
        await subscribe(ps, t, group('roundtrip'), rec.handler);
        await settleSubscribe();
        const texts = Array.from({ length: n }, (_, i) => `conf ${run} #${i} ünïcødé € 😀 "quoted" \\ end`);
        await Promise.all(texts.map((s) => publish(ps, t, s, { contentType: 'text/plain; charset=utf-8' })));
        await rec.waitForAll(texts, timeoutMs);
        await sleep(settleMs);
        expect(rec.duplicates()).toEqual(new Map());
        expect(rec.count()).toBe(n);
        expect(new Set(rec.messages.map((m) => m.topic))).toEqual(new Set([t]));
        expect(rec.distinct()).toEqual(new Set(texts));
      },
      caseTimeout,
    );

    it(
      `delivers binary payloads byte for byte: all 256 byte values, ${largeBytes} random bytes, invalid UTF-8`,
      async () => {
        const t = topic('binary');
        const rec = new PubSubRecorder();
        await subscribe(ps, t, group('binary'), rec.handler);
        await settleSubscribe();
        const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        const reversed = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
        const large = randomBytes(largeBytes);
        const invalidUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x00]);
        const payloads = [allBytes, reversed, large, invalidUtf8];
        for (const p of payloads) await publish(ps, t, new Uint8Array(p), { contentType: 'application/octet-stream' });
        await rec.waitFor(payloads.length, timeoutMs);
        await sleep(settleMs);
        expect(rec.count()).toBe(payloads.length);
        for (const p of payloads) {
          const got = rec.messages.filter((m) => m.data.equals(p));
          expect({ length: p.length, deliveries: got.length }).toEqual({ length: p.length, deliveries: 1 });
        }
      },
      caseTimeout,
    );

    if (opts.carriesMetadata || opts.carriesContentType) {
      it(
        `carries ${[opts.carriesMetadata && 'metadata', opts.carriesContentType && 'the content type'].filter(Boolean).join(' and ')} with the message`,
        async () => {
          const t = topic('metadata');
          const rec = new PubSubRecorder();
          await subscribe(ps, t, group('metadata'), rec.handler);
          await settleSubscribe();
          const metadata = { 'conf-key': 'value one', 'conf-other': `run-${run}`, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
          await publish(ps, t, 'with metadata', { contentType: 'application/cloudevents+json', metadata });
          await publish(ps, t, 'other content type', { contentType: 'text/plain', metadata: { 'conf-key': 'second' } });
          await rec.waitFor(2, timeoutMs);
          const first = rec.messages.find((m) => m.text === 'with metadata');
          const second = rec.messages.find((m) => m.text === 'other content type');
          if (opts.carriesMetadata) {
            expect(first?.metadata).toMatchObject(metadata);
            expect(second?.metadata).toMatchObject({ 'conf-key': 'second' });
          }
          if (opts.carriesContentType) {
            expect(first?.contentType).toBe('application/cloudevents+json');
            expect(second?.contentType).toBe('text/plain');
          }
        },
        caseTimeout,
      );
    }

    if (opts.competingConsumers) {
      it(
        'delivers each message once across two subscriptions of one consumer group (competing consumers)',
        async () => {
          const t = topic('compete');
          const g = group('compete');
          const slow = async (): Promise<void> => sleep(2);
          const a = new PubSubRecorder(slow);
          const b = new PubSubRecorder(slow);
          await subscribe(ps, t, g, a.handler);
          await subscribe(ps, t, g, b.handler);
          await settleSubscribe();
          const texts = Array.from({ length: 100 }, (_, i) => `compete ${i}`);
          await Promise.all(texts.map((s) => publish(ps, t, s)));
          await a.until(() => new Set([...a.distinct(), ...b.distinct()]).size >= texts.length, timeoutMs, 'all messages across the group');
          await sleep(settleMs);
          const all = [...a.messages, ...b.messages].map((m) => m.text).sort();
          expect(all).toEqual([...texts].sort());
        },
        caseTimeout,
      );
    }

    if (opts.fanOut) {
      it(
        'delivers every message to each of two consumer groups (fan-out)',
        async () => {
          const t = topic('fanout');
          const a = new PubSubRecorder();
          const b = new PubSubRecorder();
          await subscribe(ps, t, group('fanout-a'), a.handler);
          await subscribe(ps, t, group('fanout-b'), b.handler);
          await settleSubscribe();
          const texts = Array.from({ length: 50 }, (_, i) => `fanout ${i}`);
          await Promise.all(texts.map((s) => publish(ps, t, s)));
          await a.waitForAll(texts, timeoutMs);
          await b.waitForAll(texts, timeoutMs);
          await sleep(settleMs);
          expect(a.messages.map((m) => m.text).sort()).toEqual([...texts].sort());
          expect(b.messages.map((m) => m.text).sort()).toEqual([...texts].sort());
        },
        caseTimeout,
      );
    }

    it(
      'never hands a message to the handler again while it is still in flight',
      async () => {
        const t = topic('inflight');
        const inFlight = new Set<string>();
        const violations: string[] = [];
        let maxConcurrent = 0;
        const rec = new PubSubRecorder(async (m) => {
          if (inFlight.has(m.text)) violations.push(m.text);
          inFlight.add(m.text);
          maxConcurrent = Math.max(maxConcurrent, inFlight.size);
          await sleep(150);
          inFlight.delete(m.text);
        });
        await subscribe(ps, t, group('inflight'), rec.handler);
        await settleSubscribe();
        const texts = Array.from({ length: 20 }, (_, i) => `inflight ${i}`);
        await Promise.all(texts.map((s) => publish(ps, t, s)));
        await rec.waitForAll(texts, timeoutMs + 20 * 150);
        await rec.until(() => inFlight.size === 0, timeoutMs, 'handlers to finish');
        expect(violations).toEqual([]);
        expect(maxConcurrent).toBeGreaterThanOrEqual(1);
      },
      caseTimeout + 20 * 150,
    );

    it(
      'keeps delivering after a handler rejected',
      async () => {
        const t = topic('survive');
        const rec = new PubSubRecorder(async (m) => {
          if (m.text === 'fails') throw new Error('handler failure (conformance)');
        });
        await subscribe(ps, t, group('survive'), rec.handler);
        await settleSubscribe();
        await publish(ps, t, 'fails');
        await rec.waitFor(1, timeoutMs, (m) => m.text === 'fails');
        await publish(ps, t, 'after');
        await rec.waitFor(1, timeoutMs, (m) => m.text === 'after');
      },
      caseTimeout,
    );

    const redelivery = opts.redeliversOnHandlerError;
    if (redelivery) {
      it(
        `redelivers a message whose handler rejected (within ${redelivery.withinMs} ms)`,
        async () => {
          const t = topic('redeliver');
          const rec = new PubSubRecorder(async (m, nth) => {
            if (m.text === 'retry me' && nth === 1) throw new Error('first attempt fails (conformance)');
          });
          await subscribe(ps, t, group('redeliver'), rec.handler);
          await settleSubscribe();
          await publish(ps, t, 'retry me');
          await publish(ps, t, 'plain');
          await rec.waitFor(2, timeoutMs + redelivery.withinMs, (m) => m.text === 'retry me');
          await rec.waitFor(1, timeoutMs, (m) => m.text === 'plain');
          await sleep(settleMs);
          // Acked after the successful second attempt: not delivered a third time.
          expect(rec.count((m) => m.text === 'retry me')).toBe(2);
          expect(rec.count((m) => m.text === 'plain')).toBe(1);
        },
        caseTimeout + redelivery.withinMs,
      );
    }

    it(
      'subscription close() waits for the handlers in flight, then nothing more is delivered to it',
      async () => {
        const t = topic('subclose');
        const gate = deferred();
        const entered = deferred();
        const rec = new PubSubRecorder(async () => {
          entered.resolve();
          await gate.promise;
        });
        const sub = await subscribe(ps, t, group('subclose'), rec.handler);
        await settleSubscribe();
        await publish(ps, t, 'held');
        await withDeadline(entered.promise, timeoutMs, 'handler entered');
        let closed = false;
        const closing = sub.close().then(() => {
          closed = true;
        });
        await sleep(300);
        expect(closed).toBe(false);
        gate.resolve();
        await withDeadline(closing, timeoutMs, 'subscription close()');
        const seen = rec.count();
        await publish(ps, t, 'after close');
        await sleep(settleMs);
        expect(rec.count()).toBe(seen);
        expect(rec.count((m) => m.text === 'after close')).toBe(0);
        // A second close() is harmless.
        await withDeadline(sub.close(), timeoutMs, 'second close()');
      },
      caseTimeout,
    );

    const unacked = opts.redeliversUnackedAfterClose;
    if (unacked) {
      it(
        `leaves an abandoned message with the broker: a new subscription of the group gets it (within ${unacked.withinMs} ms)`,
        async () => {
          const t = topic('abandon');
          const g = group('abandon');
          const first = new PubSubRecorder(async () => {
            throw new PubSubAbandonError('conformance: subscriber going away');
          });
          const sub = await subscribe(ps, t, g, first.handler);
          await settleSubscribe();
          await publish(ps, t, 'abandoned');
          await first.waitFor(1, timeoutMs);
          await withDeadline(sub.close(), timeoutMs, 'subscription close()');
          const second = new PubSubRecorder();
          await subscribe(ps, t, g, second.handler);
          await second.waitFor(1, timeoutMs + unacked.withinMs, (m) => m.text === 'abandoned');
          // Acked now: not delivered yet again.
          await sleep(settleMs);
          expect(second.count((m) => m.text === 'abandoned')).toBe(1);
        },
        caseTimeout + unacked.withinMs,
      );
    }

    if (opts.durableAcrossInstances) {
      it(
        'keeps a consumer group across component instances: messages published while nobody listened are delivered',
        async () => {
          const t = topic('durable');
          const g = group('durable');
          const one = await fresh();
          const firstRec = new PubSubRecorder();
          const sub = await subscribe(one, t, g, firstRec.handler);
          await settleSubscribe();
          await publish(one, t, 'while listening');
          await firstRec.waitFor(1, timeoutMs);
          await sub.close();
          await one.close();

          const two = await fresh();
          const texts = Array.from({ length: 10 }, (_, i) => `while away ${i}`);
          for (const s of texts) await publish(two, t, s);
          const later = new PubSubRecorder();
          await subscribe(two, t, g, later.handler);
          await later.waitForAll(texts, timeoutMs);
          await sleep(settleMs);
          expect(later.messages.map((m) => m.text).sort()).toEqual([...texts].sort());
        },
        caseTimeout,
      );
    }

    if (opts.messageTtl) {
      it(
        'expires a message published with ttlInSeconds: never delivered after it expired',
        async () => {
          const t = topic('ttl');
          const g = group('ttl');
          const probe = new PubSubRecorder();
          const sub = await subscribe(ps, t, g, probe.handler);
          await settleSubscribe();
          await sub.close();
          await publish(ps, t, 'expires', { metadata: { ttlInSeconds: '1' } });
          await publish(ps, t, 'stays', { metadata: { ttlInSeconds: '600' } });
          await publish(ps, t, 'no ttl');
          await sleep(2_500);
          const rec = new PubSubRecorder();
          await subscribe(ps, t, g, rec.handler);
          await rec.waitFor(1, timeoutMs, (m) => m.text === 'stays');
          await rec.waitFor(1, timeoutMs, (m) => m.text === 'no ttl');
          await sleep(settleMs);
          expect(rec.count((m) => m.text === 'expires')).toBe(0);
        },
        caseTimeout + 2_500,
      );
    }

    if (opts.bulkPublish) {
      it(
        'bulk-publishes entries: every entry delivered with its bytes (and metadata when carried), none reported failed',
        async () => {
          const t = topic('bulk');
          const rec = new PubSubRecorder();
          await subscribe(ps, t, group('bulk'), rec.handler);
          await settleSubscribe();
          const entries = Array.from({ length: 50 }, (_, i) => ({
            entryId: `e${i}`,
            data: enc(`bulk ${i} ü`),
            contentType: 'text/plain',
            metadata: { 'conf-entry': `e${i}` },
          }));
          const bulk = ps.bulkPublish?.bind(ps);
          if (!bulk) throw new Error('bulkPublish declared but missing');
          const result = await bulk({ topic: t, entries, metadata: { ...opts.publishMetadata } });
          expect(result.failed).toEqual([]);
          await rec.waitForAll(
            entries.map((_, i) => `bulk ${i} ü`),
            timeoutMs,
          );
          await sleep(settleMs);
          expect(rec.count()).toBe(entries.length);
          if (opts.carriesMetadata) for (const m of rec.messages) expect(m.metadata['conf-entry']).toBe(`e${m.text.split(' ')[1]}`);
          expect(await bulk({ topic: t, entries: [], metadata: {} })).toEqual({ failed: [] });
        },
        caseTimeout,
      );
    }

    if (opts.wildcards) {
      const w = opts.wildcards;
      it(
        `subscribes with wildcards (${w.single} one level, ${w.multi} the rest) and reports the concrete topic`,
        async () => {
          const base = topic('wild');
          const at = (...parts: string[]): string => [base, ...parts].join(w.separator);
          const single = new PubSubRecorder();
          const multi = new PubSubRecorder();
          await subscribe(ps, at(w.single, 'leaf'), group('wild-single'), single.handler);
          await subscribe(ps, at(w.multi), group('wild-multi'), multi.handler);
          await settleSubscribe();
          await publish(ps, at('a', 'leaf'), 'a-leaf');
          await publish(ps, at('b', 'leaf'), 'b-leaf');
          await publish(ps, at('a', 'other'), 'a-other');
          await publish(ps, at('a', 'b', 'leaf'), 'a-b-leaf');
          await single.waitFor(2, timeoutMs);
          await multi.waitFor(4, timeoutMs);
          await sleep(settleMs);
          expect(single.messages.map((m) => [m.text, m.topic]).sort()).toEqual([
            ['a-leaf', at('a', 'leaf')],
            ['b-leaf', at('b', 'leaf')],
          ]);
          expect(multi.messages.map((m) => [m.text, m.topic]).sort()).toEqual([
            ['a-b-leaf', at('a', 'b', 'leaf')],
            ['a-leaf', at('a', 'leaf')],
            ['a-other', at('a', 'other')],
            ['b-leaf', at('b', 'leaf')],
          ]);
        },
        caseTimeout,
      );
    }

    it(
      'component close() waits for handlers in flight; afterwards publish and subscribe reject with PubSubError(closed)',
      async () => {
        const c = await fresh();
        const t = topic('close');
        const gate = deferred();
        const entered = deferred();
        const rec = new PubSubRecorder(async () => {
          entered.resolve();
          await gate.promise;
        });
        await c.subscribe({ topic: t, consumerGroup: group('close'), metadata: { ...opts.subscribeMetadata } }, rec.handler);
        await settleSubscribe();
        await publish(c, t, 'in flight at close');
        await withDeadline(entered.promise, timeoutMs, 'handler entered');
        let closed = false;
        const closing = c.close().then(() => {
          closed = true;
        });
        await sleep(300);
        expect(closed).toBe(false);
        gate.resolve();
        await withDeadline(closing, timeoutMs, 'component close()');
        const closedError = { kind: 'tessera.pubsub-error', errorKind: 'closed' };
        await expect(publish(c, t, 'after close')).rejects.toMatchObject(closedError);
        await expect(c.subscribe({ topic: t, consumerGroup: group('close'), metadata: {} }, rec.handler)).rejects.toMatchObject(closedError);
        if (opts.bulkPublish && c.bulkPublish) {
          // Either the whole call rejects, or every entry is reported failed.
          const outcome = await c.bulkPublish({ topic: t, entries: [{ entryId: 'x', data: enc('x'), metadata: {} }], metadata: {} }).then(
            (r) => r.failed.map((f) => f.entryId),
            (e: unknown) => e,
          );
          if (Array.isArray(outcome)) expect(outcome).toEqual(['x']);
          else expect(outcome).toMatchObject({ kind: 'tessera.pubsub-error' });
        }
        // A second close() is harmless.
        await withDeadline(c.close(), timeoutMs, 'second close()');
      },
      caseTimeout,
    );
  });
}
