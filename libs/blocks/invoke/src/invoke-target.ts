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
  if (/^https?%3A/i.test(target)) {
    try {
      target = decodeURIComponent(target);
    } catch {
      // keep as given
    }
  }
  if (/^https?:\/\//i.test(target)) return { kind: 'url', baseUrl: target.replace(/\/+$/, ''), headers: {}, name: target };
  const ep = endpoints.get(target);
  if (ep) return { kind: 'url', baseUrl: ep.baseUrl.replace(/\/+$/, ''), headers: ep.headers, name: ep.name };
  // As daprd: `id` or `id.namespace`; more dots, or an empty part, is not an app id.
  const parts = target.split('.');
  if (parts.length === 1 && target !== '') return { kind: 'app', appId: target, namespace: ownNamespace };
  if (parts.length === 2 && parts[0] && parts[1]) return { kind: 'app', appId: parts[0], namespace: parts[1] };
  return { kind: 'invalid', reason: `invalid app id: ${JSON.stringify(raw)}` };
}
