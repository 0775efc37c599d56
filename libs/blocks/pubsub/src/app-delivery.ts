// The gateway's subscriber (daprd's pkg/runtime/subscription restated): it finds out what its
// app subscribes to (programmatic: `GET /dapr/subscribe` or gRPC ListTopicSubscriptions;
// declarative: Subscription resources scoped to the app), opens one PubSubApi subscription per
// pubsub+topic (the block in-process, or pubsub-svc over the internal transport, it cannot tell),
// and for every message: reads the CloudEvent, drops expired events, picks the route by the
// subscription's rules, calls the app over the app channel under the component's inbound
// resiliency policy, turns the app's answer into a verdict (SUCCESS / RETRY / DROP) and settles
// the message with it. The service acks the broker or dead-letters only on that settle, so a
// gateway that dies mid-message loses nothing: its unsettled messages go back to the broker.
//
// Bulk subscriptions buffer up to maxMessagesCount messages or maxAwaitDurationMs and deliver
// them in one call; each entry is settled by its own status.
//
// A subscription stream that breaks (pubsub-svc restarted or unreachable) is opened again with
// backoff until close(). Nothing here outlives close().
//
// App health (--enable-app-health-check; daprd stops its subscriptions while the app is
// unhealthy): pause() stops handing messages to the app, lets the deliveries in flight finish
// their current attempt (no further policy retries, up to drainMs), then closes the broker
// subscriptions, so the broker keeps everything not delivered. A message whose delivery failed
// while paused is never settled RETRY (no failed attempt, no dead letter): it waits, and is
// delivered again on resume() if its subscription is still open, or abandoned (redelivered by the
// broker) when the subscription closes. resume() opens the same subscriptions again. Before
// start(), pause() makes start() wait for resume() (the app's /dapr/subscribe needs a healthy app).
import { setMaxListeners } from 'node:events';
import { PauseLatch, idleOrTimeout } from '@tessera/runtime-core';
import {
  APIVersion,
  AppCallbackAlphaService,
  AppCallbackService,
  DeliveryVerdict,
  HTTPExtension_Verb,
  isApiError,
} from '@tessera/contracts';
import type {
  AppChannel,
  CallContext,
  InternalInvokeRequest,
  InternalInvokeResponse,
  ListTopicSubscriptionsResponse,
  PubSubApi,
  TopicDelivery,
  TopicEventBulkResponse,
  TopicEventResponse,
} from '@tessera/contracts';
import { isExpired, isRawPayload, readDelivered } from './cloudevents';
import type { DeliveredEvent } from './cloudevents';
import { buildBulkHttpBody, buildGrpcBulkRequest, buildGrpcTopicEvent, buildHttpDelivery } from './delivery-messages';
import type { BulkEntryInput } from './delivery-messages';
import { compileRoutes } from './routing';
import type { Router } from './routing';
import { mergeSubscriptions, parseGrpcSubscriptions, parseHttpSubscriptions } from './subscriptions';
import type { SubscriptionSpec } from './subscriptions';
import { bulkVerdictsFromGrpc, bulkVerdictsFromHttp, verdictFromError, verdictFromGrpc, verdictFromHttp } from './verdicts';
import type { Verdict } from './verdicts';

