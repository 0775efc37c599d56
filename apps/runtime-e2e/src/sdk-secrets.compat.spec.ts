// Compatibility: the official Dapr JS SDK (@dapr/dapr 3.x) reads secrets from Tessera unchanged,
// over HTTP and gRPC, in both topologies (all-in-one; split = gateway + secrets-svc as separate
// processes): secretstores.local.file (flat and multiValued, secretsFile relative to the working
// folder) and secretstores.local.env (prefix), secret scopes from the --config Configuration,
// daprd's errors (401 for an unknown store, 403 for a denied key, 500 for a missing one and when
// no store is configured), the metadata API, and Components whose secretKeyRefs resolve through a
// local.file store at start-up (state.sqlite's connectionString; state.redis's redisHost,
// redisPassword and keyPrefix, observed in the keys written to Redis).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaprClient } from '@dapr/dapr';
import { redisSkipReason, testRedisUrl } from '@tessera/testing';
import { redisHash, sqliteRow } from './support/backends';
import { inMemoryStateYaml } from './support/components';
import { freePort, resourcesDir, startApp, startCli, startRuntime, startSecretsSvc, tempDir } from './support/processes';
import type { Runtime, SecretsSvc } from './support/processes';
import { GrpcCode, expectedShape, ok, sdkClient, sdkError, shapeOf } from './support/sdk';
import type { ExpectedDaprError, Protocol } from './support/sdk';

type Mode = 'all-in-one' | 'split';
const MODES: Mode[] = ['all-in-one', 'split'];
const PROTOCOLS: Protocol[] = ['HTTP', 'gRPC'];
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

const REDIS_SKIP = redisSkipReason();
if (REDIS_SKIP !== undefined) console.warn(`SKIPPED: state.redis configured through secretKeyRef (secrets e2e): ${REDIS_SKIP}`);
const redisUrl = new URL(testRedisUrl());

const NOT_FOUND: ExpectedDaprError = { http: { status: 401, errorCode: 'ERR_SECRET_STORE_NOT_FOUND' }, grpc: { code: GrpcCode.InvalidArgument } };
const DENIED: ExpectedDaprError = { http: { status: 403, errorCode: 'ERR_PERMISSION_DENIED' }, grpc: { code: GrpcCode.PermissionDenied } };
const GET_FAILED: ExpectedDaprError = { http: { status: 500, errorCode: 'ERR_SECRET_GET' }, grpc: { code: GrpcCode.Internal } };
const NONE_CONFIGURED: ExpectedDaprError = { http: { status: 500, errorCode: 'ERR_SECRET_STORES_NOT_CONFIGURED' }, grpc: { code: GrpcCode.FailedPrecondition } };

const FLAT = { 'greeting-file': 'hi from a file', nested: { inner: 'deep', list: ['zero', 'one'] }, unicode: 'é€😀' };
const FLAT_BULK = {
  'greeting-file': { 'greeting-file': 'hi from a file' },
  'nested:inner': { 'nested:inner': 'deep' },
  'nested:list:0': { 'nested:list:0': 'zero' },
  'nested:list:1': { 'nested:list:1': 'one' },
  unicode: { unicode: 'é€😀' },
};

const component = (name: string, type: string, metadata: string, extra = ''): string =>
  `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${metadata}${extra}`;

