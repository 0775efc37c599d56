// What a service served over the framed transport declares: its name, how error messages name
// the two sides, and its method table (unary methods, upgradable unary methods, server-streaming
// and duplex ones). The table maps each wire method id (the service's
// XxxMethod enum in tessera/internal/v1/<service>.proto) to the codecs of its messages, how the
// server calls the API and how the caller's errors for that operation are worded. Built once at
// load and frozen; the hot path only indexes into it.
import type { CallContext } from '@tessera/contracts';
import type { Codec } from './wire';

/**
 * One RPC. `Api` is the typed API the server serves (StateApi, LocalInvokeApi, ...); `Req` and
 * `Res` its messages. `invoke` must not keep `req` or `ctx` past the returned promise.
 */
export interface MethodDef<Api, Req, Res> {
  /** Wire id (RequestHeader.method): a positive integer, never reused for another RPC. */
  readonly id: number;
  /** RPC name in the service, for messages and logs ("GetState"). */
  readonly name: string;
  /** Dapr error code of the operation, used for the transport's own failures of this RPC. */
  readonly errorCode: string;
  readonly request: Codec<Req>;
  /** null: the RPC returns google.protobuf.Empty, the API method returns void. */
  readonly response: Codec<Res> | null;
  /** Message prefix of the operation's errors, worded as the block words them. */
  describe(req: Req): string;
  /** Server side: call the API. */
  invoke(api: Api, req: Req, ctx: CallContext): Promise<Res | void>;
  /**
   * The lazy-abort protocol (CallContext in @tessera/contracts) on both sides. Client: a caller context
   * that speaks it and has no signal made is watched through it, and the call is cancellable
   * (other methods pass on only a signal that exists). Server, for calls the client may cancel
   * or that have a deadline: invoke() gets a ServerCallContext (its signal made on first use,
   * with the protocol) instead of a plain context with a signal made up front. Set it only for
   * APIs that pass ctx on as it is: a `{ ...ctx }` copy drops a signal that lives on the prototype.
   */
  readonly lazyAbort?: boolean;
  /**
   * An upgradable method (transport.proto RESPONSE_STREAM): the server may answer with a head
   * response followed by a stream of items, when `split` finds one in what the API returned.
   */
  readonly upgrade?: UnaryUpgrade<Res>;
}

/**
 * How an upgradable unary method carries a streamed answer. The API returns one response; on the
 * server `split` finds the stream of items that follows it (undefined: a plain answer). On the
 * client `attach` hands the caller the decoded head with the stream of the remaining items (a
 * ClientStream: iterate it to the end, or return() it to cancel the call).
 */
export interface UnaryUpgrade<Res> {
  readonly item: Codec<unknown>;
  split(res: Res): AsyncIterable<unknown> | undefined;
  attach(head: Res, rest: AsyncIterable<unknown>): Res;
}

/** A method of any message types, as the generic server and client handle it. */
export type AnyMethodDef<Api> = MethodDef<Api, unknown, unknown>;

/**
 * One server-streaming RPC: one request, then any number of response messages (STREAM_ITEM
 * frames) until the stream completes (STREAM_END) or fails (ERROR). `open` is called once per
 * call; the server pulls the iterator one item at a time (honouring the caller's flow-control
 * window) and calls its return() when the caller cancels, the deadline passes, the connection
 * drops or the server shuts down; ctx.signal is aborted in each of those cases too. A throw from
 * open() or from the iterator ends the stream with that error.
 */
export interface StreamMethodDef<Api, Req, Res> {
  readonly id: number;
  readonly name: string;
  readonly errorCode: string;
  readonly request: Codec<Req>;
  readonly response: Codec<Res>;
  readonly streaming: true;
  describe(req: Req): string;
  /** Server side: open the stream of responses. */
  open(api: Api, req: Req, ctx: CallContext): AsyncIterable<Res>;
}

/** A streaming method of any message types. */
export type AnyStreamMethodDef<Api> = StreamMethodDef<Api, unknown, unknown>;

/**
 * One client-streaming or bidirectional RPC (transport.proto duplex frames): an opening request,
 * then the caller's input items (STREAM_ITEM client -> server, STREAM_END = half-close) and the
 * server's response items, both flow-controlled. `open` is called once per call with the input as
 * an AsyncIterable (it ends at the caller's half-close and throws the abort reason when the call
 * is aborted); the output is handled as for a server-streaming method. A client-streaming RPC is
 * one whose output yields a single item.
 */
