// Adapters around the app channel used by the invoke wiring: gRPC proxying (a raw message for a
// full method path goes to GrpcAppChannel.callRaw, whose answer may turn out to stream and then
// travels attached to the response (withProxyStream); a call that streams its request goes to
// GrpcAppChannel.callRawStream), and plain HTTP calls to HTTPEndpoint / URL targets through an
// HttpAppChannel per base URL.
import * as grpc from '@grpc/grpc-js';
import { GRPC_PROXY_CONTENT_TYPE, withProxyStream } from '@tessera/contracts';
import type { AppChannel, CallContext, GrpcProxyFrame, InternalInvokeRequest, InternalInvokeResponse, ListStringValue } from '@tessera/contracts';
import { GrpcAppChannel, HttpAppChannel } from '@tessera/app-channel';
import type { ConcreteAppChannel } from '@tessera/app-channel';
import type { UrlInvoker } from '@tessera/block-invoke';

function toMetadata(m: Record<string, ListStringValue>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(m)) {
    if (k.startsWith(':') || k.startsWith('grpc-') || k === 'content-type') continue;
    for (const value of v.values) {
      try {
        md.add(k, k.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
      } catch {
        // not a valid gRPC metadata name
      }
    }
  }
  return md;
}

function fromMetadata(md: grpc.Metadata): Record<string, ListStringValue> {
  const out: Record<string, ListStringValue> = {};
  for (const k of Object.keys(md.getMap())) {
    out[k] = { values: md.get(k).map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : String(v))) };
  }
  return out;
}

/** The app channel, plus raw gRPC proxying when the app speaks gRPC. */
export class ProxyingAppChannel implements AppChannel {
  readonly protocol: string;
  readonly callback: AppChannel['callback'];
  readonly invokeStream: AppChannel['invokeStream'];
  constructor(readonly inner: ConcreteAppChannel) {
    this.protocol = inner.protocol;
    this.callback = inner instanceof GrpcAppChannel ? inner.callback.bind(inner) : undefined;
    const grpcApp = inner instanceof GrpcAppChannel ? inner : undefined;
    this.invokeStream =
      grpcApp === undefined
        ? undefined
        : (req: InternalInvokeRequest, input: AsyncIterable<Uint8Array>, ctx: CallContext): AsyncIterable<GrpcProxyFrame> =>
            grpcApp.callRawStream(req.message?.method ?? '', input, toMetadata(req.metadata), ctx);
  }

  healthy(): boolean {
    return this.inner.healthy();
  }

  async invokeMethod(req: InternalInvokeRequest, ctx: CallContext): Promise<InternalInvokeResponse> {
    const m = req.message;
    if (m?.contentType !== GRPC_PROXY_CONTENT_TYPE || !m.method.startsWith('/')) return this.inner.invokeMethod(req, ctx);
    if (!(this.inner instanceof GrpcAppChannel)) {
      return {
        status: { code: grpc.status.UNIMPLEMENTED, message: `gRPC proxying needs a gRPC app; this app speaks ${this.inner.protocol}`, details: [] },
        headers: {},
        trailers: {},
        message: undefined,
      };
    }
    const r = await this.inner.callRaw(m.method, m.data?.value ?? Buffer.alloc(0), toMetadata(req.metadata), ctx);
    if (r.stream !== undefined) {
      return withProxyStream({ status: { code: grpc.status.OK, message: '', details: [] }, headers: {}, trailers: {}, message: undefined }, r.stream);
    }
    return {
      status: { code: r.status.code, message: r.status.details, details: [] },
      headers: fromMetadata(r.metadata),
      trailers: fromMetadata(r.trailers),
      message: { data: { typeUrl: '', value: r.response }, contentType: GRPC_PROXY_CONTENT_TYPE },
    };
  }
}

/** HTTP calls to non-Dapr endpoints: one keep-alive channel per base URL (scheme, host, port). */
export class HttpUrlInvoker implements UrlInvoker {
  private readonly channels = new Map<string, HttpAppChannel>();

  async invokeUrl(baseUrl: string, headers: Readonly<Record<string, string>>, req: InternalInvokeRequest, ctx: CallContext): Promise<InternalInvokeResponse> {
    const url = new URL(baseUrl);
    const key = `${url.protocol}//${url.host}`;
    let ch = this.channels.get(key);
    if (!ch) {
      const https = url.protocol === 'https:';
      ch = new HttpAppChannel({ appId: baseUrl, protocol: https ? 'https' : 'http', host: url.hostname, port: Number(url.port || (https ? 443 : 80)), verifyTls: true });
      this.channels.set(key, ch);
    }
    const prefix = url.pathname.replace(/^\/+|\/+$/g, '');
    const metadata = { ...req.metadata };
    for (const [k, v] of Object.entries(headers)) metadata[k.toLowerCase()] = { values: [v] };
    const message = req.message ? { ...req.message, method: prefix ? `${prefix}/${req.message.method}` : req.message.method } : undefined;
    return ch.invokeMethod({ ...req, metadata, message }, ctx);
  }

  async close(): Promise<void> {
    await Promise.all([...this.channels.values()].map((ch) => ch.close()));
    this.channels.clear();
  }
}