/** The working folder (secrets files), resources and Configuration of one topology. */
function setup(mode: Mode): { cwd: string; resources: string; config: string; sqlitePath: string; prefix: string } {
  const cwd = tempDir(`tessera-secrets-${mode}-`);
  const sqlitePath = join(cwd, 'from-secret.db');
  const prefix = `e2e-${RUN}-${mode}`;
  writeFileSync(join(cwd, 'secrets.json'), JSON.stringify({ ...FLAT, sqlitePath }));
  writeFileSync(
    join(cwd, 'multi.json'),
    JSON.stringify({
      db: { user: 'admin', password: 's3cr3t' },
      redis: { host: redisUrl.host, password: decodeURIComponent(redisUrl.password), prefix },
    }),
  );
  const files: Record<string, string> = {
    'localfile.yaml': component('localfile', 'secretstores.local.file', '    - {name: secretsFile, value: secrets.json}\n'),
    'multifile.yaml': component('multifile', 'secretstores.local.file', '    - {name: secretsFile, value: multi.json}\n    - {name: multiValued, value: "true"}\n'),
    'envstore.yaml': component('envstore', 'secretstores.local.env', '    - {name: prefix, value: E2E_}\n'),
    // secretKeyRef without key: the key is the secret's name (single-value local.file).
    'sqlitestore.yaml': component('sqlitestore', 'state.sqlite', '    - name: connectionString\n      secretKeyRef: {name: sqlitePath}\n', 'auth:\n  secretStore: localfile\n'),
  };
  if (REDIS_SKIP === undefined) {
    files['statestore.yaml'] = component(
      'statestore',
      'state.redis',
      [
        '    - name: redisHost\n      secretKeyRef: {name: redis, key: host}',
        '    - name: redisPassword\n      secretKeyRef: {name: redis, key: password}',
        '    - name: keyPrefix\n      secretKeyRef: {name: redis, key: prefix}',
      ].join('\n') + '\n',
      'auth:\n  secretStore: multifile\n',
    );
  }
  const resources = resourcesDir(files);
  const config = join(resourcesDir({}), 'config.yaml');
  writeFileSync(
    config,
    `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: secretscopes
spec:
  secrets:
    scopes:
      - storeName: envstore
        deniedSecrets: [DENIED]
      - storeName: multifile
        defaultAccess: deny
        allowedSecrets: [db]
`,
  );
  return { cwd, resources, config, sqlitePath, prefix };
}