export interface PubSubDeliveryLogger {
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A resiliency policy (runtime-core's Policy satisfies it). */
export interface PubSubDeliveryPolicy {
  run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: { readonly signal?: AbortSignal }): Promise<T>;
}

export interface AppPubSubDeliveryOptions {
  readonly api: PubSubApi;
  /** Undefined when the gateway has no app channel: only streaming subscriptions exist then. */
  readonly channel: AppChannel | undefined;
  readonly appId: string;
  readonly namespace: string;
  /** Subscription resources that apply to this app (already scoped). */
  readonly declarative: readonly SubscriptionSpec[];
  readonly logger?: PubSubDeliveryLogger;
  /** The pub/sub component's inbound policy (component -> app); absent = one attempt. */
  readonly inboundPolicy?: (pubsubName: string) => PubSubDeliveryPolicy;
  /** Backoff between subscribe attempts after a failure. Default 200 ms doubling to 5 s. */
  readonly retryBackoffMs?: { readonly initial?: number; readonly max?: number };
  /** How long pause() lets deliveries in flight finish before it closes a subscription. Default 5 s. */
  readonly drainMs?: number;
  /** Clock for TTL checks (tests). */
  readonly now?: () => number;
}

/** What the metadata API lists for each subscription. */
export interface ActiveSubscription {
  readonly spec: SubscriptionSpec;
  /** True while a broker subscription is open. */
  live: boolean;
}

interface Runner {
  readonly spec: SubscriptionSpec;
  readonly router: Router;
  readonly state: ActiveSubscription;
  bulk: Batch | undefined;
  /** Aborting it closes the open broker subscription (pause, close). */
  session: AbortController | undefined;
  /** The open subscription's id once it delivers; '' otherwise. */
  subscriptionId: string;
  /** Deliveries (handle() calls, bulk batches) running now, and who waits for them to end. */
  busy: number;
  idleWaiters: Array<() => void>;
  /** Messages of the open subscription not handed to the app because the app is unhealthy. */
  held: Held[];
  /** run() returned (closed, or the subscription was refused). */
  ended: boolean;
}

interface Held {
  readonly subscriptionId: string;
  readonly delivery: TopicDelivery;
}

interface Pending {
  readonly subscriptionId: string;
  readonly delivery: TopicDelivery;
  readonly event: DeliveredEvent;
  readonly path: string;
}

interface Batch {
  readonly items: Pending[];
  timer: NodeJS.Timeout | undefined;
}

class RetryVerdict extends Error {}

/** A policy retry refused because the app turned unhealthy: ends the policy's retries. */
class PausedError extends Error {
  readonly retryable = false;
  constructor() {
    super('the app is not in a healthy state');
  }
}

const DEFAULT_BULK_COUNT = 100;
const DEFAULT_BULK_AWAIT_MS = 1000;
const VERDICT: Readonly<Record<Verdict, DeliveryVerdict>> = {
  success: DeliveryVerdict.DELIVERY_VERDICT_SUCCESS,
  retry: DeliveryVerdict.DELIVERY_VERDICT_RETRY,
  drop: DeliveryVerdict.DELIVERY_VERDICT_DROP,
};

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isGrpc(protocol: string): boolean {
  return protocol === 'grpc' || protocol === 'grpcs';
}

export class AppPubSubDelivery {
  private readonly runners: Runner[] = [];
  private readonly stop = new AbortController();
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  private readonly now: () => number;
  private readonly drainMs: number;
  private readonly ctx: CallContext;
  /** Paused while the app is unhealthy; a paused start() and paused loops wait on it (close() releases them). */
  private readonly gate = new PauseLatch();

  constructor(private readonly opts: AppPubSubDeliveryOptions) {
    this.backoffInitial = opts.retryBackoffMs?.initial ?? 200;
    this.backoffMax = opts.retryBackoffMs?.max ?? 5000;
    this.now = opts.now ?? Date.now;
    this.drainMs = opts.drainMs ?? 5000;
    // Every call in flight (app deliveries, settles, policy runs) listens on this one signal and
    // removes its listener when done; a busy subscription passes Node's default of 10 at once,
    // which is no leak: without this Node prints "MaxListenersExceededWarning" on every busy gateway.
    setMaxListeners(0, this.stop.signal);
    this.ctx = { appId: opts.appId, namespace: opts.namespace, signal: this.stop.signal };
  }

  /** The subscriptions this gateway delivers (metadata API). */
  subscriptions(): readonly ActiveSubscription[] {
    return this.runners.map((r) => r.state);
  }

