// Caller metadata (InternalInvokeRequest.metadata: lower-cased name -> values) to the headers of
// the request sent to the app, and the app's response headers back to a multi-map.
// What is dropped on the way in: hop-by-hop headers (RFC 9110 7.6.1, plus the names listed in the
// caller's Connection header), pseudo-headers, host and content-length (recomputed), content-type
// (InvokeRequest.content_type wins), dapr-api-token and dapr-app-id (the caller's credentials and
// routing, spec http-api.md 1.1), trace headers when the CallContext carries its own trace, and
// gRPC transport metadata (grpc-*, *-bin) that means nothing to an HTTP app.
import type { CallContext, InternalInvokeRequest } from '@tessera/contracts';

export type HeaderMultiMap = InternalInvokeRequest['metadata'];

export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Never forwarded from the caller to the app, whatever the app protocol. */
const ALWAYS_DROPPED: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  'content-type',
  'expect',
  'dapr-api-token',
  'dapr-app-id',
  'traceparent',
  'tracestate',
]);

/** RFC 9110 token: a valid HTTP field name (already lower-cased by the edges). */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Field value without CR, LF or NUL (node:http rejects those). */
const HTTP_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** gRPC metadata key (grpc-js Metadata rules). */
const GRPC_KEY = /^[0-9a-z_.-]+$/;
/** gRPC ASCII metadata value. */
const GRPC_VALUE = /^[\x20-\x7e]*$/;

export const DAPR_API_TOKEN = 'dapr-api-token';

/** Names listed in the caller's Connection header are hop-by-hop too. */
function connectionTokens(metadata: HeaderMultiMap): ReadonlySet<string> | undefined {
  const conn = metadata['connection'];
  if (conn === undefined || conn.values.length === 0) return undefined;
  const out = new Set<string>();
  for (const v of conn.values) for (const t of v.split(',')) out.add(t.trim().toLowerCase());
  return out;
}

/** Trace headers to send: the CallContext's when it has a traceparent, else the caller's own. */
function traceHeaders(metadata: HeaderMultiMap, ctx: CallContext): [string | undefined, string | undefined] {
  if (ctx.traceparent !== undefined && ctx.traceparent !== '') return [ctx.traceparent, ctx.tracestate || undefined];
  return [metadata['traceparent']?.values[0], metadata['tracestate']?.values[0]];
}

/**
 * Headers for an HTTP/1.1 or HTTP/2 request to the app. Multi-valued headers stay arrays
 * (node:http writes one line per value); invalid names or values are skipped, not fatal.
 */
export function toAppHttpHeaders(
  metadata: HeaderMultiMap,
  contentType: string,
  ctx: CallContext,
  appApiToken: string | undefined,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const extra = connectionTokens(metadata);
  for (const name in metadata) {
    if (ALWAYS_DROPPED.has(name) || extra?.has(name)) continue;
    if (name.startsWith('grpc-') || name.endsWith('-bin') || !HTTP_TOKEN.test(name)) continue;
    const values = metadata[name]?.values;
    if (values === undefined || values.length === 0) continue;
    if (values.length === 1) {
      const v = values[0] as string;
      if (HTTP_VALUE.test(v)) out[name] = v;
    } else {
      const ok = values.filter((v) => HTTP_VALUE.test(v));
      if (ok.length > 0) out[name] = ok;
    }
  }
  const ct = contentType !== '' ? contentType : metadata['content-type']?.values[0];
  if (ct !== undefined && ct !== '' && HTTP_VALUE.test(ct)) out['content-type'] = ct;
  const [traceparent, tracestate] = traceHeaders(metadata, ctx);
  if (traceparent !== undefined && HTTP_VALUE.test(traceparent)) out['traceparent'] = traceparent;
  if (tracestate !== undefined && HTTP_VALUE.test(tracestate)) out['tracestate'] = tracestate;
  if (appApiToken !== undefined && appApiToken !== '') out[DAPR_API_TOKEN] = appApiToken;
  return out;
}

/** gRPC metadata keys grpc-js manages itself or that describe the caller's own transport. */
const GRPC_RESERVED: ReadonlySet<string> = new Set(['user-agent', 'accept-encoding', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'grpc-status', 'grpc-message', 'grpc-status-details-bin']);