describe.each(MODES)('SDK secrets: %s', (mode) => {
  const s = setup(mode);
  const appId = `sdk-secrets-${mode}`;
  const env = (where: string) => ({ E2E_GREETING: 'hello', E2E_DENIED: 'nope', E2E_WHERE: where });
  let svc: SecretsSvc | undefined;
  let rt: Runtime;
  const clients = new Map<Protocol, DaprClient>();

  beforeAll(async () => {
    if (mode === 'split') {
      svc = await startSecretsSvc({ resources: [s.resources], cwd: s.cwd, env: env('secrets-svc') });
      rt = await startRuntime({ appId, resources: [s.resources], config: s.config, secretsSvc: svc.address, cwd: s.cwd, env: env('gateway') });
    } else {
      rt = await startRuntime({ appId, resources: [s.resources], config: s.config, cwd: s.cwd, env: env('runtime') });
    }
    for (const p of PROTOCOLS) clients.set(p, sdkClient(p, rt));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...clients.values()].map((c) => c.stop().catch(() => undefined)));
    await rt?.stop();
    await svc?.stop();
  });

  describe.each(PROTOCOLS)('%s', (protocol) => {
    const client = (): DaprClient => clients.get(protocol) as DaprClient;

    it('get: a local.file secret, flattened names included', async () => {
      expect(await client().secret.get('localfile', 'greeting-file')).toEqual({ 'greeting-file': 'hi from a file' });
      expect(await client().secret.get('localfile', 'nested:inner')).toEqual({ 'nested:inner': 'deep' });
      expect(await client().secret.get('localfile', 'unicode')).toEqual({ unicode: 'é€😀' });
    });

    it('get: a local.env secret, prefix stripped, from the process that serves the block', async () => {
      expect(await client().secret.get('envstore', 'GREETING')).toEqual({ GREETING: 'hello' });
      expect(await client().secret.get('envstore', 'WHERE')).toEqual({ WHERE: mode === 'split' ? 'secrets-svc' : 'runtime' });
    });

    it('get: a multiValued secret answers its keys (the gRPC SDK keeps only the first)', async () => {
      const got = (await client().secret.get('multifile', 'db')) as Record<string, string>;
      if (protocol === 'HTTP') expect(got).toEqual({ user: 'admin', password: 's3cr3t' });
      else expect([{ user: 'admin' }, { password: 's3cr3t' }]).toContainEqual(got);
    });

    it('getBulk: every secret of the store, by name', async () => {
      expect(await client().secret.getBulk('localfile')).toEqual({ ...FLAT_BULK, sqlitePath: { sqlitePath: s.sqlitePath } });
    });

    it('secret scopes: a denied key is 403, and bulk leaves denied keys out', async () => {
      expect(shapeOf(await sdkError(protocol, () => client().secret.get('envstore', 'DENIED')))).toEqual(expectedShape(protocol, DENIED));
      const env = (await client().secret.getBulk('envstore')) as Record<string, Record<string, string>>;
      expect(env['GREETING']).toEqual({ GREETING: 'hello' });
      expect(env['DENIED']).toBeUndefined();
      // allowedSecrets [db]: redis is denied to the API, though the state store read it at start-up
      expect(shapeOf(await sdkError(protocol, () => client().secret.get('multifile', 'redis')))).toEqual(expectedShape(protocol, DENIED));
      expect(await client().secret.getBulk('multifile')).toEqual({ db: { user: 'admin', password: 's3cr3t' } });
    });

    it('bad input: unknown store 401, missing secret 500', async () => {
      const unknown = await sdkError(protocol, () => client().secret.get('nosuchstore', 'k'));
      expect(shapeOf(unknown)).toEqual(expectedShape(protocol, NOT_FOUND));
      expect(unknown.message).toBe('failed finding secret store with key nosuchstore');
      expect(shapeOf(await sdkError(protocol, () => client().secret.getBulk('nosuchstore')))).toEqual(expectedShape(protocol, NOT_FOUND));
      const missing = await sdkError(protocol, () => client().secret.get('localfile', 'nope'));
      expect(shapeOf(missing)).toEqual(expectedShape(protocol, GET_FAILED));
      expect(missing.message).toBe('failed getting secret with key nope from secret store localfile: secret nope not found');
    });

    it('metadata lists the secret stores with their capabilities', async () => {
      const md = (await client().metadata.get()) as { components?: Array<{ name: string; type: string; capabilities?: string[] }> };
      const byName = new Map((md.components ?? []).map((c) => [c.name, c]));
      expect(byName.get('localfile')?.type).toBe('secretstores.local.file');
      expect(byName.get('envstore')?.type).toBe('secretstores.local.env');
      expect(byName.get('multifile')?.capabilities).toEqual(['MULTIPLE_KEY_VALUES_PER_SECRET']);
    });
  });

  it('HTTP: metadata.* query parameters pass through to the store', async () => {
    const c = clients.get('HTTP') as DaprClient;
    expect(await c.secret.get('localfile', 'greeting-file', 'metadata.version_id=2')).toEqual({ 'greeting-file': 'hi from a file' });
  });

  it('secretKeyRef through local.file (key omitted = the secret name): state.sqlite writes where the secret says', async () => {
    const c = clients.get('HTTP') as DaprClient;
    await ok(c.state.save('sqlitestore', [{ key: 'from-secret', value: { ok: true } }]));
    expect(existsSync(s.sqlitePath)).toBe(true);
    expect(sqliteRow(s.sqlitePath, `${appId}||from-secret`)?.value).toBe('{"ok":true}');
  });

  (REDIS_SKIP === undefined ? it : it.skip)(
    `secretKeyRef through local.file: state.redis gets redisHost, redisPassword and keyPrefix from it${REDIS_SKIP ? ` — SKIPPED: ${REDIS_SKIP}` : ''}`,
    async () => {
      const c = clients.get('gRPC') as DaprClient;
      await ok(c.state.save('statestore', [{ key: 'k1', value: { via: 'secretKeyRef' } }]));
      expect(await c.state.get('statestore', 'k1')).toEqual({ via: 'secretKeyRef' });
      const hash = await redisHash(`${s.prefix}||k1`);
      expect(JSON.parse(hash['data'] ?? 'null')).toEqual({ via: 'secretKeyRef' });
    },
  );
});

