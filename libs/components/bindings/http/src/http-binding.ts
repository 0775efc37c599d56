// `bindings.http` v1 (components.md 5.17): an output binding that sends one HTTP request per
// invoke to `url` (+ request metadata `path`) with node:http/https (node's fetch refuses TRACE).
// The body is the request data for POST/PUT/PATCH (and `create`), verbatim. The response body is
// the result data; its status and headers are the result metadata. With errorIfNot2XX (default,
// overridable per request) a non-2xx status rejects with BindingError('backend'). One keep-alive
// agent per binding (with the MTLS* certificates); close() destroys it.
import * as http from 'node:http';
import * as https from 'node:https';
import { BindingError, boolProp } from '@tessera/spi';
import type { Binding, BindingInvokeRequest, BindingInvokeResponse, ComponentMetadata } from '@tessera/spi';
import { HTTP_OPERATIONS, httpMethodFor, joinUrl, parseHttpBindingMetadata, requestHeaders, responseMetadata } from './http-metadata';
import type { HttpBindingSettings } from './http-metadata';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function createHttpBinding(meta: ComponentMetadata): Binding {
  return new HttpBinding(meta);
}

class HttpBinding implements Binding {
  private settings: HttpBindingSettings | undefined;
  private agent: http.Agent | undefined;
  private closed = false;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const s = parseHttpBindingMetadata(this.meta);
    this.settings = s;
    this.agent = s.url.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...s.tls }) : new http.Agent({ keepAlive: true });
  }

  operations(): readonly string[] {
    return HTTP_OPERATIONS;
  }

  async invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse> {
    const s = this.settings;
    const agent = this.agent;
    if (this.closed || !s || !agent) throw new BindingError('closed', `http binding ${this.meta.name} is not initialized or closed`);
    const method = httpMethodFor(req.operation);
    if (!method) {
      throw new BindingError('bad-request', `binding ${this.meta.name}: unsupported operation "${req.operation}" (supported: ${HTTP_OPERATIONS.join(', ')})`);
    }
    let errorIfNot2XX = s.errorIfNot2XX;
    if (req.metadata['errorIfNot2XX'] !== undefined) {
      try {
        errorIfNot2XX = boolProp({ ...this.meta, properties: { errorIfNot2XX: req.metadata['errorIfNot2XX'] } }, 'errorIfNot2XX', s.errorIfNot2XX);
      } catch (e) {
        throw new BindingError('bad-request', `binding ${this.meta.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    let url: URL;
    try {
      url = joinUrl(s.url, req.metadata['path']);
    } catch {
      throw new BindingError('bad-request', `binding ${this.meta.name}: metadata path "${req.metadata['path']}" does not make a valid URL`);
    }
    const body = BODY_METHODS.has(method) ? req.data : undefined;
    const headers = requestHeaders(req.metadata, s.securityToken);
    if (body) headers['Content-Length'] = String(body.byteLength);
    const res = await this.send(url, method, headers, body, s, agent);
    if (errorIfNot2XX && (res.status < 200 || res.status >= 300)) {
      throw new BindingError('backend', `received status code ${res.status}`);
    }
    const contentType = res.metadata['Content-Type'];
    return { data: res.body, metadata: res.metadata, ...(contentType !== undefined ? { contentType } : {}) };
  }

  private send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    s: HttpBindingSettings,
    agent: http.Agent,
  ): Promise<{ status: number; body: Uint8Array; metadata: Record<string, string> }> {
    return new Promise((resolve, reject) => {
      const fail = (e: unknown): void => {
        if (e instanceof BindingError) return reject(e);
        reject(new BindingError('backend', `error invoking ${method} ${url.href}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      };
      const mod = url.protocol === 'https:' ? https : http;
      const creq = mod.request(url, { method, headers, agent });
      let timer: NodeJS.Timeout | undefined;
      if (s.responseTimeoutMs > 0) {
        timer = setTimeout(() => creq.destroy(new BindingError('backend', `no response from ${url.href} within ${s.responseTimeoutMs}ms (responseTimeout)`)), s.responseTimeoutMs);
      }
      const done = (): void => {
        if (timer) clearTimeout(timer);
      };
      creq.on('error', (e) => {
        done();
        fail(e);
      });
      creq.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let tooBig = false;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > s.maxResponseBodySize) {
            if (!tooBig) {
              tooBig = true;
              done();
              fail(new BindingError('backend', `response body from ${url.href} exceeds maxResponseBodySize (${s.maxResponseBodySize} bytes)`));
              res.destroy();
            }
            return;
          }
          chunks.push(c);
        });
        res.on('error', (e) => {
          done();
          fail(e);
        });
        res.on('end', () => {
          done();
          if (tooBig) return;
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            body: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
            metadata: responseMetadata(res.statusCode ?? 0, res.statusMessage, res.headers),
          });
        });
      });
      creq.end(body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent?.destroy();
    this.agent = undefined;
  }
}
