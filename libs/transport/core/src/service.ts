// What a service served over the framed transport declares: its name, how error messages name
// the two sides, and its method table. The table maps each wire method id (the service's
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
}

/** A method of any message types, as the generic server and client handle it. */
export type AnyMethodDef<Api> = MethodDef<Api, unknown, unknown>;

export interface ServiceDef<Api> {
  /** Fully qualified service name, sent in Hello ("tessera.internal.v1.StateService"). */
  readonly name: string;
  /** How messages name the serving side: "state-svc at h:p is unreachable", "state-svc failed to serve X". */
  readonly serverLabel: string;
  /** How messages name the calling side ("... is it older than the gateway?"). */
  readonly clientLabel: string;
  /** Method defs indexed by wire id; holes are undefined. */
  readonly methods: ReadonlyArray<AnyMethodDef<Api> | undefined>;
}

export interface ServiceInit<Api> {
  readonly name: string;
  readonly serverLabel: string;
  readonly clientLabel: string;
  /** The RPCs, e.g. an object of `defineMethod(...)` results keyed by API method name. */
  readonly methods: Readonly<Record<string, AnyMethodDef<Api>>> | ReadonlyArray<AnyMethodDef<Api>>;
}

/** Freezes one method definition (typed, so `describe`/`invoke` see the real message types). */
export function defineMethod<Api, Req, Res>(d: MethodDef<Api, Req, Res>): MethodDef<Api, Req, Res> {
  return Object.freeze(d);
}

/** Builds the method table; throws on an id that is not a positive integer or is used twice. */
export function defineService<Api>(init: ServiceInit<Api>): ServiceDef<Api> {
  const byId: Array<AnyMethodDef<Api> | undefined> = [];
  const defs: ReadonlyArray<AnyMethodDef<Api>> = Array.isArray(init.methods)
    ? (init.methods as ReadonlyArray<AnyMethodDef<Api>>)
    : Object.values(init.methods as Readonly<Record<string, AnyMethodDef<Api>>>);
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