describe.each(MODES)('SDK secrets with no secret store configured: %s', (mode) => {
  let svc: SecretsSvc | undefined;
  let rt: Runtime;
  const clients = new Map<Protocol, DaprClient>();

  beforeAll(async () => {
    const resources = [resourcesDir({ 'statestore.yaml': inMemoryStateYaml('statestore') })];
    if (mode === 'split') {
      svc = await startSecretsSvc({ resources });
      rt = await startRuntime({ appId: 'no-secrets', resources, secretsSvc: svc.address });
    } else {
      rt = await startRuntime({ appId: 'no-secrets', resources });
    }
    for (const p of PROTOCOLS) clients.set(p, sdkClient(p, rt));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...clients.values()].map((c) => c.stop().catch(() => undefined)));
    await rt?.stop();
    await svc?.stop();
  });

  it.each(PROTOCOLS)('%s: get and getBulk answer 500 ERR_SECRET_STORES_NOT_CONFIGURED', async (protocol) => {
    const c = clients.get(protocol) as DaprClient;
    const e = await sdkError(protocol, () => c.secret.get('secretstore', 'k'));
    expect(shapeOf(e)).toEqual(expectedShape(protocol, NONE_CONFIGURED));
    expect(e.message).toBe('secret store is not configured');
    expect(shapeOf(await sdkError(protocol, () => c.secret.getBulk('secretstore')))).toEqual(expectedShape(protocol, NONE_CONFIGURED));
  });
});