  /**
   * Reads the app's programmatic subscriptions (when it has a channel), merges them with the
   * declarative ones and starts delivering. Call once the app channel is ready.
   */
  async start(): Promise<void> {
    if (this.gate.paused) await this.gate.untilResumed();
    if (this.stop.signal.aborted) return;
    const programmatic = this.opts.channel !== undefined ? await this.discover(this.opts.channel) : [];
    const { subscriptions, skipped } = mergeSubscriptions(this.opts.declarative, programmatic);
    for (const s of skipped) this.opts.logger?.warn(`subscription skipped: ${s}`);
    for (const spec of subscriptions) {
      let router: Router;
      try {
        router = compileRoutes({ rules: spec.rules, default: spec.defaultPath });
      } catch (e) {
        this.opts.logger?.error(`subscription to ${spec.pubsubName}/${spec.topic} skipped: ${messageOf(e)}`);
        continue;
      }
      const runner: Runner = { spec, router, state: { spec, live: false }, bulk: undefined, session: undefined, subscriptionId: '', busy: 0, idleWaiters: [], held: [], ended: false };
      this.runners.push(runner);
      void this.run(runner);
    }
  }

  /** Stops every subscription; unsettled messages go back to the broker. Idempotent. */
  async close(): Promise<void> {
    this.stop.abort();
    for (const r of this.runners) {
      if (r.bulk?.timer) clearTimeout(r.bulk.timer);
      r.session?.abort();
    }
    this.gate.release();
  }

  /**
   * The app turned unhealthy: stop delivering, close the subscriptions once the deliveries in
   * flight have ended (up to drainMs). Returns how many subscriptions it pauses. Idempotent.
   */
  pause(): number {
    if (this.gate.paused || this.stop.signal.aborted) return 0;
    this.gate.pause();
    let n = 0;
    for (const r of this.runners) {
      if (r.ended) continue;
      n++;
      const b = r.bulk;
      if (b !== undefined) {
        // the batch not sent yet waits with the rest
        r.bulk = undefined;
        if (b.timer) clearTimeout(b.timer);
        for (const p of b.items) r.held.push({ subscriptionId: p.subscriptionId, delivery: p.delivery });
      }
      void this.closeWhenIdle(r);
    }
    return n;
  }

  /**
   * The app is healthy again: subscribe again (the same subscriptions) and deliver what waited
   * on subscriptions still open. Returns how many subscriptions it resumes. Idempotent.
   */
  resume(): number {
    if (!this.gate.paused || this.stop.signal.aborted) return 0;
    this.gate.resume();
    let n = 0;
    for (const r of this.runners) {
      if (r.ended) continue;
      n++;
      const held = r.held.splice(0);
      const open = r.session !== undefined && !r.session.signal.aborted;
      for (const h of held) if (open && h.subscriptionId === r.subscriptionId) this.dispatch(r, h.subscriptionId, h.delivery);
    }
    return n;
  }

  /** Closes r's subscription once its deliveries in flight are done (or drainMs passed), unless resumed meanwhile. */
  private async closeWhenIdle(r: Runner): Promise<void> {
    const session = r.session;
    if (session === undefined) return;
    await idleOrTimeout(r, this.drainMs);
    if (this.gate.paused && r.session === session) session.abort();
  }

  /** Hands one message to handle(), counted in r.busy. */
  private dispatch(r: Runner, subscriptionId: string, d: TopicDelivery): void {
    r.busy++;
    this.handle(r, subscriptionId, d).then(
      () => this.idle(r),
      (e: unknown) => {
        // a bug on this side must not take the gateway down: the message goes back as RETRY
        this.opts.logger?.error(`delivering a message on ${r.spec.pubsubName}/${r.spec.topic} failed: ${messageOf(e)}`);
        if (!this.stop.signal.aborted) void this.settle(subscriptionId, d, 'retry', messageOf(e));
        this.idle(r);
      },
    );
  }

