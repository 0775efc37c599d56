// The gateway's side of input bindings (spec/http-api.md 4.2, 4.3; grpc-api.md AppCallback): it
// lists the input bindings visible to its app, asks the app which it takes (HTTP `OPTIONS
// /{route}`: 2xx or 405 = subscribed; gRPC `ListInputBindings`), reads each subscribed binding
// through the BindingsApi (the block in-process, or bindings-svc over the internal transport, it
// cannot tell) and delivers every event to the app:
//   HTTP: `POST /{route}`, the raw event bytes, `Content-Type: application/json`, the event
//         metadata as headers; only 200 is success (daprd's rule);
//   gRPC: `OnBindingEvent{name, data, metadata}`; any non-OK status is a failure.
// under the component's inbound resiliency policy. The event is settled ok only when the app
// accepted it, so the component acknowledges its source only then; a failure goes back to the
// component (nack / redelivery). The app's answer is honoured as daprd does, after the settle and
// without holding it up: `state` saved into `storeName` through the StateApi (keys prefixed with
// the app id, as the state API does), `data` sent to each output binding in `to` with operation
// `create`, one after the other or all at once (`concurrency: parallel`).
//
// A read stream that breaks (bindings-svc restarted or unreachable) is opened again with backoff
// until close(). close() stops taking events, lets the deliveries in flight finish (up to the
// grace period), then ends the readers: anything still unsettled goes back to its component.
//
// App health (--enable-app-health-check; daprd stops reading its input bindings while the app is
// unhealthy): pause() stops handing events to the app, lets the deliveries in flight finish their
// current attempt (no further policy retries, up to drainMs), then ends the readers, so every
// event not delivered is failed back to its component (never acked). An event whose delivery
// failed while paused waits: it is delivered again on resume() if its reader is still open, or
// failed back when the reader ends. resume() reads the same bindings again. Before start(),
// pause() makes start() wait for resume() (the OPTIONS probes need a healthy app).
import { APIVersion, AppCallbackService, BindingEventResponse_BindingEventConcurrency, HTTPExtension_Verb, goJsonMarshal, isApiError, isAppCallbackStatusError } from '@tessera/contracts';
import { PauseLatch, idleOrTimeout } from '@tessera/runtime-core';
import type {
  AppChannel,
  BindingDelivery,
  BindingsApi,
  CallContext,
  InputBindingInfo,
  InternalInvokeRequest,
  InternalInvokeResponse,
  ListStringValue,
  StateApi,
  StateItem,
} from '@tessera/contracts';