describe('secret stores at start-up', () => {
  const nonEmptyLines = (s: string) => s.split('\n').filter((l) => l.trim() !== '' && !l.includes('level=info'));

  it('the embedded defaults serve a local.env store named secretstore', async () => {
    const rt = await startRuntime({ env: { EMBEDDED_PROBE: 'yes', DAPR_PROBE: 'never' } });
    try {
      const c = sdkClient('HTTP', rt);
      expect(await c.secret.get('secretstore', 'EMBEDDED_PROBE')).toEqual({ EMBEDDED_PROBE: 'yes' });
      expect(await c.secret.get('secretstore', 'DAPR_PROBE')).toEqual({ DAPR_PROBE: '' });
      await c.stop().catch(() => undefined);
    } finally {
      await rt.stop();
    }
  });

  it('skips secret stores that cannot run or start when spec.ignoreErrors is true, and serves the rest', async () => {
    const cwd = tempDir('tessera-secrets-start-');
    writeFileSync(join(cwd, 's.json'), '{"a":"b"}');
    const ignore = '  ignoreErrors: true\n';
    const dir = resourcesDir({
      'a.yaml': component('vault', 'secretstores.hashicorp.vault', '    - {name: vaultAddr, value: x}\n').replace('  metadata:\n', `${ignore}  metadata:\n`),
      'b.yaml': component('broken', 'secretstores.local.file', '    - {name: secretsFile, value: missing.json}\n').replace('  metadata:\n', `${ignore}  metadata:\n`),
      'c.yaml': component('files', 'secretstores.local.file', '    - {name: secretsFile, value: s.json}\n'),
    });
    const rt = await startRuntime({ resources: [dir], cwd });
    try {
      const md = (await (await fetch(`${rt.http}/v1.0/metadata`)).json()) as { components: Array<{ name: string }> };
      expect(md.components.map((c) => c.name)).toEqual(['files']);
      expect(await (await fetch(`${rt.http}/v1.0/secrets/files/a`)).json()).toEqual({ a: 'b' });
      expect((await fetch(`${rt.http}/v1.0/secrets/broken/a`)).status).toBe(401);
      expect(rt.proc.stderr).toMatch(/component .*broken.*: skipped \(spec.ignoreErrors\)/);
    } finally {
      await rt.stop();
    }
  });

  it.each([
    [
      'a secretKeyRef to a secret store that is not loaded',
      { 'state.yaml': component('statestore', 'state.in-memory', '    - name: x\n      secretKeyRef: {name: a, key: b}\n', 'auth:\n  secretStore: vault\n') },
      'state.yaml: component "statestore": spec.metadata[0] "x": secretKeyRef {name: "a", key: "b"} cannot be resolved from secret store "vault": no secret store is loaded',
    ],
    [
      'a secret the store does not hold',
      {
        'a.yaml': component('files', 'secretstores.local.file', '    - {name: secretsFile, value: s.json}\n'),
        'b.yaml': component('statestore', 'state.in-memory', '    - name: x\n      secretKeyRef: {name: nope}\n', 'auth:\n  secretStore: files\n'),
      },
      'b.yaml: component "statestore": spec.metadata[0] "x": secretKeyRef {name: "nope", key: "nope"} cannot be resolved from secret store "files": secret nope not found',
    ],
    [
      'a local.file store whose file is missing',
      { 'a.yaml': component('files', 'secretstores.local.file', '    - {name: secretsFile, value: missing.json}\n') },
      'a.yaml: component "files": failed to initialise secretstores.local.file: metadata field "secretsFile": expected a readable JSON file',
    ],
    [
      'a secret store type this build does not have',
      { 'v.yaml': component('vault', 'secretstores.hashicorp.vault', '    - {name: vaultAddr, value: x}\n') },
      'v.yaml: component "vault": spec.type: unknown component type "secretstores.hashicorp.vault"; known secretstores types: secretstores.kubernetes, secretstores.local.env, secretstores.local.file',
    ],
  ])('%s stops start-up with one line', async (_name, files, message) => {
    const cwd = tempDir('tessera-secrets-start-');
    writeFileSync(join(cwd, 's.json'), '{"a":"b"}');
    const dir = resourcesDir(files);
    const proc = startApp('all-in-one', ['--resources-path', dir, '--dapr-http-port', '0', '--dapr-grpc-port', '0'], { cwd });
    expect(await proc.waitExit(15_000)).toBe(1);
    const lines = nonEmptyLines(proc.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
  });
});

describe('secrets in a multi-app run (tessera run -f): one shared block, each app its own scopes', () => {
  it('applies each app\'s Configuration to its own gateway', async () => {
    const dir = tempDir('tessera-secrets-multi-');
    writeFileSync(join(dir, 'secrets.json'), '{"a":"1","b":"2"}');
    const res = resourcesDir({ 'files.yaml': component('files', 'secretstores.local.file', '    - {name: secretsFile, value: secrets.json}\n') });
    writeFileSync(
      join(dir, 'config-a.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: {name: a}\nspec:\n  secrets:\n    scopes:\n      - {storeName: files, allowedSecrets: [a]}\n',
    );
    const [pa, pb] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'dapr.yaml'),
      `version: 1\ncommon:\n  resourcesPath: ${res}\napps:\n  - appID: scoped\n    appDirPath: .\n    daprHTTPPort: ${pa}\n    configFilePath: ./config-a.yaml\n  - appID: open\n    appDirPath: .\n    daprHTTPPort: ${pb}\n`,
    );
    const run = startCli(['run', '-f', join(dir, 'dapr.yaml')], { env: { TESSERA_HOME: tempDir('tessera-home-') } });
    try {
      for (const port of [pa, pb]) {
        for (let i = 0; ; i++) {
          const ok = await fetch(`http://127.0.0.1:${port}/v1.0/healthz`).then((r) => r.status === 204, () => false);
          if (ok) break;
          if (i > 200 || run.exitCode !== undefined) throw new Error(`app on ${port} not up:\n${run.output}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const scoped = sdkClient('HTTP', { httpPort: pa, grpcPort: 0 });
      const open = sdkClient('HTTP', { httpPort: pb, grpcPort: 0 });
      expect(shapeOf(await sdkError('HTTP', () => scoped.secret.get('files', 'b')))).toEqual(expectedShape('HTTP', DENIED));
      expect(await scoped.secret.getBulk('files')).toEqual({ a: { a: '1' } });
      expect(await open.secret.get('files', 'b')).toEqual({ b: '2' });
      expect(await open.secret.getBulk('files')).toEqual({ a: { a: '1' }, b: { b: '2' } });
      await Promise.all([scoped.stop(), open.stop()].map((p) => p.catch(() => undefined)));
    } finally {
      await run.stop();
    }
  });
});
