// `secretstores.kubernetes`: Secrets of the cluster the runtime runs in, read from the
// Kubernetes API with the pod's service account (in-cluster only; no kubeconfig): GET
// https://kubernetes.default.svc/api/v1/namespaces/<ns>/secrets/<name>, authenticated with the
// service account token and verified against the cluster CA, both from
// /var/run/secrets/kubernetes.io/serviceaccount. `data` values are base64-decoded; a secret
// answers all its keys (`{username, password}`), bulk answers every secret of the namespace.
//
// Namespace of a call, as daprd's store: request metadata `namespace`, else the NAMESPACE
// environment variable, else metadata `defaultNamespace`, else (Tessera) the service account's
// own namespace file. Tessera metadata beyond daprd's (for tests and unusual clusters):
// `apiServer` (default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT when those are
// set, else https://kubernetes.default.svc), `serviceAccountPath` (the folder holding token,
// ca.crt and namespace) and `requestTimeout` (Go duration, default 10s).
// The token file is re-read at most once a minute: projected service account tokens rotate.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { ComponentConfigError, SecretStoreError, durationProp, prop } from '@tessera/spi';
import type { ComponentMetadata, SecretStore, SecretStoreFactory, SecretStoreFeature, SecretStoreHost } from '@tessera/spi';

export const SERVICE_ACCOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_TTL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
/** RFC 1123 subdomain (secret names) and label (namespaces). */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

interface KubeSecret {
  readonly metadata?: { readonly name?: string };
  readonly data?: Record<string, string>;
}

function decodeData(data: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

export class KubernetesSecretStore implements SecretStore {
  private apiServer = '';
  private saPath = SERVICE_ACCOUNT_PATH;
  private defaultNamespace = '';
  private timeoutMs = DEFAULT_TIMEOUT_MS;
  private agent: Agent | undefined;
  private token: { value: string; readAt: number } | undefined;
  private saNamespace: string | undefined;

  constructor(
    private readonly meta: ComponentMetadata,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  async init(): Promise<void> {
    if (prop(this.meta, 'kubeconfigPath')) {
      throw new ComponentConfigError('kubeconfigPath', 'no value: Tessera reads secrets in-cluster with the service account only');
    }
    this.defaultNamespace = prop(this.meta, 'defaultNamespace') ?? '';
    this.saPath = prop(this.meta, 'serviceAccountPath') || SERVICE_ACCOUNT_PATH;
    this.timeoutMs = durationProp(this.meta, 'requestTimeout', DEFAULT_TIMEOUT_MS);
    const host = this.env['KUBERNETES_SERVICE_HOST'];
    const port = this.env['KUBERNETES_SERVICE_PORT'];
    const fallback = host ? `https://${host.includes(':') ? `[${host}]` : host}:${port || '443'}` : 'https://kubernetes.default.svc';
    this.apiServer = (prop(this.meta, 'apiServer') || fallback).replace(/\/+$/, '');
    if (!this.apiServer.startsWith('https://')) throw new ComponentConfigError('apiServer', `an https:// URL, got "${this.apiServer}"`);
    let ca: Buffer;
    try {
      ca = await readFile(join(this.saPath, 'ca.crt'));
    } catch (e) {
      throw new Error(`not running in a Kubernetes pod with a service account: ${(e as Error).message}`);
    }
    await this.currentToken();
    this.saNamespace = await readFile(join(this.saPath, 'namespace'), 'utf8').then((s) => s.trim(), () => undefined);
    this.agent = new Agent({ ca, keepAlive: true, maxSockets: 8 });
  }

  features(): readonly SecretStoreFeature[] {
    return [];
  }

  async getSecret(name: string, metadata: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    const ns = this.namespace(metadata);
    if (!SUBDOMAIN.test(name)) throw new SecretStoreError('not-found', `secrets "${name}" not found: not a valid Kubernetes secret name`);
    const secret = (await this.get(`/api/v1/namespaces/${ns}/secrets/${name}`)) as KubeSecret;
    return decodeData(secret.data);
  }

  async bulkGetSecret(metadata: Readonly<Record<string, string>>): Promise<Record<string, Record<string, string>>> {
    const ns = this.namespace(metadata);
    const list = (await this.get(`/api/v1/namespaces/${ns}/secrets`)) as { items?: KubeSecret[] };
    const out: Record<string, Record<string, string>> = {};
    for (const s of list.items ?? []) {
      const n = s.metadata?.name;
      if (n) out[n] = decodeData(s.data);
    }
    return out;
  }

  async close(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private namespace(metadata: Readonly<Record<string, string>>): string {
    const ns = metadata['namespace'] || this.env['NAMESPACE'] || this.defaultNamespace || this.saNamespace || '';
    if (ns === '') throw new SecretStoreError('backend', 'namespace is missing on metadata and NAMESPACE env variable, and no default namespace is set');
    if (!LABEL.test(ns)) throw new SecretStoreError('backend', `namespace "${ns}" is not a valid Kubernetes namespace name`);
    return ns;
  }

  private async currentToken(): Promise<string> {
    const now = Date.now();
    if (this.token && now - this.token.readAt < TOKEN_TTL_MS) return this.token.value;
    let value: string;
    try {
      value = (await readFile(join(this.saPath, 'token'), 'utf8')).trim();
    } catch (e) {
      if (this.token) return this.token.value;
      throw new Error(`not running in a Kubernetes pod with a service account: ${(e as Error).message}`);
    }
    this.token = { value, readAt: now };
    return value;
  }

  private async get(path: string): Promise<unknown> {
    const agent = this.agent;
    if (!agent) throw new SecretStoreError('backend', 'the kubernetes secret store is closed');
    const token = await this.currentToken();
    return new Promise((resolvePromise, reject) => {
      const req = request(
        `${this.apiServer}${path}`,
        { method: 'GET', agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new SecretStoreError('backend', `kubernetes API: ${e.message}`, { cause: e })));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text === '' ? {} : JSON.parse(text);
            } catch {
              body = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status === 200 && body !== undefined) return resolvePromise(body);
            const message = typeof (body as { message?: unknown } | undefined)?.message === 'string' ? (body as { message: string }).message : text.slice(0, 200);
            if (status === 404) return reject(new SecretStoreError('not-found', message));
            reject(new SecretStoreError('backend', `kubernetes API answered ${status}: ${message}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(new SecretStoreError('backend', `kubernetes API at ${this.apiServer}: ${e.message}`, { cause: e })));
      req.end();
    });
  }
}

export const createKubernetesSecretStore: SecretStoreFactory = (meta: ComponentMetadata, host: SecretStoreHost) => new KubernetesSecretStore(meta, host.env);
