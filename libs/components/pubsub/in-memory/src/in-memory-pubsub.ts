// `pubsub.in-memory`: an in-process event bus inside one runtime (spec/components.md 5.10). No
// metadata, no persistence, nothing crosses the process: a message published while no
// subscription matches its topic is gone.
//
// Delivery, so an all-in-one app behaves as it would on a broker:
// - Consumer groups: subscriptions with the same topic (pattern) and consumerGroup compete (each
//   message goes to one of them, round robin); every other group gets its own copy (fan-out).
// - Asynchronous: publish() resolves once the message was handed to the matching groups; the
//   handlers run on later ticks, concurrently (no per-subscription limit, as Dapr's in-memory bus).
// - Handler failure is only logged (semantics.md 1: runtime-level resiliency is the only retry).
// - Abandon (PubSubAbandonError): the message goes back to its group: to another open subscription
//   of the group, or, when none is left, it is parked (up to 10 000 per group, oldest dropped first)
//   until a subscription of the group joins. Lost when the process ends.
// - Wildcards, MQTT syntax: levels separated by `/`; a level `+` matches exactly one level, a last
//   level `#` matches the parent and any number of levels below (`a/#` matches `a`, `a/b`, `a/b/c`).
//   Any other topic is matched literally. PubSubMessage.topic is the concrete published topic.
import { PubSubError, isPubSubAbandon } from '@tessera/spi';
import type { ComponentHost, ComponentMetadata, PubSub, PubSubFeature, PubSubHandler, PubSubMessage, PubSubPublishRequest, PubSubSubscribeRequest, PubSubSubscription } from '@tessera/spi';

const MAX_PARKED_PER_GROUP = 10_000;

interface Envelope {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly contentType?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** True when the MQTT-style `pattern` matches `topic`. */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true;
  if (!pattern.includes('+') && !pattern.includes('#')) return false;
  const p = pattern.split('/');
  const t = topic.split('/');
  for (let i = 0; i < p.length; i++) {
    const level = p[i];
    if (level === '#' && i === p.length - 1) return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return p.length === t.length;
}

class Group {
  readonly members: Member[] = [];
  readonly parked: Envelope[] = [];
  private next = 0;

  constructor(
    readonly pattern: string,
    readonly consumerGroup: string,
  ) {}

  /** The next open member, round robin, skipping `except`. */
  pick(except?: Member): Member | undefined {
    const open = this.members.filter((m) => !m.closing && m !== except);
    if (open.length === 0) return undefined;
    const m = open[this.next % open.length];
    this.next = (this.next + 1) % Number.MAX_SAFE_INTEGER;
    return m;
  }
}

class Member implements PubSubSubscription {
  closing = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly bus: InMemoryPubSub,
    readonly group: Group,
    private readonly handler: PubSubHandler,
  ) {}

  deliver(env: Envelope): void {
    const msg: PubSubMessage = {
      topic: env.topic,
      data: new Uint8Array(env.data),
      ...(env.contentType !== undefined ? { contentType: env.contentType } : {}),
      metadata: { ...env.metadata },
    };
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.handler(msg))
      .catch((e: unknown) => this.bus.handlerFailed(this, env, e));
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.bus.leave(this);
    }
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

class InMemoryPubSub implements PubSub {
  private closed = false;
  private readonly groups = new Map<string, Group>();
  private readonly members = new Set<Member>();

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly host: ComponentHost | undefined,
  ) {}

  async init(): Promise<void> {
    // Nothing to connect to.
  }

  features(): readonly PubSubFeature[] {
    return ['subscribe-wildcards'];
  }

  async publish(req: PubSubPublishRequest): Promise<void> {
    this.assertOpen();
    if (req.topic === '') throw new PubSubError('bad-request', 'topic is empty');
    const env: Envelope = {
      topic: req.topic,
      data: new Uint8Array(req.data),
      ...(req.contentType !== undefined ? { contentType: req.contentType } : {}),
      metadata: { ...req.metadata },
    };
    for (const g of this.groups.values()) if (topicMatches(g.pattern, req.topic)) g.pick()?.deliver(env);
  }

  async subscribe(req: PubSubSubscribeRequest, handler: PubSubHandler): Promise<PubSubSubscription> {
    this.assertOpen();
    if (req.topic === '') throw new PubSubError('bad-request', 'topic is empty');
    const key = `${req.topic}\u0000${req.consumerGroup}`;
    let group = this.groups.get(key);
    if (!group) {
      group = new Group(req.topic, req.consumerGroup);
      this.groups.set(key, group);
    }
    const member = new Member(this, group, handler);
    group.members.push(member);
    this.members.add(member);
    for (const env of group.parked.splice(0)) member.deliver(env);
    return member;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.members].map((m) => m.close()));
  }

  /** A member closed: it takes no more messages; an empty group without parked messages goes. */
  leave(m: Member): void {
    this.members.delete(m);
    const g = m.group;
    const i = g.members.indexOf(m);
    if (i >= 0) g.members.splice(i, 1);
    this.dropIfIdle(g);
  }

  handlerFailed(m: Member, env: Envelope, e: unknown): void {
    const fields = { component: this.meta.name, topic: env.topic, consumerGroup: m.group.consumerGroup };
    if (!isPubSubAbandon(e)) {
      this.host?.logger?.warn('pubsub.in-memory: handler failed; the message is dropped (in-memory does not redeliver)', {
        ...fields,
        error: e instanceof Error ? e.message : String(e),
      });
      return;
    }
    // The group may have been replaced meanwhile (the member's group emptied and was dropped, then
    // a new subscription of the same group created it again): the message goes to the live one.
    const key = `${m.group.pattern}\u0000${m.group.consumerGroup}`;
    const g = this.groups.get(key) ?? m.group;
    const other = this.closed ? undefined : g.pick(m);
    if (other) {
      other.deliver(env);
      return;
    }
    if (this.closed) return;
    g.parked.push(env);
    if (g.parked.length > MAX_PARKED_PER_GROUP) {
      g.parked.shift();
      this.host?.logger?.warn('pubsub.in-memory: too many abandoned messages waiting for a subscriber; dropped the oldest', fields);
    }
    if (!this.groups.has(key)) this.groups.set(key, g);
  }

  private dropIfIdle(g: Group): void {
    if (g.members.length === 0 && g.parked.length === 0) this.groups.delete(`${g.pattern}\u0000${g.consumerGroup}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new PubSubError('closed', `pubsub.in-memory "${this.meta.name}" is closed`);
  }
}

/** Factory registered as `pubsub.in-memory` v1. It has no metadata. */
export function createInMemoryPubSub(meta: ComponentMetadata, host?: ComponentHost): PubSub {
  return new InMemoryPubSub(meta, host);
}