  private idle(r: Runner): void {
    if (--r.busy > 0 || r.idleWaiters.length === 0) return;
    for (const w of r.idleWaiters.splice(0)) w();
  }

  /** `GET /dapr/subscribe` (HTTP apps) or ListTopicSubscriptions (gRPC apps), 3 tries with backoff. */
  private async discover(channel: AppChannel): Promise<SubscriptionSpec[]> {
    const log = this.opts.logger;
    for (let attempt = 1; ; attempt++) {
      try {
        if (isGrpc(channel.protocol)) {
          if (channel.callback === undefined) return [];
          const res = await channel.callback<unknown, ListTopicSubscriptionsResponse>(AppCallbackService.listTopicSubscriptions as never, {}, this.ctx);
          return parseGrpcSubscriptions(res).subscriptions;
        }
        const res = await channel.invokeMethod(this.httpRequest('dapr/subscribe', HTTPExtension_Verb.GET, undefined, '', {}), this.ctx);
        const status = res.status?.code ?? 0;
        if (status === 404) return [];
        if (status < 200 || status > 299) {
          log?.warn(`GET /dapr/subscribe answered ${status}; no programmatic subscriptions`);
          return [];
        }
        const parsed = parseHttpSubscriptions(Buffer.from(res.message?.data?.value ?? new Uint8Array()).toString('utf8'));
        for (const why of parsed.skipped) log?.warn(`programmatic subscription skipped: ${why}`);
        return parsed.subscriptions;
      } catch (e) {
        if (isGrpc(channel.protocol) && (e as { code?: number }).code === 12 /* UNIMPLEMENTED */) return [];
        if (attempt >= 3 || this.stop.signal.aborted) {
          log?.warn(`could not read the app's subscriptions: ${messageOf(e)}`);
          return [];
        }
        await this.sleep(500 * attempt);
      }
    }
  }

  private async run(r: Runner): Promise<void> {
    const { spec } = r;
    const log = this.opts.logger;
    let failures = 0;
    let pausedBefore = false;
    while (!this.stop.signal.aborted) {
      if (this.gate.paused) {
        await this.gate.untilResumed();
        continue;
      }
      const session = new AbortController();
      r.session = session;
      try {
        const stream = this.opts.api.subscribe(
          { pubsubName: spec.pubsubName, topic: spec.topic, metadata: { ...spec.metadata }, deadLetterTopic: spec.deadLetterTopic ?? '' },
          { ...this.ctx, signal: session.signal },
        );
        const it = stream[Symbol.asyncIterator]();
        const first = await it.next();
        if (first.done === true) throw new Error('the subscription ended before it started');
        const subscriptionId = first.value.subscriptionId;
        r.subscriptionId = subscriptionId;
        r.state.live = true;
        if (pausedBefore) log?.debug?.(`subscription to ${spec.pubsubName}/${spec.topic} open again`);
        else if (failures > 0) log?.info(`subscription to ${spec.pubsubName}/${spec.topic} resumed`);
        else log?.info(`app subscribed to ${spec.pubsubName}/${spec.topic}`);
        failures = 0;
        pausedBefore = false;
        for (;;) {
          const n = await it.next();
          if (n.done === true) break;
          if (this.gate.paused) r.held.push({ subscriptionId, delivery: n.value });
          else this.dispatch(r, subscriptionId, n.value);
        }
        r.state.live = false;
        if (this.stop.signal.aborted) break;
        if (session.signal.aborted) {
          pausedBefore = true;
          continue;
        }
        log?.warn(`subscription to ${spec.pubsubName}/${spec.topic} ended; subscribing again`);
      } catch (e) {
        r.state.live = false;
        if (this.stop.signal.aborted) break;
        if (session.signal.aborted) {
          pausedBefore = true;
          continue;
        }
        if (isApiError(e) && e.httpStatus >= 400 && e.httpStatus < 500) {
          log?.error(`subscription to ${spec.pubsubName}/${spec.topic} refused: ${e.message}`);
          break;
        }
        log?.warn(`subscription to ${spec.pubsubName}/${spec.topic} interrupted, subscribing again: ${messageOf(e)}`);
      } finally {
        // what waited on this subscription went back to the broker with it
        r.held.length = 0;
        r.subscriptionId = '';
        if (r.session === session) r.session = undefined;
      }
      await this.sleep(this.backoff(failures++));
    }
    r.ended = true;
  }