export interface BindingsDeliveryLogger {
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A resiliency policy (runtime-core's Policy satisfies it). */
export interface BindingsDeliveryPolicy {
  run<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    opts?: { readonly signal?: AbortSignal; readonly isFailure?: (result: T) => boolean | { readonly status: number } | { readonly grpcCode: number } | undefined },
  ): Promise<T>;
}

export interface AppBindingsDeliveryOptions {
  readonly api: BindingsApi;
  /** Saves the `state` an app's answer asks for; absent = such answers are logged and skipped. */
  readonly state?: Pick<StateApi, 'saveState'>;
  /** Undefined when the gateway has no app channel (no --app-port): nothing is read. */
  readonly channel: AppChannel | undefined;
  readonly appId: string;
  readonly namespace: string;
  readonly logger?: BindingsDeliveryLogger;
  /** The binding's inbound policy (component -> app); absent = one attempt per event. */
  readonly inboundPolicy?: (name: string) => BindingsDeliveryPolicy;
  /** Retries of a probe the app could not answer (daprd: DaprBuiltInInitializationRetries). */
  readonly probePolicy?: BindingsDeliveryPolicy;
  /** Backoff between read attempts after a failure. Default 200 ms doubling to 5 s. */
  readonly retryBackoffMs?: { readonly initial?: number; readonly max?: number };
  /** How long close() lets deliveries in flight finish. Default 5 s. */
  readonly drainMs?: number;
}

/** What the app asked for in its answer to one event. */
export interface BindingAppAnswer {
  readonly storeName: string;
  readonly states: StateItem[];
  readonly to: string[];
  readonly data: Buffer;
  readonly parallel: boolean;
}

const JSON_CONTENT_TYPE = 'application/json';
const NO_DATA = Buffer.alloc(0);
const GRPC_UNIMPLEMENTED = 12;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isGrpc(protocol: string): boolean {
  return protocol === 'grpc' || protocol === 'grpcs';
}

/** Read failures worth another attempt: transport trouble, not "no such binding". */
function retryable(e: unknown): boolean {
  return !isApiError(e) || e.retryable;
}

/** The JSON answer of an HTTP app (`{storeName, state, to, data, concurrency}`); undefined when there is none. */
export function parseHttpAnswer(body: Buffer): BindingAppAnswer | undefined {
  if (body.length === 0) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const r = o as Record<string, unknown>;
  const states: StateItem[] = [];
  if (Array.isArray(r['state'])) {
    for (const s of r['state'] as unknown[]) {
      if (typeof s !== 'object' || s === null || Array.isArray(s)) continue;
      const item = s as Record<string, unknown>;
      if (typeof item['key'] !== 'string' || item['key'] === '') continue;
      const meta: Record<string, string> = {};
      if (typeof item['metadata'] === 'object' && item['metadata'] !== null) {
        for (const [k, v] of Object.entries(item['metadata'] as Record<string, unknown>)) if (typeof v === 'string') meta[k] = v;
      }
      states.push({
        key: item['key'],
        value: Buffer.from(goJsonMarshal(item['value']), 'utf8'),
        etag: typeof item['etag'] === 'string' && item['etag'] !== '' ? { value: item['etag'] } : undefined,
        metadata: meta,
        options: undefined,
      });
    }
  }
  const to = Array.isArray(r['to']) ? (r['to'] as unknown[]).filter((t): t is string => typeof t === 'string' && t !== '') : [];
  return {
    storeName: typeof r['storeName'] === 'string' ? r['storeName'] : '',
    states,
    to,
    data: to.length > 0 ? Buffer.from(goJsonMarshal(r['data']), 'utf8') : NO_DATA,
    parallel: typeof r['concurrency'] === 'string' && r['concurrency'].toLowerCase() === 'parallel',
  };
}

interface Reading {
  readonly binding: InputBindingInfo;
  done: Promise<void>;
  /** Aborting it ends the open read stream (pause, close). */
  session: AbortController | undefined;
  /** The open stream's reader id once it reads; '' otherwise. */
  readerId: string;
  /** Deliveries running now, and who waits for them to end. */
  busy: number;
  idleWaiters: Array<() => void>;
  /** Events of the open reader not handed to the app because the app is unhealthy. */
  held: Array<{ readonly readerId: string; readonly event: BindingDelivery }>;
  /** pump() returned. */
  ended: boolean;
}

/** A policy retry refused because the app turned unhealthy: ends the policy's retries. */
class PausedError extends Error {
  readonly retryable = false;
  constructor() {
    super('the app is not in a healthy state');
  }
}

export class AppBindingsDelivery {
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  /** Ends discovery, the read streams and the backoff sleeps. */
  private readonly stopReading = new AbortController();
  /** Ends app calls still running when the grace period is over. */
  private readonly stopCalls = new AbortController();
  private readonly readings: Reading[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private started: Promise<void> | undefined;
  private closing = false;
  /** Paused while the app is unhealthy; a paused start() and paused loops wait on it (close() releases them). */
  private readonly gate = new PauseLatch();

  constructor(private readonly opts: AppBindingsDeliveryOptions) {
    this.backoffInitial = opts.retryBackoffMs?.initial ?? 200;
    this.backoffMax = opts.retryBackoffMs?.max ?? 5000;
  }

  /** The bindings being read for the app now. */
  get subscribed(): string[] {
    return this.readings.map((r) => r.binding.name);
  }

  /** Deliveries (and answer side effects) running now. */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Finds the input bindings the app takes and starts reading them. Call once the app channel is
   * ready. Resolves when reading has started (retrying the listing while the BindingsApi cannot
   * be reached); never rejects. Idempotent.
   */
  start(): Promise<void> {
    this.started ??= this.discover();
    return this.started;
  }

  /** Stops taking events, lets deliveries in flight finish (up to drainMs), ends the readers. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const drain = [...this.inFlight];
    if (drain.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(drain),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.opts.drainMs ?? 5000);
        }),
      ]);
      if (timer !== undefined) clearTimeout(timer);
    }
    this.stopReading.abort();
    this.stopCalls.abort();
    for (const r of this.readings) r.session?.abort();
    this.gate.release();
    await Promise.allSettled(this.readings.map((r) => r.done));
    await this.started?.catch(() => undefined);
  }

  /**
   * The app turned unhealthy: stop delivering, end the readers once the deliveries in flight have
   * ended (up to drainMs). Returns how many bindings it pauses. Idempotent.
   */
  pause(): number {
    if (this.gate.paused || this.closing) return 0;
    this.gate.pause();
    let n = 0;
    for (const r of this.readings) {
      if (r.ended) continue;
      n++;
      void this.closeWhenIdle(r);
    }
    return n;
  }

  /**
   * The app is healthy again: read the same bindings again and deliver what waited on readers
   * still open. Returns how many bindings it resumes. Idempotent.
   */
  resume(): number {
    if (!this.gate.paused || this.closing) return 0;
    this.gate.resume();
    let n = 0;
    for (const r of this.readings) {
      if (r.ended) continue;
      n++;
      const held = r.held.splice(0);
      const open = r.session !== undefined && !r.session.signal.aborted;
      for (const h of held) if (open && h.readerId === r.readerId) this.dispatch(r, h.readerId, h.event);
    }
    return n;
  }

  /** Ends r's read stream once its deliveries in flight are done (or drainMs passed), unless resumed meanwhile. */
  private async closeWhenIdle(r: Reading): Promise<void> {
    const session = r.session;
    if (session === undefined) return;
    await idleOrTimeout(r, this.opts.drainMs ?? 5000);
    if (this.gate.paused && r.session === session) session.abort();
  }

  private dispatch(r: Reading, readerId: string, ev: BindingDelivery): void {
    r.busy++;
    this.track(
      this.deliver(r, readerId, ev).finally(() => {
        if (--r.busy > 0 || r.idleWaiters.length === 0) return;
        for (const w of r.idleWaiters.splice(0)) w();
      }),
    );
  }

  private ctx(signal?: AbortSignal): CallContext {
    return signal ? { appId: this.opts.appId, namespace: this.opts.namespace, signal } : { appId: this.opts.appId, namespace: this.opts.namespace };
  }

  private async discover(): Promise<void> {
    const channel = this.opts.channel;
    if (channel === undefined) return;
    if (this.gate.paused) await this.gate.untilResumed();
    const log = this.opts.logger;
    let list: InputBindingInfo[] | undefined;
    for (let failures = 0; list === undefined; failures++) {
      if (this.closing) return;
      try {
        list = await this.opts.api.listInputBindings(this.ctx(this.stopReading.signal));
      } catch (e) {
        if (this.closing) return;
        if (!retryable(e)) {
          log?.error(`input bindings: could not list the input bindings; none are read: ${messageOf(e)}`);
          return;
        }
        if (failures === 0) log?.warn(`input bindings: could not list the input bindings, trying again: ${messageOf(e)}`);
        await this.sleep(this.backoff(failures));
      }
    }
    if (list.length === 0 || this.closing) return;
    const wanted = isGrpc(channel.protocol) ? await this.grpcBindings(channel, list) : await this.httpBindings(channel, list);
    for (const b of wanted) {
      if (this.closing) return;
      const r: Reading = { binding: b, done: Promise.resolve(), session: undefined, readerId: '', busy: 0, idleWaiters: [], held: [], ended: false };
      r.done = this.pump(r);
      this.readings.push(r);
      log?.info(`input binding ${b.name}: delivering to the app at ${isGrpc(channel.protocol) ? 'OnBindingEvent' : `/${b.route.replace(/^\//, '')}`}`);
    }
  }

  /** `OPTIONS /{route}` per binding: 2xx or 405 = the app takes it. */
  private async httpBindings(channel: AppChannel, list: readonly InputBindingInfo[]): Promise<InputBindingInfo[]> {
    const out: InputBindingInfo[] = [];
    for (const b of list) {
      const req: InternalInvokeRequest = {
        ver: APIVersion.V1,
        metadata: {},
        message: { method: b.route, data: undefined, contentType: '', httpExtension: { verb: HTTPExtension_Verb.OPTIONS, querystring: '' } },
        actor: undefined,
      };
      const probe = (signal: AbortSignal): Promise<InternalInvokeResponse> => channel.invokeMethod(req, this.ctx(signal));
      try {
        const res = this.opts.probePolicy ? await this.opts.probePolicy.run(probe, { signal: this.stopReading.signal }) : await probe(this.stopReading.signal);
        const code = res.status?.code ?? 0;
        if ((code >= 200 && code < 300) || code === 405) out.push(b);
        else this.opts.logger?.debug?.(`input binding ${b.name}: the app answered OPTIONS /${b.route} with ${code}; not delivering`);
      } catch (e) {
        if (this.closing) return out;
        this.opts.logger?.warn(`input binding ${b.name}: the app could not be asked (OPTIONS /${b.route}); not delivering: ${messageOf(e)}`);
      }
    }
    return out;
  }

  /** `ListInputBindings`: the names the app takes (UNIMPLEMENTED = none). */
  private async grpcBindings(channel: AppChannel, list: readonly InputBindingInfo[]): Promise<InputBindingInfo[]> {
    const callback = channel.callback?.bind(channel);
    if (callback === undefined) return [];
    const ask = (signal: AbortSignal) => callback(AppCallbackService.listInputBindings, {}, this.ctx(signal));
    let names: readonly string[];
    try {
      const res = this.opts.probePolicy ? await this.opts.probePolicy.run(ask, { signal: this.stopReading.signal }) : await ask(this.stopReading.signal);
      names = res.bindings;
    } catch (e) {
      if (isAppCallbackStatusError(e) && e.code === GRPC_UNIMPLEMENTED) return [];
      if (!this.closing) this.opts.logger?.warn(`input bindings: the app could not be asked (ListInputBindings); none are delivered: ${messageOf(e)}`);
      return [];
    }
    const wanted = new Set(names);
    for (const n of wanted) {
      if (!list.some((b) => b.name === n)) this.opts.logger?.warn(`input binding ${n}: the app asked for it, but no such input binding is visible to app ${this.opts.appId}`);
    }
    return list.filter((b) => wanted.has(b.name));
  }

  /** Reads one binding until close(), opening the stream again with backoff when it breaks; ended while paused. */
  private async pump(r: Reading): Promise<void> {
    try {
      await this.readLoop(r);
    } finally {
      r.ended = true;
    }
  }

  private async readLoop(r: Reading): Promise<void> {
    const name = r.binding.name;
    const log = this.opts.logger;
    let failures = 0;
    let interrupted = false;
    let pausedBefore = false;
    while (!this.closing) {
      if (this.gate.paused) {
        await this.gate.untilResumed();
        continue;
      }
      const session = new AbortController();
      r.session = session;
      const it = this.opts.api.read({ name }, this.ctx(session.signal))[Symbol.asyncIterator]();
      try {
        const first = await it.next();
        if (first.done === true || first.value.readerId === '') throw new Error('the read stream ended before it started');
        const readerId = first.value.readerId;
        r.readerId = readerId;
        if (interrupted) log?.info(`input binding ${name}: reading again`);
        else if (pausedBefore) log?.debug?.(`input binding ${name}: reading again after the app turned healthy`);
        failures = 0;
        interrupted = false;
        pausedBefore = false;
        for (;;) {
          const next = await it.next();
          if (next.done === true || this.closing) break;
          if (this.gate.paused) r.held.push({ readerId, event: next.value });
          else this.dispatch(r, readerId, next.value);
        }
        if (this.closing) return;
        if (session.signal.aborted) {
          pausedBefore = true;
          continue;
        }
        interrupted = true;
        log?.warn(`input binding ${name}: the read stream ended; reading again`);
      } catch (e) {
        if (this.closing) return;
        if (session.signal.aborted) {
          pausedBefore = true;
          continue;
        }
        if (!retryable(e)) {
          log?.error(`input binding ${name}: reading failed; events stop: ${messageOf(e)}`);
          return;
        }
        if (!interrupted) log?.warn(`input binding ${name}: reading was interrupted, trying again: ${messageOf(e)}`);
        interrupted = true;
      } finally {
        // what waited on this reader was failed back to the component with it
        r.held.length = 0;
        r.readerId = '';
        if (r.session === session) r.session = undefined;
      }
      await this.sleep(this.backoff(failures++));
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /**
   * One event: the app call, the settle, then (not awaited by the settle) the app's answer. A
   * failure while the app is unhealthy is not settled: the event waits (see pause()).
   */
  private async deliver(r: Reading, readerId: string, ev: BindingDelivery): Promise<void> {
    const b = r.binding;
    const channel = this.opts.channel as AppChannel;
    let answer: BindingAppAnswer | undefined;
    let ok = false;
    let error = '';
    try {
      answer = isGrpc(channel.protocol) ? await this.callGrpc(channel, b, ev) : await this.callHttp(channel, b, ev);
      ok = true;
    } catch (e) {
      error = messageOf(e);
      if (this.gate.paused && !this.closing) {
        this.opts.logger?.debug?.(`input binding ${b.name}: event not delivered, the app is unhealthy: ${error}`);
        if (readerId === r.readerId) r.held.push({ readerId, event: ev });
        return;
      }
      if (!this.stopCalls.signal.aborted) this.opts.logger?.warn(`input binding ${b.name}: error sending the event to the app: ${error}`);
    }
    try {
      await this.opts.api.settle({ readerId, deliveryId: ev.deliveryId, ok, error }, this.ctx());
    } catch (e) {
      this.opts.logger?.warn(`input binding ${b.name}: could not settle an event (the component will see it again): ${messageOf(e)}`);
    }
    if (answer !== undefined) this.track(this.honour(b, answer));
  }

  private async callHttp(channel: AppChannel, b: InputBindingInfo, ev: BindingDelivery): Promise<BindingAppAnswer | undefined> {
    const metadata: Record<string, ListStringValue> = {};
    for (const [k, v] of Object.entries(ev.metadata)) metadata[k.toLowerCase()] = { values: [v] };
    const req: InternalInvokeRequest = {
      ver: APIVersion.V1,
      metadata,
      message: {
        method: b.route,
        data: { typeUrl: '', value: ev.data },
        contentType: JSON_CONTENT_TYPE,
        httpExtension: { verb: HTTPExtension_Verb.POST, querystring: '' },
      },
      actor: undefined,
    };
    const post = (signal: AbortSignal): Promise<InternalInvokeResponse> => (this.gate.paused ? Promise.reject(new PausedError()) : channel.invokeMethod(req, this.ctx(signal)));
    const failed = (res: InternalInvokeResponse): { status: number } | undefined => {
      const code = res.status?.code ?? 0;
      return code === 200 ? undefined : { status: code };
    };
    const policy = this.opts.inboundPolicy?.(b.name);
    const res = policy ? await policy.run(post, { signal: this.stopCalls.signal, isFailure: failed }) : await post(this.stopCalls.signal);
    const body = Buffer.from(res.message?.data?.value ?? NO_DATA);
    const code = res.status?.code ?? 0;
    if (code !== 200) {
      throw new Error(`fails to send binding event to http app channel, status code: ${code} body: ${body.subarray(0, 256).toString('utf8')}`);
    }
    return parseHttpAnswer(body);
  }

  private async callGrpc(channel: AppChannel, b: InputBindingInfo, ev: BindingDelivery): Promise<BindingAppAnswer | undefined> {
    const callback = channel.callback?.bind(channel);
    if (callback === undefined) throw new Error('the app channel cannot call OnBindingEvent');
    const call = (signal: AbortSignal) =>
      this.gate.paused
        ? Promise.reject(new PausedError())
        : callback(AppCallbackService.onBindingEvent, { name: b.name, data: Buffer.from(ev.data), metadata: { ...ev.metadata } }, this.ctx(signal));
    const policy = this.opts.inboundPolicy?.(b.name);
    const res = policy ? await policy.run(call, { signal: this.stopCalls.signal }) : await call(this.stopCalls.signal);
    if (res.storeName === '' && res.states.length === 0 && res.to.length === 0) return undefined;
    return {
      storeName: res.storeName,
      states: res.states,
      to: res.to,
      data: Buffer.from(res.data ?? NO_DATA),
      parallel: res.concurrency === BindingEventResponse_BindingEventConcurrency.PARALLEL,
    };
  }

  /** The app's answer: states saved, output bindings invoked. Failures are logged, never settled. */
  private async honour(b: InputBindingInfo, a: BindingAppAnswer): Promise<void> {
    const log = this.opts.logger;
    const work: Promise<void>[] = [];
    if (a.states.length > 0) {
      const state = this.opts.state;
      if (a.storeName === '') log?.warn(`input binding ${b.name}: the app's answer has state but no storeName; not saved`);
      else if (state === undefined) log?.warn(`input binding ${b.name}: the app's answer asks to save state, but this runtime has no state API`);
      else {
        work.push(
          state.saveState({ storeName: a.storeName, states: a.states }, this.ctx()).catch((e: unknown) => {
            log?.error(`input binding ${b.name}: error saving the app's state to ${a.storeName}: ${messageOf(e)}`);
          }),
        );
      }
    }
    if (a.to.length > 0) work.push(this.sendTo(b, a));
    await Promise.all(work);
  }

  private async sendTo(b: InputBindingInfo, a: BindingAppAnswer): Promise<void> {
    const one = (name: string): Promise<void> =>
      this.opts.api.invoke({ name, data: a.data, metadata: {}, operation: 'create' }, this.ctx()).then(
        () => undefined,
        (e: unknown) => this.opts.logger?.error(`input binding ${b.name}: error invoking output binding ${name} from the app's answer: ${messageOf(e)}`),
      );
    if (a.parallel) {
      await Promise.all(a.to.map(one));
      return;
    }
    for (const name of a.to) await one(name);
  }

  private backoff(failures: number): number {
    const wait = Math.min(this.backoffMax, this.backoffInitial * 2 ** Math.min(failures, 20));
    return wait * (0.8 + 0.4 * Math.random());
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopReading.signal;
    if (signal.aborted) return Promise.resolve();
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
