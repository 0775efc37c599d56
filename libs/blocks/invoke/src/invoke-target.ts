// Parsing the target of an invocation (spec/http-api.md 1.1): an app id, `appId.namespace`, the
// name of an HTTPEndpoint resource, or a full http(s) URL (URL-encoded or not).

export type InvokeTarget =
  | { readonly kind: 'app'; readonly appId: string; readonly namespace: string }
  | { readonly kind: 'url'; readonly baseUrl: string; readonly headers: Readonly<Record<string, string>>; readonly name: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface HttpEndpointDef {
  readonly name: string;
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function parseTarget(raw: string, ownNamespace: string, endpoints: ReadonlyMap<string, HttpEndpointDef>): InvokeTarget {
  let target = raw;
  // Only a target starting with h/H can be a URL: an app id skips both patterns (hot path).
  const c0 = target.charCodeAt(0);
  const maybeUrl = c0 === 0x68 || c0 === 0x48;
  if (maybeUrl && /^https?%3A/i.test(target)) {
    try {
      target = decodeURIComponent(target);
    } catch {
      // keep as given
    }
  }
  if (maybeUrl && /^https?:\/\//i.test(target)) return { kind: 'url', baseUrl: target.replace(/\/+$/, ''), headers: {}, name: target };
  const ep = endpoints.size > 0 ? endpoints.get(target) : undefined;
  if (ep) return { kind: 'url', baseUrl: ep.baseUrl.replace(/\/+$/, ''), headers: ep.headers, name: ep.name };
  // As daprd: `id` or `id.namespace`; more dots, or an empty part, is not an app id.
  const dot = target.indexOf('.');
  if (dot < 0) {
    if (target !== '') return { kind: 'app', appId: target, namespace: ownNamespace };
  } else if (dot > 0 && dot < target.length - 1 && target.indexOf('.', dot + 1) < 0) {
    return { kind: 'app', appId: target.slice(0, dot), namespace: target.slice(dot + 1) };
  }
  return { kind: 'invalid', reason: `invalid app id: ${JSON.stringify(raw)}` };
}