  /** One message: read, expire, route, deliver (or buffer for bulk), settle. */
  private async handle(r: Runner, subscriptionId: string, d: TopicDelivery): Promise<void> {
    const { spec } = r;
    const read = readDelivered({
      data: d.data,
      contentType: d.contentType,
      metadata: d.metadata,
      topic: d.topic !== '' ? d.topic : spec.topic,
      pubsubName: spec.pubsubName,
      rawPayload: isRawPayload(spec.metadata),
    });
    if (!read.ok) return this.settle(subscriptionId, d, 'retry', `the message is not a readable CloudEvent: ${read.reason}`);
    const event = read.event;
    if (isExpired(event, this.now())) return this.settle(subscriptionId, d, 'drop', 'the event expired');
    let path: string | undefined;
    try {
      path = r.router.pathFor(event.fields);
    } catch (e) {
      return this.settle(subscriptionId, d, 'retry', `routing failed: ${messageOf(e)}`);
    }
    if (path === undefined) return this.settle(subscriptionId, d, 'drop', `no route matched the event on ${spec.topic}`);
    const pending: Pending = { subscriptionId, delivery: d, event, path };
    if (spec.bulkSubscribe?.enabled === true) return this.buffer(r, pending);
    const channel = this.opts.channel;
    if (channel === undefined) return this.settle(subscriptionId, d, 'retry', 'no app channel');
    const outcome = await this.withPolicy(spec.pubsubName, () => this.deliverOne(channel, spec, pending));
    if (this.stop.signal.aborted) return; // shutting down: the stream end hands the message back
    if (outcome.verdict === 'retry' && this.gate.paused) return this.hold(r, subscriptionId, d, outcome.reason);
    return this.settle(subscriptionId, d, outcome.verdict, outcome.reason);
  }

  private async deliverOne(channel: AppChannel, spec: SubscriptionSpec, p: Pending): Promise<{ verdict: Verdict; reason: string }> {
    const ctx = this.eventCtx(p.event);
    if (isGrpc(channel.protocol)) {
      if (channel.callback === undefined) return { verdict: 'retry', reason: 'the gRPC app channel cannot deliver events' };
      try {
        const res = await channel.callback<unknown, TopicEventResponse>(
          AppCallbackService.onTopicEvent as never,
          buildGrpcTopicEvent(p.event, { pubsubName: spec.pubsubName, topic: p.delivery.topic || spec.topic, path: p.path, metadata: p.delivery.metadata }),
          ctx,
        );
        return verdictFromGrpc(res);
      } catch (e) {
        return verdictFromError(e);
      }
    }
    const h = buildHttpDelivery(p.event, { pubsubName: spec.pubsubName, path: p.path, metadata: p.delivery.metadata });
    let res: InternalInvokeResponse;
    try {
      res = await channel.invokeMethod(this.httpRequest(p.path, HTTPExtension_Verb.POST, h.body, h.contentType, h.headers), ctx);
    } catch (e) {
      return verdictFromError(e);
    }
    return verdictFromHttp(res.status?.code ?? 0, Buffer.from(res.message?.data?.value ?? new Uint8Array()));
  }

