// @tessera/transport-core: Tessera's internal framed RPC transport, independent of any service.
// A service (state-svc's StateService, the gateways' InvokeService, ...) declares a method table
// (defineService over defineMethod / defineStreamMethod entries keyed by its XxxMethod wire ids)
// and wraps FramedServer / FramedClient in its own typed server and client (unary calls with
// `call`, server-streaming calls with `stream`, an AsyncIterable, client-streaming and
// bidirectional calls with `duplex`, an AsyncIterable fed by an input AsyncIterable); everything on the wire is
// shared and described by libs/contracts/proto/tessera/internal/v1/transport.proto.
//
// Why a framed protocol over one TCP socket and not @grpc/grpc-js (bench/RESULTS.md, "Internal
// transport"): on the 2-core target a grpc-js unary client spends ~110 µs of CPU per call and tops
// out near 8k calls/s whatever the tuning; the framed transport costs a few µs per call (84k
// calls/s at 16 in flight) and measured split mode at 0.80x of all-in-one.
export { FramedServer } from './framed-server';
export type { FramedServerOptions } from './framed-server';
export { FramedClient } from './framed-client';
export type { FramedClientOptions } from './framed-client';
export { defineDuplexMethod, defineMethod, defineService, defineStreamMethod, isDuplexMethod, isStreamMethod } from './service';
export type {
  AnyDuplexMethodDef,
  AnyMethodDef,
  AnyServiceMethod,
  AnyStreamMethodDef,
  DuplexMethodDef,
  MethodDef,
  MethodInfo,
  ServiceDef,
  ServiceInit,
  StreamMethodDef,
  UnaryUpgrade,
} from './service';
export type { ClientStream } from './client-stream';
export type { DuplexClientStream } from './client-duplex';
export type { ServerInput } from './server-input';
export {
  abortError,
  asApiError,
  CANCELLED,
  codecFailure,
  DEADLINE_EXCEEDED,
  fromErrorStatus,
  internalError,
  methodFailure,
  protocolFailure,
  shuttingDown,
  toErrorStatus,
  tooLarge,
  unreachable,
} from './transport-errors';
export type { FailureMapper, TransportFailure, TransportFailureKind } from './transport-errors';
export { emptyRequestHeader, fromRequestHeader, ServerCallContext, toRequestHeader, unarySignalOf, MAX_TIMER_MS } from './call-context';
export type { AbortSource } from './call-context';
export {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_HEAD_BYTES,
  FrameEncoder,
  FrameError,
  FrameReader,
  FrameSink,
  parseAddress,
} from './framing';
export type { FrameHandler } from './framing';
export { FRAMING_VERSION, INPUT_WINDOW } from './wire';
export type { Codec } from './wire';