/** One (key, value) pair for gRPC metadata; `-bin` values arrive base64-encoded in the multi-map. */
export type GrpcMetadataSink = (key: string, value: string | Buffer) => void;

/**
 * Caller metadata to gRPC metadata for the app: pseudo-headers, invalid keys, hop-by-hop and
 * transport-owned keys skipped; `-bin` keys decoded from base64 to Buffers.
 */
export function toAppGrpcMetadata(
  metadata: HeaderMultiMap,
  ctx: CallContext,
  appApiToken: string | undefined,
  add: GrpcMetadataSink,
): void {
  const extra = connectionTokens(metadata);
  for (const name in metadata) {
    if (ALWAYS_DROPPED.has(name) || GRPC_RESERVED.has(name) || extra?.has(name) || !GRPC_KEY.test(name)) continue;
    const values = metadata[name]?.values;
    if (values === undefined) continue;
    const binary = name.endsWith('-bin');
    for (const v of values) {
      if (binary) add(name, Buffer.from(v, 'base64'));
      else if (GRPC_VALUE.test(v)) add(name, v);
    }
  }
  const [traceparent, tracestate] = traceHeaders(metadata, ctx);
  if (traceparent !== undefined && GRPC_VALUE.test(traceparent)) add('traceparent', traceparent);
  if (tracestate !== undefined && GRPC_VALUE.test(tracestate)) add('tracestate', tracestate);
  if (appApiToken !== undefined && appApiToken !== '') add(DAPR_API_TOKEN, appApiToken);
}

/** Connection-level response headers that describe the app's hop, not its answer. */
const RESPONSE_DROPPED: ReadonlySet<string> = HOP_BY_HOP;

/** node:http `headersDistinct` / `trailersDistinct` (already lower-cased) to a multi-map. */
export function fromDistinct(h: NodeJS.Dict<string[]>): HeaderMultiMap {
  const out: HeaderMultiMap = {};
  for (const name in h) {
    if (RESPONSE_DROPPED.has(name)) continue;
    const values = h[name];
    if (values !== undefined) out[name] = { values };
  }
  return out;
}

/**
 * node:http `rawHeaders` / `rawTrailers` ([name, value, ...] as received; undici's are Buffers) to the same multi-map
 * fromDistinct makes of `headersDistinct` (names lower-cased, values in order, hop-by-hop
 * dropped), without node building its distinct-headers object first.
 */
export function fromRawHeaders(raw: readonly (string | Buffer)[]): HeaderMultiMap {
  const out: HeaderMultiMap = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = latin1(raw[i] as string | Buffer).toLowerCase();
    if (RESPONSE_DROPPED.has(name)) continue;
    const value = latin1(raw[i + 1] as string | Buffer);
    const prev = out[name];
    if (prev === undefined) out[name] = { values: [value] };
    else prev.values.push(value);
  }
  return out;
}

/** A raw header field as node:http presents it: bytes read as latin1 (undici hands over Buffers). */
function latin1(v: string | Buffer): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}

/** HTTP/2 response headers or trailers (pseudo-headers dropped) to a multi-map. */
export function fromHttp2(h: NodeJS.Dict<string | string[] | number>): HeaderMultiMap {
  const out: HeaderMultiMap = {};
  for (const name in h) {
    if (name.startsWith(':') || RESPONSE_DROPPED.has(name)) continue;
    const v = h[name];
    if (v === undefined) continue;
    out[name] = { values: Array.isArray(v) ? v : [String(v)] };
  }
  return out;
}

/**
 * gRPC response metadata (Metadata.toJSON()) to a multi-map; binary values base64-encoded.
 * content-type (application/grpc…) describes the gRPC hop, not the payload (that is
 * InvokeResponse.content_type), so it is left out.
 */
export function fromGrpcMetadata(json: Record<string, Array<string | Buffer>>): HeaderMultiMap {
  const out: HeaderMultiMap = {};
  for (const name in json) {
    if (name === 'content-type' || name === 'grpc-status' || name === 'grpc-message') continue;
    const values = json[name];
    if (values === undefined || values.length === 0) continue;
    out[name] = { values: values.map((v) => (typeof v === 'string' ? v : v.toString('base64'))) };
  }
  return out;
}
