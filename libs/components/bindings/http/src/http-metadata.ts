// Component metadata of `bindings.http` (components.md 5.17), parsed once at init, plus the pure
// request/response mapping the binding applies (operation -> verb, URL join, which request
// metadata becomes headers, response headers -> metadata), kept here so they are unit-tested.
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { ComponentConfigError, boolProp, durationProp, prop, requiredProp } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';

export interface HttpBindingSettings {
  readonly url: URL;
  /** Bytes; `maxResponseBodySize` (100Mi). */
  readonly maxResponseBodySize: number;
  /** Milliseconds; 0 = no timeout (`responseTimeout`). */
  readonly responseTimeoutMs: number;
  readonly errorIfNot2XX: boolean;
  readonly securityToken?: { readonly header: string; readonly token: string };
  readonly tls: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

export const HTTP_OPERATIONS = ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'] as const;

const DEFAULT_MAX_BODY = 100 * 1024 * 1024;

export function parseHttpBindingMetadata(meta: ComponentMetadata): HttpBindingSettings {
  const raw = requiredProp(meta, 'url');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ComponentConfigError('url', `an absolute http:// or https:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ComponentConfigError('url', `an http:// or https:// URL, got "${raw}"`);
  }
  const sizeText = prop(meta, 'maxResponseBodySize');
  const maxResponseBodySize = sizeText === undefined || sizeText.trim() === '' ? DEFAULT_MAX_BODY : parseQuantity(sizeText);
  if (maxResponseBodySize === undefined || maxResponseBodySize <= 0) {
    throw new ComponentConfigError('maxResponseBodySize', `a positive size such as "100Mi" or "2048", got "${sizeText}"`);
  }
  const responseTimeoutMs = durationProp(meta, 'responseTimeout', 0);
  if (responseTimeoutMs < 0) throw new ComponentConfigError('responseTimeout', 'a duration >= 0');
  const token = prop(meta, 'securityToken');
  const tokenHeader = prop(meta, 'securityTokenHeader');
  let securityToken: HttpBindingSettings['securityToken'];
  if (token !== undefined && token !== '') {
    if (tokenHeader === undefined || tokenHeader.trim() === '') {
      throw new ComponentConfigError('securityTokenHeader', 'a header name when securityToken is set');
    }
    securityToken = { header: tokenHeader.trim(), token };
  }
  const ca = pemOrFile(meta, 'MTLSRootCA');
  const cert = pemOrFile(meta, 'MTLSClientCert');
  const key = pemOrFile(meta, 'MTLSClientKey');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ComponentConfigError(cert === undefined ? 'MTLSClientCert' : 'MTLSClientKey', 'both MTLSClientCert and MTLSClientKey, or neither');
  }
  return {
    url,
    maxResponseBodySize,
    responseTimeoutMs,
    errorIfNot2XX: boolProp(meta, 'errorIfNot2XX', true),
    ...(securityToken ? { securityToken } : {}),
    tls: { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) },
  };
}

/** Kubernetes quantity (`100Mi`, `1G`, `512k`, `2048`) in bytes; undefined when malformed. */
export function parseQuantity(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?\s*$/.exec(text);
  if (!m?.[1]) return undefined;
  const mult: Record<string, number> = {
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
    k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  };
  return Math.floor(Number(m[1]) * (m[2] ? (mult[m[2]] ?? Number.NaN) : 1));
}

/** `create` is POST; every other operation is its verb upper-cased. */
export function httpMethodFor(operation: string): string | undefined {
  const op = operation.toLowerCase();
  if (!(HTTP_OPERATIONS as readonly string[]).includes(op)) return undefined;
  return op === 'create' ? 'POST' : op.toUpperCase();
}

/** The base URL with request metadata `path` appended (one slash between them). */
export function joinUrl(base: URL, path: string | undefined): URL {
  if (path === undefined || path === '') return new URL(base.href);
  return new URL(`${base.href.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
}

const FORWARDED_TRACE = ['traceparent', 'tracestate', 'baggage'];

/**
 * Request headers: Content-Type and Accept default to JSON, every metadata key starting with an
 * upper-case letter is a header, W3C trace context and baggage are forwarded, and the security
 * token header (if configured) is set last.
 */
export function requestHeaders(metadata: Readonly<Record<string, string>>, token?: HttpBindingSettings['securityToken']): Record<string, string> {
  const h: Record<string, string> = {};
  const set = (name: string, value: string): void => {
    for (const k of Object.keys(h)) if (k.toLowerCase() === name.toLowerCase()) delete h[k];
    h[name] = value;
  };
  set('Content-Type', 'application/json; charset=utf-8');
  set('Accept', 'application/json; charset=utf-8');
  for (const [k, v] of Object.entries(metadata)) {
    if (/^[A-Z]/.test(k) || FORWARDED_TRACE.includes(k)) set(k, v);
  }
  if (token) set(token.header, token.token);
  return h;
}

/** Go's canonical header key: `content-type` -> `Content-Type`. */
export function canonicalHeaderKey(name: string): string {
  return name
    .split('-')
    .map((p) => (p === '' ? p : p[0]?.toUpperCase() + p.slice(1).toLowerCase()))
    .join('-');
}

/** Response metadata: `statusCode`, `status` (Go's "200 OK") and each header (joined with ", "). */
export function responseMetadata(statusCode: number, statusMessage: string | undefined, headers: IncomingHttpHeaders): Record<string, string> {
  const md: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    md[canonicalHeaderKey(k)] = Array.isArray(v) ? v.join(', ') : v;
  }
  md['statusCode'] = String(statusCode);
  md['status'] = statusMessage ? `${statusCode} ${statusMessage}` : String(statusCode);
  return md;
}

function pemOrFile(meta: ComponentMetadata, field: string): string | undefined {
  const v = prop(meta, field);
  if (v === undefined || v.trim() === '') return undefined;
  if (v.includes('-----BEGIN')) return v;
  try {
    return readFileSync(v.trim(), 'utf8');
  } catch (e) {
    throw new ComponentConfigError(field, `PEM text or a readable file path (${e instanceof Error ? e.message : String(e)})`);
  }
}
