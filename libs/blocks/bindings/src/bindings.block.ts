// The bindings building block: BindingsApi on top of the loaded bindings (spec/http-api.md 4,
// grpc-api.md InvokeBinding). Written once; served in-process by the gateway (all-in-one) and by
// bindings-svc (split). No Nest, no transport, no concrete component.
//
// Output: find the binding (scopes applied, `direction` allowing output), check the operation
// against the component's list, add the trace context to the metadata, call the component under
// its outbound resiliency policy. Unknown binding, missing or unsupported operation and component
// failures all answer ERR_INVOKE_OUTPUT_BINDING (500), as daprd does. `data` arrives already
// encoded: the HTTP edge JSON-marshals the request's `data`, gRPC passes its bytes as they are.
//
// Input: read() starts the component reading for ctx.appId and streams its events (ReadStream);
// settle() answers each one once the gateway's app answered. close() ends every reader.
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError, BindingsErrors, GrpcCode, isApiError } from '@tessera/contracts';
import type {
  BindingDelivery,
  BindingsApi,
  CallContext,
  InputBindingInfo,
  InvokeBindingRequest,
  InvokeBindingResponse,
  ReadBindingRequest,
  RegisteredComponent,
  SettleBindingEventRequest,
} from '@tessera/contracts';
import { isBindingError } from '@tessera/spi';
import type { BindingInvokeResponse, BindingReader } from '@tessera/spi';
import type { BindingComponents, BindingEntry } from './binding-components';
import { ReadStream } from './read-stream';
import type { ReadStreamHost } from './read-stream';

/** What the block needs of a resiliency policy (runtime-core's Policy satisfies it). */
export interface BindingCallPolicy {
  run<T>(fn: (signal: AbortSignal) => Promise<T>, opts?: { readonly signal?: AbortSignal }): Promise<T>;
}

export interface BindingsBlockLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info?(msg: string, fields?: Record<string, unknown>): void;
  warn?(msg: string, fields?: Record<string, unknown>): void;
}

export interface BindingsBlockOptions {
  /** The outbound policy of a binding (API -> component); absent = call the component directly. */
  readonly policyFor?: (entry: BindingEntry) => BindingCallPolicy;
  readonly logger?: BindingsBlockLogger;
}

const NEVER_ABORTED: AbortSignal = new AbortController().signal;
const DIRECT: BindingCallPolicy = { run: (fn, opts) => fn(opts?.signal ?? NEVER_ABORTED) };
const NO_DATA = Buffer.alloc(0);

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A fresh W3C traceparent (not sampled), for calls that arrived without one. */
function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
}

