// The kubernetes secret store against a local fake Kubernetes API server over HTTPS, with a
// self-signed certificate made by openssl at test time (SAN 127.0.0.1): the store must verify
// the server with the service account's ca.crt and send the service account token.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSecretStoreConformance } from '@tessera/conformance';
import { isSecretStoreError } from '@tessera/spi';
import type { SecretStore } from '@tessera/spi';
import { createKubernetesSecretStore } from './index';

const TOKEN = 'test-service-account-token';
const dir = mkdtempSync(join(tmpdir(), 'tessera-k8s-secrets-'));

function selfSigned(name: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

/** namespace -> secret name -> key -> value (plain; the fake base64-encodes). */
const cluster = new Map<string, Map<string, Record<string, string>>>();
const requests: Array<{ path: string; auth: string | undefined }> = [];
let server: Server;
let apiServer = '';
let sa = '';
let otherCa = '';

const b64 = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));

beforeAll(async () => {
  const tls = selfSigned('server');
  otherCa = join(dir, 'other');
  mkdirSync(otherCa);
  writeFileSync(join(otherCa, 'ca.crt'), selfSigned('other').cert);
  writeFileSync(join(otherCa, 'token'), TOKEN);
  sa = join(dir, 'serviceaccount');
  mkdirSync(sa);
  writeFileSync(join(sa, 'ca.crt'), tls.cert);
  writeFileSync(join(sa, 'token'), `${TOKEN}\n`);
  writeFileSync(join(sa, 'namespace'), 'sa-ns\n');
  server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    requests.push({ path: req.url ?? '', auth: req.headers.authorization });
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { kind: 'Status', message: 'Unauthorized', code: 401 });
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/?]+))?$/.exec(req.url ?? '');
    if (!m || req.method !== 'GET') return send(404, { kind: 'Status', message: 'the server could not find the requested resource', code: 404 });
    const [, ns = '', name] = m;
    if (ns === 'forbidden') return send(403, { kind: 'Status', message: `secrets is forbidden: User "system:serviceaccount:x:y" cannot list resource "secrets" in namespace "${ns}"`, code: 403 });
    const secrets = cluster.get(ns) ?? new Map<string, Record<string, string>>();
    if (name === undefined) {
      return send(200, { kind: 'SecretList', items: [...secrets].map(([n, d]) => ({ metadata: { name: n, namespace: ns }, data: b64(d), type: 'Opaque' })) });
    }
    const data = secrets.get(name);
    if (!data) return send(404, { kind: 'Status', message: `secrets "${name}" not found`, reason: 'NotFound', code: 404 });
    send(200, { kind: 'Secret', metadata: { name, namespace: ns }, data: b64(data), type: 'Opaque' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  apiServer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cluster.set('default', new Map([['db', { username: 'admin', password: 'p@ss é' }]]));
  cluster.set('sa-ns', new Map([['from-sa', { k: 'sa' }]]));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const meta = (properties: Record<string, string>) => ({ name: 'kubernetes', type: 'secretstores.kubernetes', version: 'v1', properties, appId: 'app' });

async function store(properties: Record<string, string> = {}, env: Record<string, string> = {}): Promise<SecretStore> {
  const s = createKubernetesSecretStore(meta({ apiServer, serviceAccountPath: sa, ...properties }), { env, cwd: '/' });
  await s.init();
  return s;
}

const stores: SecretStore[] = [];
afterAll(() => Promise.all(stores.map((s) => s.close())));
const kept = async (p: Promise<SecretStore>) => {
  const s = await p;
  stores.push(s);
  return s;
};

describeSecretStoreConformance(
  'secretstores.kubernetes (fake API server)',
  async (fixture) => {
    cluster.set('conformance', new Map(Object.entries(fixture).map(([n, v]) => [n, { ...v }])));
    return store({ defaultNamespace: 'conformance' });
  },
  { features: [], exactBulk: true },
);

describe('secretstores.kubernetes specifics', () => {
  it('answers every key of a secret, base64-decoded, with the service account token', async () => {
    const s = await kept(store({ defaultNamespace: 'default' }));
    requests.length = 0;
    expect(await s.getSecret('db', {})).toEqual({ username: 'admin', password: 'p@ss é' });
    expect(requests).toEqual([{ path: '/api/v1/namespaces/default/secrets/db', auth: `Bearer ${TOKEN}` }]);
    expect(await s.bulkGetSecret({})).toEqual({ db: { username: 'admin', password: 'p@ss é' } });
  });

  it('picks the namespace: request metadata, then NAMESPACE, then defaultNamespace, then the service account', async () => {
    cluster.set('meta-ns', new Map([['x', { v: 'meta' }]]));
    cluster.set('env-ns', new Map([['x', { v: 'env' }]]));
    cluster.set('default-ns', new Map([['x', { v: 'default' }]]));
    cluster.set('sa-ns', new Map([['x', { v: 'sa' }]]));
    const both = await kept(store({ defaultNamespace: 'default-ns' }, { NAMESPACE: 'env-ns' }));
    expect(await both.getSecret('x', { namespace: 'meta-ns' })).toEqual({ v: 'meta' });
    expect(await both.getSecret('x', {})).toEqual({ v: 'env' });
    expect(await (await kept(store({ defaultNamespace: 'default-ns' }))).getSecret('x', {})).toEqual({ v: 'default' });
    expect(await (await kept(store())).getSecret('x', {})).toEqual({ v: 'sa' });
  });

  it('finds the API server from KUBERNETES_SERVICE_HOST/PORT', async () => {
    const s = createKubernetesSecretStore(meta({ serviceAccountPath: sa, defaultNamespace: 'default' }), {
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String((server.address() as AddressInfo).port) },
      cwd: '/',
    });
    await s.init();
    stores.push(s);
    expect(await s.getSecret('db', {})).toEqual({ username: 'admin', password: 'p@ss é' });
  });

  it('a missing secret is kind not-found with the API server message', async () => {
    const s = await kept(store({ defaultNamespace: 'default' }));
    const e = await s.getSecret('nope', {}).catch((x: unknown) => x);
    expect(isSecretStoreError(e) && e.errorKind).toBe('not-found');
    expect((e as Error).message).toBe('secrets "nope" not found');
  });

  it('refuses names that cannot be secrets without calling the server', async () => {
    const s = await kept(store({ defaultNamespace: 'default' }));
    requests.length = 0;
    for (const bad of ['../x', 'UPPER', 'a/b', '']) {
      const e = await s.getSecret(bad, {}).catch((x: unknown) => x);
      expect(isSecretStoreError(e) && e.errorKind).toBe('not-found');
    }
    const e = await s.getSecret('x', { namespace: '../kube-system' }).catch((x: unknown) => x);
    expect(isSecretStoreError(e) && e.errorKind).toBe('backend');
    expect(requests).toEqual([]);
  });

  it('reports an API refusal as a backend error', async () => {
    const s = await kept(store({ defaultNamespace: 'forbidden' }));
    const e = await s.bulkGetSecret({}).catch((x: unknown) => x);
    expect(isSecretStoreError(e) && e.errorKind).toBe('backend');
    expect((e as Error).message).toMatch(/^kubernetes API answered 403: secrets is forbidden/);
  });

  it('verifies the API server against the service account CA', async () => {
    const s = createKubernetesSecretStore(meta({ apiServer, serviceAccountPath: otherCa, defaultNamespace: 'default' }), { env: {}, cwd: '/' });
    await s.init();
    stores.push(s);
    const e = await s.getSecret('db', {}).catch((x: unknown) => x);
    expect(isSecretStoreError(e) && e.errorKind).toBe('backend');
    expect((e as Error).message).toMatch(/self[- ]signed certificate/);
  });

  it('fails init outside a pod, and refuses kubeconfigPath and plain http', async () => {
    const init = (properties: Record<string, string>) =>
      createKubernetesSecretStore(meta(properties), { env: {}, cwd: '/' })
        .init()
        .then(() => 'ok', (e: Error) => e.message);
    expect(await init({ serviceAccountPath: join(dir, 'nowhere') })).toMatch(/^not running in a Kubernetes pod with a service account: /);
    expect(await init({ serviceAccountPath: sa, kubeconfigPath: '/root/.kube/config' })).toMatch(/kubeconfigPath/);
    expect(await init({ serviceAccountPath: sa, apiServer: 'http://127.0.0.1:1' })).toMatch(/apiServer/);
  });

  it('without any namespace source, says so', async () => {
    const noNs = join(dir, 'no-ns');
    mkdirSync(noNs);
    writeFileSync(join(noNs, 'ca.crt'), readFileSync(join(sa, 'ca.crt')));
    writeFileSync(join(noNs, 'token'), TOKEN);
    const s = await kept(store({ serviceAccountPath: noNs }));
    const e = await s.getSecret('db', {}).catch((x: unknown) => x);
    expect((e as Error).message).toBe('namespace is missing on metadata and NAMESPACE env variable, and no default namespace is set');
  });
});
