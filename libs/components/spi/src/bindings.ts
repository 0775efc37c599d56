// The bindings contract (components-contrib bindings/{input,output}_binding.go restated). One
// component object may be an output binding (invoke), an input binding (read) or both; the
// runtime uses what the object has and what the Component's `direction` metadata allows.
//
// Implementers owe:
// - init(): connect / validate; throw ComponentConfigError for bad metadata. An input binding
//   does not start reading in init(), only in read().
// - operations(): the output operations the component supports (e.g. `create`, `get`); invoke()
//   with any other operation rejects with BindingError('bad-request').
// - invoke(): performs `operation`; resolves with the result (undefined = no data, the HTTP API
//   answers 204) or rejects with BindingError. `data` is the JSON-marshalled `data` of the
//   request as bytes (a JSON string arrives with its quotes).
// - read(): starts reading and calls `handler` for every event. Resolves once reading started
//   (consumer/queue set up, schedule armed). A handler that resolves has the event processed
//   (ack); one that rejects leaves it to the component's failure semantics (nack/requeue for
//   brokers; cron simply fires again at the next tick).
//   The returned handle's close() stops reading and waits for handlers in flight.
// - close(): stops reading and releases connections; nothing is called after it.
import type { ComponentMetadata } from './component';
import type { ComponentHost } from './pubsub';

export interface BindingInvokeRequest {
  readonly operation: string;
  readonly data: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface BindingInvokeResponse {
  readonly data?: Uint8Array;
  /** Sent back as `metadata.<k>` headers on the HTTP API, `metadata` on gRPC. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly contentType?: string;
}

export interface BindingReadEvent {
  readonly data: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
  readonly contentType?: string;
}

/** Resolve = processed (the app accepted); reject = failed. */
export type BindingReadHandler = (event: BindingReadEvent) => Promise<void>;

export interface BindingReader {
  close(): Promise<void>;
}

export interface Binding {
  init(): Promise<void>;
  /** Output side: present on output-capable components. */
  operations?(): readonly string[];
  invoke?(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined>;
  /** Input side: present on input-capable components. */
  read?(handler: BindingReadHandler): Promise<BindingReader>;
  close(): Promise<void>;
}

export type BindingFactory = (meta: ComponentMetadata, host?: ComponentHost) => Binding;

export type BindingErrorKind = 'bad-request' | 'backend' | 'closed';

/** The errors a binding throws; the block maps them to ERR_INVOKE_OUTPUT_BINDING. */
export class BindingError extends Error {
  readonly kind = 'tessera.binding-error' as const;
  constructor(
    readonly errorKind: BindingErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BindingError';
  }
}

export function isBindingError(e: unknown): e is BindingError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.binding-error';
}