function asBuffer(b: Uint8Array | undefined): Buffer {
  if (b === undefined) return NO_DATA;
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Input-side failures. They never reach a Dapr API caller (the gateway's delivery logs them). */
export const InputBindingErrors = {
  notFound(name: string): ApiError {
    return new ApiError({
      code: 'ERR_INPUT_BINDING',
      message: `couldn't find input binding ${name}`,
      httpStatus: 404,
      grpcCode: GrpcCode.NOT_FOUND,
      retryable: false,
    });
  },
  read(name: string, cause: string): ApiError {
    return new ApiError({
      code: 'ERR_INPUT_BINDING',
      message: `error reading input binding ${name}: ${cause}`,
      httpStatus: 500,
      grpcCode: GrpcCode.UNAVAILABLE,
      retryable: true,
    });
  },
  closed(name: string): ApiError {
    return new ApiError({
      code: 'ERR_INPUT_BINDING',
      message: `error reading input binding ${name}: the bindings block is shutting down`,
      httpStatus: 500,
      grpcCode: GrpcCode.UNAVAILABLE,
      retryable: false,
    });
  },
};

export class BindingsBlock implements BindingsApi {
  private readonly readers = new Map<string, ReadStream>();
  private closed = false;

  constructor(
    private readonly bindings: BindingComponents,
    private readonly opts: BindingsBlockOptions = {},
  ) {}

  /** Input readers open now. */
  get activeReaders(): number {
    return this.readers.size;
  }

  async invoke(req: InvokeBindingRequest, ctx: CallContext): Promise<InvokeBindingResponse> {
    const entry = this.bindings.get(req.name, ctx.appId);
    const binding = entry?.binding;
    if (entry === undefined || !entry.output || binding?.invoke === undefined) throw this.reject(BindingsErrors.notFound(req.name), ctx);
    if (req.operation === '') throw this.reject(BindingsErrors.invoke(req.name, 'operation field is missing from request'), ctx);
    const ops = binding.operations?.() ?? [];
    if (!ops.includes(req.operation)) {
      throw this.reject(BindingsErrors.invoke(req.name, `binding ${req.name} does not support operation ${req.operation}. supported operations:${ops.join(' ')}`), ctx);
    }
    const metadata: Record<string, string> = { ...req.metadata };
    metadata['traceparent'] = ctx.traceparent ?? metadata['traceparent'] ?? newTraceparent();
    const tracestate = ctx.tracestate ?? metadata['tracestate'];
    if (tracestate !== undefined && tracestate !== '') metadata['tracestate'] = tracestate;
    const call = { operation: req.operation, data: asBuffer(req.data), metadata };
    const invoke = binding.invoke.bind(binding);
    let res: BindingInvokeResponse | undefined;
    try {
      res = await this.policy(entry).run(
        async () => {
          try {
            return await invoke(call);
          } catch (e) {
            // the component said the request itself is wrong: never worth a retry
            if (isBindingError(e) && e.errorKind === 'bad-request') throw BindingsErrors.invoke(req.name, e.message);
            throw e;
          }
        },
        { signal: ctx.signal },
      );
    } catch (e) {
      if (isApiError(e) && e.code === 'ERR_INVOKE_OUTPUT_BINDING') throw e;
      throw BindingsErrors.invoke(req.name, messageOf(e));
    }
    if (res === undefined) return { data: NO_DATA, metadata: {} };
    return { data: asBuffer(res.data), metadata: { ...(res.metadata ?? {}) } };
  }

  async listInputBindings(ctx: CallContext): Promise<InputBindingInfo[]> {
    return this.bindings
      .visibleTo(ctx.appId)
      .filter((e) => e.input && typeof e.binding.read === 'function')
      .map((e) => ({ name: e.name, route: e.route }));
  }

  read(req: ReadBindingRequest, ctx: CallContext): AsyncIterable<BindingDelivery> {
    const host: ReadStreamHost = {
      open: (stream) => this.open(stream, ctx),
      closed: (stream) => {
        if (this.readers.get(stream.id) === stream) this.readers.delete(stream.id);
      },
    };
    return new ReadStream(randomUUID(), req.name, ctx.appId, host, ctx.signal);
  }

  async settle(req: SettleBindingEventRequest, ctx: CallContext): Promise<void> {
    const stream = this.readers.get(req.readerId);
    if (stream === undefined || stream.appId !== ctx.appId) return;
    stream.settle(req.deliveryId, req.ok, req.error);
  }

  async listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return this.bindings.visibleTo(ctx.appId).map((e) => this.bindings.describe(e));
  }

  /** Ends every reader (unsettled events fail back to their components); refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.readers.values()].map((r) => r.end()));
  }

  private async open(stream: ReadStream, ctx: CallContext): Promise<BindingReader> {
    if (this.closed) throw InputBindingErrors.closed(stream.name);
    const entry = this.bindings.get(stream.name, ctx.appId);
    const read = entry?.binding.read;
    if (entry === undefined || !entry.input || read === undefined) throw this.reject(InputBindingErrors.notFound(stream.name), ctx);
    this.readers.set(stream.id, stream);
    try {
      return await read.call(entry.binding, stream.handler);
    } catch (e) {
      this.readers.delete(stream.id);
      throw InputBindingErrors.read(stream.name, messageOf(e));
    }
  }

  private policy(entry: BindingEntry): BindingCallPolicy {
    return this.opts.policyFor?.(entry) ?? DIRECT;
  }

  private reject(e: ApiError, ctx: CallContext): ApiError {
    this.opts.logger?.debug(e.message, { errorCode: e.code, appId: ctx.appId });
    return e;
  }
}
