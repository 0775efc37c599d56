// The official Dapr JS SDK (@dapr/dapr) as a black-box client of a running runtime, and one
// normalised view of the errors it surfaces, because it surfaces them three different ways:
//   - HTTP, most calls: throws Error whose message is JSON {error, error_msg, status}, where
//     error_msg is the runtime's raw body ({"errorCode":…,"message":…}).
//   - HTTP state.save / state.delete: never throw; they resolve to { error: <that Error> }.
//   - gRPC: throws a @connectrpc ConnectError { code, rawMessage, details[] }; Dapr's rich
//     details (google.rpc.ErrorInfo …) arrive undecoded as { type, value: Uint8Array }.
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { BinaryReader } from '@bufbuild/protobuf/wire';

export type Protocol = 'HTTP' | 'gRPC';

/** gRPC status codes (the numbers ConnectError.code carries). */
export const GrpcCode = {
  InvalidArgument: 3,
  NotFound: 5,
  PermissionDenied: 7,
  FailedPrecondition: 9,
  Aborted: 10,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16,
} as const;

/** The SDK logs every failed HTTP save/delete at error level; the tests assert those errors. */
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, verbose: () => undefined, debug: () => undefined };

export function sdkClient(protocol: Protocol, ports: { httpPort: number; grpcPort: number }, apiToken?: string): DaprClient {
  return new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(protocol === 'HTTP' ? ports.httpPort : ports.grpcPort),
    communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Error, service: quiet },
    ...(apiToken !== undefined ? { daprApiToken: apiToken } : {}),
  });
}

export interface ErrorInfo {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

/** What the SDK told the caller about a failed call. */
export interface SdkError {
  protocol: Protocol;
  /** HTTP status (HTTP only). */
  status?: number;
  /** `errorCode` of the runtime's JSON body (HTTP only). */
  errorCode?: string;
  /** gRPC status code (gRPC only). */
  grpcCode?: number;
  message: string;
  /** Decoded google.rpc.ErrorInfo details (gRPC: from grpc-status-details-bin; HTTP: from `details`). */
  errorInfos: ErrorInfo[];
  raw: unknown;
}

function decodeErrorInfo(bytes: Uint8Array): ErrorInfo {
  const r = new BinaryReader(bytes);
  const out: ErrorInfo = { reason: '', domain: '', metadata: {} };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1) out.reason = r.string();
    else if (field === 2) out.domain = r.string();
    else if (field === 3) {
      const entry = new BinaryReader(r.bytes());
      let k = '';
      let v = '';
      while (entry.pos < entry.len) {
        const [f, w] = entry.tag();
        if (f === 1) k = entry.string();
        else if (f === 2) v = entry.string();
        else entry.skip(w);
      }
      out.metadata[k] = v;
    } else r.skip(wire);
  }
  return out;
}

function normalise(protocol: Protocol, e: unknown): SdkError {
  const err = e as { message?: string; code?: unknown; rawMessage?: string; details?: unknown[] };
  if (typeof err?.code === 'number' && typeof err.rawMessage === 'string') {
    const infos: ErrorInfo[] = [];
    for (const d of err.details ?? []) {
      const det = d as { type?: string; value?: Uint8Array };
      if (det.type === 'google.rpc.ErrorInfo' && det.value) infos.push(decodeErrorInfo(det.value));
    }
    return { protocol, grpcCode: err.code, message: err.rawMessage, errorInfos: infos, raw: e };
  }
  const text = typeof err?.message === 'string' ? err.message : String(e);
  let outer: { status?: number; error_msg?: string } | undefined;
  try {
    outer = JSON.parse(text) as { status?: number; error_msg?: string };
  } catch {
    return { protocol, message: text, errorInfos: [], raw: e };
  }
  let body: { errorCode?: string; message?: string; details?: Array<Record<string, unknown>> } | undefined;
  try {
    body = JSON.parse(outer.error_msg ?? '') as typeof body;
  } catch {
    body = undefined;
  }
  const infos = (body?.details ?? [])
    .filter((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo')
    .map((d) => ({ reason: String(d['reason']), domain: String(d['domain']), metadata: (d['metadata'] ?? {}) as Record<string, string> }));
  return {
    protocol,
    status: outer.status,
    errorCode: body?.errorCode,
    message: body?.message ?? outer.error_msg ?? text,
    errorInfos: infos,
    raw: e,
  };
}

/**
 * Runs an SDK call that must fail and returns the error as the SDK surfaced it, whether it
 * threw or resolved to `{ error }` (HTTP save/delete). Fails the test if the call succeeded.
 */
export async function sdkError(protocol: Protocol, call: () => Promise<unknown>): Promise<SdkError> {
  let result: unknown;
  try {
    result = await call();
  } catch (e) {
    return normalise(protocol, e);
  }
  const returned = (result as { error?: unknown } | undefined)?.error;
  if (returned !== undefined) return normalise(protocol, returned);
  throw new Error(`expected the SDK call to fail, it returned ${JSON.stringify(result)}`);
}

/** The SDK's HTTP save/delete resolve to {} on success and { error } on failure: unwrap. */
export async function ok<T>(p: Promise<T>): Promise<T> {
  const r = await p;
  const err = (r as { error?: unknown } | undefined)?.error;
  if (err !== undefined) throw new Error(`SDK call reported an error: ${err instanceof Error ? err.message : String(err)}`);
  return r;
}

/** A Dapr error as seen per protocol: HTTP status + errorCode, or gRPC code (+ ErrorInfo reason). */
export interface ExpectedDaprError {
  http: { status: number; errorCode: string };
  grpc: { code: number; reason?: string };
}

/** Plain-object view of the fields that matter, for readable diffs in jest. */
export function shapeOf(e: SdkError): Record<string, unknown> {
  return e.protocol === 'HTTP'
    ? { status: e.status, errorCode: e.errorCode }
    : { code: e.grpcCode, reasons: e.errorInfos.map((i) => i.reason) };
}

export function expectedShape(protocol: Protocol, x: ExpectedDaprError): Record<string, unknown> {
  if (protocol === 'HTTP') return { status: x.http.status, errorCode: x.http.errorCode };
  return { code: x.grpc.code, reasons: x.grpc.reason !== undefined ? [x.grpc.reason] : expect.any(Array) };
}
