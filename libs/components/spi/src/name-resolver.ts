// The name resolution contract (spec/components.md 5.23; components-contrib
// nameresolution/nameresolution.go restated). A resolver maps an app id to the address of that
// app's gateway *internal* server (host:port, the callee's --dapr-internal-grpc-port), never to
// the app itself. It is configured by the Configuration resource's `spec.nameResolution`, not by a
// Component: ComponentMetadata.properties holds `spec.nameResolution.configuration` stringified,
// ComponentMetadata.type is `nameresolution.<component>`.
//
// Implementers owe:
// - concurrency: every method may be called concurrently with resolve(); the runtime calls
//   init -> register -> … -> unregister -> close in that order and never overlaps init, register,
//   unregister and close with each other. A resolver that is only used to look others up may
//   never be registered.
// - speed: resolve() sits on every service invocation. Answer from memory where possible: cache
//   positive answers briefly (about 1 s) and keep load-balancing inside the cached set; never cache
//   a miss, so an app that has just started is found on the next call. No blocking network round
//   trip per call where the backend allows it.
// - load balancing: with several live instances, successive resolve() calls spread over them
//   (random or round-robin).
// - resolve() returns undefined when no live instance is known; it throws NameResolverError only
//   when the backend itself fails (the caller reports ERR_DIRECT_INVOKE either way).
// - ownership: whoever created the resolver closes it. close() unregisters this instance if it
//   is still registered, stops every timer (timers never keep the process alive), releases every
//   connection, and is idempotent; no other method is called after it.
import type { ComponentMetadata } from './component';

export interface NameResolverRegistration {
  /** This runtime's app id. */
  readonly appId: string;
  /** This runtime's namespace ("default" in self-hosted mode). */
  readonly namespace: string;
  /** host:port where this runtime's internal server is reachable by other runtimes. */
  readonly address: string;
}

export interface NameResolver {
  /** Parses and checks metadata (throws ComponentConfigError), opens the backend. */
  init(): Promise<void>;
  /**
   * Announces this runtime so others can resolve it, and keeps the announcement alive until
   * unregister() or close(). Calling it again replaces the previous registration.
   */
  register(reg: NameResolverRegistration): Promise<void>;
  /** Withdraws this runtime's announcement; a no-op when not registered. */
  unregister(): Promise<void>;
  /** host:port of a live instance of `appId` in `namespace`, load-balanced; undefined if none. */
  resolve(appId: string, namespace: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export type NameResolverFactory = (meta: ComponentMetadata) => NameResolver;

/** A backend failure while registering or resolving. Test `isNameResolverError(e)`, not instanceof. */
export class NameResolverError extends Error {
  readonly kind = 'tessera.name-resolver' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NameResolverError';
  }
}

export function isNameResolverError(e: unknown): e is NameResolverError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.name-resolver';
}