export interface DuplexMethodDef<Api, Req, In, Res> {
  readonly id: number;
  readonly name: string;
  readonly errorCode: string;
  readonly request: Codec<Req>;
  /** The input items' codec. */
  readonly input: Codec<In>;
  readonly response: Codec<Res>;
  readonly streaming: true;
  readonly duplex: true;
  describe(req: Req): string;
  /** Server side: open the call; the input may be read concurrently with producing output. */
  open(api: Api, req: Req, input: AsyncIterable<In>, ctx: CallContext): AsyncIterable<Res>;
}

/** A duplex method of any message types. */
export type AnyDuplexMethodDef<Api> = DuplexMethodDef<Api, unknown, unknown, unknown>;

/** What failure wording needs of any method, unary or streaming. */
export interface MethodInfo {
  readonly id: number;
  readonly name: string;
  readonly errorCode: string;
  describe(req: unknown): string;
}

/** An entry of a method table. */
export type AnyServiceMethod<Api> = AnyMethodDef<Api> | AnyStreamMethodDef<Api> | AnyDuplexMethodDef<Api>;

/** Narrows a table entry to a server-streaming method (not duplex). */
export function isStreamMethod<Api>(d: AnyServiceMethod<Api>): d is AnyStreamMethodDef<Api> {
  return (d as { streaming?: unknown }).streaming === true && (d as { duplex?: unknown }).duplex !== true;
}

/** Narrows a table entry to a duplex (client-streaming or bidirectional) method. */
export function isDuplexMethod<Api>(d: AnyServiceMethod<Api>): d is AnyDuplexMethodDef<Api> {
  return (d as { duplex?: unknown }).duplex === true;
}

export interface ServiceDef<Api> {
  /** Fully qualified service name, sent in Hello ("tessera.internal.v1.StateService"). */
  readonly name: string;
  /** How messages name the serving side: "state-svc at h:p is unreachable", "state-svc failed to serve X". */
  readonly serverLabel: string;
  /** How messages name the calling side ("... is it older than the gateway?"). */
  readonly clientLabel: string;
  /** Method defs indexed by wire id; holes are undefined. */
  readonly methods: ReadonlyArray<AnyServiceMethod<Api> | undefined>;
}

export interface ServiceInit<Api> {
  readonly name: string;
  readonly serverLabel: string;
  readonly clientLabel: string;
  /** The RPCs, e.g. an object of `defineMethod(...)` results keyed by API method name. */
  readonly methods: Readonly<Record<string, AnyServiceMethod<Api>>> | ReadonlyArray<AnyServiceMethod<Api>>;
}

/** Freezes one method definition (typed, so `describe`/`invoke` see the real message types). */
export function defineMethod<Api, Req, Res>(d: MethodDef<Api, Req, Res>): MethodDef<Api, Req, Res> {
  return Object.freeze(d);
}

/** Freezes one streaming method definition. */
export function defineStreamMethod<Api, Req, Res>(d: Omit<StreamMethodDef<Api, Req, Res>, 'streaming'>): StreamMethodDef<Api, Req, Res> {
  return Object.freeze({ ...d, streaming: true as const });
}

/** Freezes one duplex method definition. */
export function defineDuplexMethod<Api, Req, In, Res>(
  d: Omit<DuplexMethodDef<Api, Req, In, Res>, 'streaming' | 'duplex'>,
): DuplexMethodDef<Api, Req, In, Res> {
  return Object.freeze({ ...d, streaming: true as const, duplex: true as const });
}

/** Builds the method table; throws on an id that is not a positive integer or is used twice. */
export function defineService<Api>(init: ServiceInit<Api>): ServiceDef<Api> {
  const byId: Array<AnyServiceMethod<Api> | undefined> = [];
  const defs: ReadonlyArray<AnyServiceMethod<Api>> = Array.isArray(init.methods)
    ? (init.methods as ReadonlyArray<AnyServiceMethod<Api>>)
    : Object.values(init.methods as Readonly<Record<string, AnyServiceMethod<Api>>>);
  for (const d of defs) {
    if (!Number.isInteger(d.id) || d.id <= 0 || d.id > 0xffff) {
      throw new Error(`${init.name}: method ${d.name} has an invalid wire id ${d.id}`);
    }
    const taken = byId[d.id];
    if (taken !== undefined) throw new Error(`${init.name}: methods ${taken.name} and ${d.name} share wire id ${d.id}`);
    byId[d.id] = d;
  }
  return Object.freeze({
    name: init.name,
    serverLabel: init.serverLabel,
    clientLabel: init.clientLabel,
    methods: Object.freeze(byId),
  });
}