  /** A delivery that failed while the app is unhealthy: not a failed attempt; it waits for resume() or the subscription's end. */
  private hold(r: Runner, subscriptionId: string, d: TopicDelivery, reason: string): void {
    this.opts.logger?.debug?.(`message on ${d.topic || r.spec.topic} not delivered, the app is unhealthy: ${reason}`);
    if (subscriptionId === r.subscriptionId) r.held.push({ subscriptionId, delivery: d });
  }

  private buffer(r: Runner, p: Pending): void {
    const max = r.spec.bulkSubscribe?.maxMessagesCount || DEFAULT_BULK_COUNT;
    const wait = r.spec.bulkSubscribe?.maxAwaitDurationMs || DEFAULT_BULK_AWAIT_MS;
    let b = r.bulk;
    if (b === undefined) {
      b = { items: [], timer: undefined };
      r.bulk = b;
      const batch = b;
      batch.timer = setTimeout(() => this.flush(r, batch), wait);
    }
    b.items.push(p);
    if (b.items.length >= max) this.flush(r, b);
  }

  private flush(r: Runner, b: Batch): void {
    if (r.bulk === b) r.bulk = undefined;
    if (b.timer) clearTimeout(b.timer);
    b.timer = undefined;
    if (b.items.length === 0) return;
    const items = b.items;
    r.busy++;
    this.deliverBulk(r, items).then(
      () => this.idle(r),
      (e: unknown) => {
        this.opts.logger?.error(`bulk delivery on ${r.spec.pubsubName}/${r.spec.topic} failed: ${messageOf(e)}`);
        if (!this.stop.signal.aborted) for (const p of items) void this.settle(p.subscriptionId, p.delivery, 'retry', messageOf(e));
        this.idle(r);
      },
    );
  }

  private async deliverBulk(r: Runner, items: readonly Pending[]): Promise<void> {
    const { spec } = r;
    const channel = this.opts.channel;
    if (channel === undefined) {
      for (const p of items) void this.settle(p.subscriptionId, p.delivery, 'retry', 'no app channel');
      return;
    }
    // Every entry goes to the path of the first one's route, as daprd groups bulk deliveries per path.
    const byPath = new Map<string, Pending[]>();
    for (const p of items) {
      const list = byPath.get(p.path) ?? [];
      list.push(p);
      byPath.set(p.path, list);
    }
    await Promise.all(
      [...byPath.entries()].map(async ([path, group]) => {
        const entries: BulkEntryInput[] = group.map((p) => ({ entryId: p.delivery.deliveryId, event: p.event, metadata: p.delivery.metadata }));
        let verdicts: ReadonlyMap<string, { verdict: Verdict; reason: string }>;
        try {
          verdicts = await this.withPolicyBulk(spec.pubsubName, async () => {
            if (isGrpc(channel.protocol)) {
              if (channel.callback === undefined) throw new Error('the gRPC app channel cannot deliver events');
              const res = await channel.callback<unknown, TopicEventBulkResponse>(
                AppCallbackAlphaService.onBulkTopicEventAlpha1 as never,
                buildGrpcBulkRequest(entries, { pubsubName: spec.pubsubName, topic: spec.topic, path, metadata: {} }),
                this.ctx,
              );
              return bulkVerdictsFromGrpc(res, entries.map((e) => e.entryId));
            }
            const body = buildBulkHttpBody(entries, { pubsubName: spec.pubsubName, topic: spec.topic, metadata: {} });
            const res = await channel.invokeMethod(this.httpRequest(path, HTTPExtension_Verb.POST, body, 'application/json', {}), this.ctx);
            return bulkVerdictsFromHttp(res.status?.code ?? 0, Buffer.from(res.message?.data?.value ?? new Uint8Array()), entries.map((e) => e.entryId));
          });
        } catch (e) {
          const v = verdictFromError(e);
          verdicts = new Map(entries.map((en) => [en.entryId, v]));
        }
        if (this.stop.signal.aborted) return;
        for (const p of group) {
          const v = verdicts.get(p.delivery.deliveryId) ?? { verdict: 'retry' as Verdict, reason: 'the app gave no status for the entry' };
          if (v.verdict === 'retry' && this.gate.paused) this.hold(r, p.subscriptionId, p.delivery, v.reason);
          else void this.settle(p.subscriptionId, p.delivery, v.verdict, v.reason);
        }
      }),
    );
  }

