// `nameresolution.kubernetes` (spec/components.md 5.23; components-contrib
// nameresolution/kubernetes): Tessera's default in Kubernetes mode. Every app's gateway is reached
// through the `<appId>-dapr` Service of its namespace, so resolution is string formatting:
//   <appId>-dapr.<namespace>.svc.<clusterDomain>:<port>
// or, with `template`, a Go text/template over .ID, .Namespace, .Port and .Data (go-template.ts).
// Configuration: clusterDomain (cluster.local) and template are mutually exclusive; port is the
// internal port of the callee gateways (the runtime passes its own --dapr-internal-grpc-port, as
// daprd does; default 50002). .Data is the configuration map itself (Tessera's resolve request
// carries no per-call data), so `{{.Data.region}}` reads `configuration.region`; a field that does
// not exist fails init.
// resolve() makes no network call: DNS is left to the connection, which also spreads calls over
// the Service's endpoints. register/unregister are no-ops (Kubernetes keeps the Service). Pure and
// stateless after init, so every method is safe to call concurrently.
import { ComponentConfigError, intProp, NameResolverError, prop } from '@tessera/spi';
import type { ComponentMetadata, NameResolver, NameResolverRegistration } from '@tessera/spi';
import { parseGoTemplate, renderGoTemplate, TemplateSyntaxError } from './go-template';
import type { TemplatePart } from './go-template';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DEFAULT_INTERNAL_PORT = 50002;

type Format = { readonly clusterDomain: string } | { readonly template: readonly TemplatePart[] };

class KubernetesNameResolver implements NameResolver {
  private format: Format | undefined;
  private port = DEFAULT_INTERNAL_PORT;

  constructor(private readonly meta: ComponentMetadata) {}

  async init(): Promise<void> {
    const port = intProp(this.meta, 'port', DEFAULT_INTERNAL_PORT);
    if (port < 1 || port > 65535) throw new ComponentConfigError('port', `a port number between 1 and 65535, got "${prop(this.meta, 'port')}"`);
    this.port = port;
    const clusterDomain = prop(this.meta, 'clusterDomain')?.trim() ?? '';
    const template = prop(this.meta, 'template') ?? '';
    if (clusterDomain !== '' && template.trim() !== '') {
      throw new ComponentConfigError('template', 'either clusterDomain or template, not both (they are mutually exclusive)');
    }
    if (template.trim() === '') {
      this.format = { clusterDomain: clusterDomain === '' ? DEFAULT_CLUSTER_DOMAIN : clusterDomain };
      return;
    }
    try {
      const parts = parseGoTemplate(template);
      this.render(parts, 'app', 'default'); // every field must exist
      this.format = { template: parts };
    } catch (e) {
      if (e instanceof TemplateSyntaxError) throw new ComponentConfigError('template', `a template over .ID, .Namespace, .Port and .Data.<key>: ${e.message}`);
      throw e;
    }
  }

  async register(_reg: NameResolverRegistration): Promise<void> {
    // Kubernetes publishes the `<appId>-dapr` Service; nothing to announce.
  }

  async unregister(): Promise<void> {
    // nothing was announced
  }

  async resolve(appId: string, namespace: string): Promise<string | undefined> {
    const format = this.format;
    if (format === undefined) throw new NameResolverError('kubernetes name resolver is not initialized or already closed');
    if ('clusterDomain' in format) return `${appId}-dapr.${namespace}.svc.${format.clusterDomain}:${this.port}`;
    return this.render(format.template, appId, namespace);
  }

  async close(): Promise<void> {
    this.format = undefined;
  }

  private render(parts: readonly TemplatePart[], appId: string, namespace: string): string {
    return renderGoTemplate(parts, (path) => {
      const [head, key, ...rest] = path;
      if (head === 'ID' && key === undefined) return appId;
      if (head === 'Namespace' && key === undefined) return namespace;
      if (head === 'Port' && key === undefined) return String(this.port);
      if (head === 'Data' && key !== undefined && rest.length === 0) {
        return Object.prototype.hasOwnProperty.call(this.meta.properties, key) ? this.meta.properties[key] : undefined;
      }
      return undefined;
    });
  }
}

/** Factory registered as `nameresolution.kubernetes` v1. Configuration is checked in init(). */
export function createKubernetesNameResolver(meta: ComponentMetadata): NameResolver {
  return new KubernetesNameResolver(meta);
}
