// What every component receives when it is created: its resolved Component resource.

export interface ComponentMetadata {
  /** metadata.name of the Component resource. */
  readonly name: string;
  /** spec.type, e.g. `state.redis`. */
  readonly type: string;
  /** spec.version, e.g. `v1`. */
  readonly version: string;
  /** spec.metadata with secretKeyRef, envRef and templates already resolved. */
  readonly properties: Readonly<Record<string, string>>;
  /** App id of the runtime that loads it ('' for a shared building-block service). */
  readonly appId: string;
}

/** Case-insensitive lookup of a metadata property, as Dapr's metadata decoder matches names. */
export function prop(meta: ComponentMetadata, name: string): string | undefined {
  const direct = meta.properties[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(meta.properties)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Thrown by a component whose metadata is wrong. The loader reports it with the file and
 * component name, so the message only has to name the field and what was expected.
 */
export class ComponentConfigError extends Error {
  readonly kind = 'tessera.component-config' as const;
  constructor(readonly field: string, readonly expected: string) {
    super(`metadata field "${field}": expected ${expected}`);
    this.name = 'ComponentConfigError';
  }
}

export function requiredProp(meta: ComponentMetadata, name: string): string {
  const v = prop(meta, name);
  if (v === undefined || v === '') throw new ComponentConfigError(name, 'a non-empty value (it is required)');
  return v;
}

export function intProp(meta: ComponentMetadata, name: string, fallback: number): number {
  const v = prop(meta, name);
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ComponentConfigError(name, `an integer, got "${v}"`);
  return n;
}

export function boolProp(meta: ComponentMetadata, name: string, fallback: boolean): boolean {
  const v = prop(meta, name);
  if (v === undefined || v === '') return fallback;
  const s = v.toLowerCase();
  if (['true', '1', 'yes', 'y', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'n', 'off'].includes(s)) return false;
  throw new ComponentConfigError(name, `a boolean, got "${v}"`);
}

/** Client TLS material of a component: PEM values, unset when the field is missing or blank. */
export interface ClientTlsProps {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * Dapr's client TLS fields `caCert`, `clientCert` and `clientKey` (the broker components share
 * them). The certificate and its key come together or not at all.
 */
export function clientTlsProps(meta: ComponentMetadata): ClientTlsProps {
  const ca = nonBlank(prop(meta, 'caCert'));
  const cert = nonBlank(prop(meta, 'clientCert'));
  const key = nonBlank(prop(meta, 'clientKey'));
  if ((cert === undefined) !== (key === undefined)) {
    throw new ComponentConfigError(cert === undefined ? 'clientCert' : 'clientKey', 'both clientCert and clientKey, or neither');
  }
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
}

function nonBlank(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** A connection URL with its password hidden (`scheme://user:***@host`), for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