  /** Runs one delivery attempt under the inbound policy; a RETRY verdict counts as a failure to retry. */
  private async withPolicy(pubsubName: string, attempt: () => Promise<{ verdict: Verdict; reason: string }>): Promise<{ verdict: Verdict; reason: string }> {
    const policy = this.opts.inboundPolicy?.(pubsubName);
    if (policy === undefined) return attempt();
    try {
      return await policy.run(
        async () => {
          if (this.gate.paused) throw new PausedError();
          const o = await attempt();
          if (o.verdict === 'retry') throw new RetryVerdict(o.reason);
          return o;
        },
        { signal: this.stop.signal },
      );
    } catch (e) {
      return { verdict: 'retry', reason: messageOf(e) };
    }
  }

  /** Bulk: retries (under the policy) while any entry asks for RETRY; the last answer stands. */
  private async withPolicyBulk(
    pubsubName: string,
    attempt: () => Promise<ReadonlyMap<string, { verdict: Verdict; reason: string }>>,
  ): Promise<ReadonlyMap<string, { verdict: Verdict; reason: string }>> {
    const policy = this.opts.inboundPolicy?.(pubsubName);
    if (policy === undefined) return attempt();
    let last: ReadonlyMap<string, { verdict: Verdict; reason: string }> | undefined;
    try {
      return await policy.run(
        async () => {
          if (this.gate.paused) throw new PausedError();
          last = await attempt();
          for (const v of last.values()) if (v.verdict === 'retry') throw new RetryVerdict(v.reason);
          return last;
        },
        { signal: this.stop.signal },
      );
    } catch (e) {
      if (last !== undefined) return last;
      throw e;
    }
  }

  private async settle(subscriptionId: string, d: TopicDelivery, verdict: Verdict, reason: string): Promise<void> {
    if (verdict !== 'success') this.opts.logger?.warn(`message on ${d.topic}: ${verdict.toUpperCase()}: ${reason}`);
    try {
      await this.opts.api.settle({ subscriptionId, deliveryId: d.deliveryId, verdict: VERDICT[verdict], reason }, this.ctx);
    } catch (e) {
      // the stream is gone: the service hands the message back to the broker itself
      this.opts.logger?.debug?.(`settling a message on ${d.topic} failed: ${messageOf(e)}`);
    }
  }

  private eventCtx(event: DeliveredEvent): CallContext {
    const tp = event.traceparent;
    return tp !== undefined && tp !== ''
      ? { appId: this.opts.appId, namespace: this.opts.namespace, signal: this.stop.signal, traceparent: tp, tracestate: event.tracestate }
      : this.ctx;
  }

  private httpRequest(path: string, verb: HTTPExtension_Verb, body: Uint8Array | undefined, contentType: string, headers: Readonly<Record<string, string>>): InternalInvokeRequest {
    const metadata: InternalInvokeRequest['metadata'] = {};
    for (const [k, v] of Object.entries(headers)) metadata[k] = { values: [v] };
    return {
      ver: APIVersion.V1,
      metadata,
      message: {
        method: path.replace(/^\/+/, ''),
        data: body !== undefined ? { typeUrl: '', value: Buffer.from(body.buffer, body.byteOffset, body.byteLength) } : undefined,
        contentType,
        httpExtension: { verb, querystring: '' },
      },
      actor: undefined,
    };
  }

  private backoff(failures: number): number {
    const wait = Math.min(this.backoffMax, this.backoffInitial * 2 ** Math.min(failures, 20));
    return wait * (0.8 + 0.4 * Math.random());
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stop.signal;
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

