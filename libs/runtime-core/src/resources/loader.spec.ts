import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, LogFields } from '@tessera/observability';
import { isResourceError } from './resource-error';
import { loadResources, type LoadResourcesOptions } from './loader';

interface Entry {
  level: string;
  msg: string;
  fields?: LogFields;
}
function recorder(): { logger: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const make = (): Logger => ({
    level: 'debug',
    debug: (msg, fields) => entries.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => entries.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => entries.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => entries.push({ level: 'error', msg, fields }),
    child: () => make(),
  });
  return { logger: make(), entries };
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tessera-resources-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const base: LoadResourcesOptions = { appId: 'app1', namespace: 'default', env: {}, podName: 'pod-7' };
const load = (paths: string[], opts: Partial<LoadResourcesOptions> = {}) => loadResources(paths, { ...base, cwd: root, ...opts });

async function errorOf(paths: string[], opts: Partial<LoadResourcesOptions> = {}): Promise<string> {
  try {
    await load(paths, opts);
  } catch (e) {
    expect(isResourceError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a ResourceError');
}

const component = (name: string, type = 'state.in-memory', extra = ''): string =>
  `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata: []\n${extra}`;

describe('loadResources', () => {
  it('reads every kind from a multi-document file and skips unknown kinds', async () => {
    write(
      'resources/all.yaml',
      `${component('statestore')}
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata: {name: orders-sub}
spec: {pubsubname: pubsub, topic: orders, routes: {default: /orders}}
scopes: [app1]
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata: {name: old-sub}
spec: {pubsubname: pubsub, topic: t, route: /t}
---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: res}
spec: {policies: {timeouts: {general: 5s}}}
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata: {name: appconfig}
spec: {tracing: {samplingRate: "1"}}
---
apiVersion: dapr.io/v1alpha1
kind: HTTPEndpoint
metadata: {name: ext}
spec: {baseUrl: "https://example.com"}
---
apiVersion: dapr.io/v1alpha1
kind: Widget
metadata: {name: w}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
`,
    );
    const { logger, entries } = recorder();
    const r = await load([join(root, 'resources')], { logger });
    expect(r.components.map((c) => c.name)).toEqual(['statestore']);
    expect(r.subscriptions.map((s) => [s.name, s.apiVersion])).toEqual([
      ['orders-sub', 'dapr.io/v2alpha1'],
      ['old-sub', 'dapr.io/v1alpha1'],
    ]);
    expect(r.subscriptions[0]?.spec).toEqual({ pubsubname: 'pubsub', topic: 'orders', routes: { default: '/orders' } });
    expect(r.subscriptions[0]?.scopes).toEqual(['app1']);
    expect(r.subscriptions[0]?.file).toBe('resources/all.yaml');
    expect(r.resiliencies.map((x) => x.name)).toEqual(['res']);
    expect(r.configurations.map((x) => x.name)).toEqual(['appconfig']);
    expect(r.httpEndpoints.map((x) => x.spec)).toEqual([{ baseUrl: 'https://example.com' }]);
    const skipped = entries.filter((e) => e.level === 'debug' && e.msg.includes('unsupported kind'));
    expect(skipped.map((e) => e.fields?.['kind'])).toEqual(['Widget', 'Deployment']);
  });

  it('builds a ComponentSpec with defaults', async () => {
    write('c/statestore.yaml', component('statestore', 'state.redis', 'auth:\n  secretStore: vault\n'));
    const r = await load([join(root, 'c')]);
    expect(r.components[0]).toEqual({
      name: 'statestore',
      namespace: 'default',
      type: 'state.redis',
      version: 'v1',
      initTimeoutMs: 5000,
      ignoreErrors: false,
      metadata: {},
      scopes: [],
      file: 'c/statestore.yaml',
      authSecretStore: 'vault',
      usesNamespaceTemplate: false,
    });
    expect(Object.isFrozen(r.components[0])).toBe(true);
  });

  it('loads several paths in order, files by name, .yaml and .yml only, not recursively', async () => {
    write('a/b.yaml', component('b'));
    write('a/a.yml', component('a'));
    write('a/notes.txt', 'not yaml');
    write('a/nested/x.yaml', component('nested'));
    write('z/c.yaml', component('c'));
    const r = await load([join(root, 'z'), join(root, 'a')]);
    expect(r.components.map((c) => c.name)).toEqual(['c', 'a', 'b']);
  });

  it('accepts a single file as a path and skips empty documents', async () => {
    const f = write('one.yaml', `---\n${component('x')}---\n---\n`);
    const r = await load([f]);
    expect(r.components.map((c) => c.name)).toEqual(['x']);
  });

  it('stringifies values like Dapr', async () => {
    write(
      'c/v.yaml',
      component(
        'v',
        'state.redis',
        '',
      ).replace(
        'metadata: []',
        `metadata:
  - {name: str, value: "hello"}
  - {name: int, value: 42}
  - {name: float, value: 1.5}
  - {name: bool, value: true}
  - {name: nul, value: null}
  - {name: empty, value: ""}
  - {name: obj, value: {a: 1, b: [x]}}
  - {name: list, value: [1, "two"]}`,
      ),
    );
    const r = await load([join(root, 'c')]);
    expect(r.components[0]?.metadata).toEqual({
      str: 'hello',
      int: '42',
      float: '1.5',
      bool: 'true',
      nul: '',
      empty: '',
      obj: '{"a":1,"b":["x"]}',
      list: '[1,"two"]',
    });
  });

  it('matches field names case-insensitively, as Go does', async () => {
    write(
      'c/ci.yaml',
      `APIVersion: dapr.io/v1alpha1
Kind: Component
Metadata: {Name: ci}
Spec:
  Type: state.redis
  Version: v1
  InitTimeout: 1m
  IgnoreErrors: true
  Metadata:
    - {Name: host, Value: localhost}
    - {name: pass, secretkeyref: {NAME: pw}}
    - {name: fromEnv, envref: HOST_ENV}
auth:
  secretstore: mystore
Scopes: [app1]
`,
    );
    const resolver = jest.fn(async (store: string, name: string, key: string) => `${store}/${name}/${key}`);
    const r = await load([join(root, 'c')], { env: { HOST_ENV: 'h' }, secretResolver: resolver });
    expect(r.components[0]).toMatchObject({
      name: 'ci',
      initTimeoutMs: 60_000,
      ignoreErrors: true,
      authSecretStore: 'mystore',
      scopes: ['app1'],
      metadata: { host: 'localhost', pass: 'mystore/pw/pw', fromEnv: 'h' },
    });
    expect(resolver).toHaveBeenCalledWith('mystore', 'pw', 'pw');
  });

  it('resolves templates', async () => {
    write(
      'c/t.yaml',
      component('t', 'pubsub.redis').replace(
        'metadata: []',
        `metadata:
  - {name: consumerID, value: "{uuid}"}
  - {name: two, value: "{uuid}-{uuid}"}
  - {name: app, value: "{appID}-x"}
  - {name: ns, value: "{namespace}"}
  - {name: pod, value: "{podName}"}`,
      ),
    );
    const r = await load([join(root, 'c')], { namespace: 'prod' });
    const m = r.components[0]?.metadata ?? {};
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(m['consumerID']).toMatch(uuid);
    const [u1, u2] = [m['two']?.slice(0, 36), m['two']?.slice(37)];
    expect(u1).toMatch(uuid);
    expect(u2).toMatch(uuid);
    expect(u1).not.toBe(u2);
    expect(m['app']).toBe('app1-x');
    expect(m['ns']).toBe('prod.app1');
    expect(m['pod']).toBe('pod-7');
    expect(r.components[0]?.usesNamespaceTemplate).toBe(true);
  });

  it('uses POD_NAME or the host name for {podName} by default', async () => {
    write('c/p.yaml', component('p').replace('metadata: []', 'metadata: [{name: pod, value: "{podName}"}]'));
    const r = await loadResources([join(root, 'c')], { appId: 'a', namespace: 'default', env: { POD_NAME: 'pod-env' } });
    expect(r.components[0]?.metadata['pod']).toBe('pod-env');
  });

  it('loads a scoped component only for the apps in its scopes; a shared service keeps all', async () => {
    write('c/mine.yaml', component('mine', 'state.in-memory', 'scopes: [app1, app2]\n'));
    write('c/other.yaml', component('other', 'state.in-memory', 'scopes: [app3]\n'));
    write('c/all.yaml', component('all'));
    write(
      'c/sub.yaml',
      'apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {pubsubname: p, topic: t, routes: {default: /t}}\nscopes: [app3]\n',
    );
    const { logger, entries } = recorder();
    const app1 = await load([join(root, 'c')], { logger });
    expect(app1.components.map((c) => c.name)).toEqual(['all', 'mine']);
    expect(app1.subscriptions).toEqual([]);
    expect(entries.some((e) => e.msg.includes('not scoped to this app') && e.fields?.['component'] === 'other')).toBe(true);

    const shared = await load([join(root, 'c')], { appId: '' });
    expect(shared.components.map((c) => [c.name, c.scopes])).toEqual([
      ['all', []],
      ['mine', ['app1', 'app2']],
      ['other', ['app3']],
    ]);
    expect(shared.subscriptions.map((s) => s.name)).toEqual(['s']);
  });

  it('skips components of another namespace', async () => {
    write('c/a.yaml', component('a').replace('name: a', 'name: a\n  namespace: prod'));
    write('c/b.yaml', component('b').replace('name: b', 'name: b\n  namespace: default'));
    const r = await load([join(root, 'c')]);
    expect(r.components.map((c) => [c.name, c.namespace])).toEqual([['b', 'default']]);
  });

  it('resolves envRef, and warns when the variable is not set', async () => {
    write('c/e.yaml', component('e').replace('metadata: []', 'metadata: [{name: host, envRef: REDIS_HOST}, {name: missing, envRef: NOPE}]'));
    const { logger, entries } = recorder();
    const r = await load([join(root, 'c')], { env: { REDIS_HOST: 'redis:6379' }, logger });
    expect(r.components[0]?.metadata).toEqual({ host: 'redis:6379', missing: '' });
    expect(entries.filter((e) => e.level === 'warn').map((e) => e.fields)).toEqual([{ component: 'e', metadata: 'missing', envRef: 'NOPE' }]);
  });

  describe('secretKeyRef', () => {
    const withRef = (ref: string, extra = '') =>
      component('statestore', 'state.redis', extra).replace('metadata: []', `metadata:\n  - name: redisPassword\n    secretKeyRef: ${ref}`);

    it('falls back to the environment without a secret store', async () => {
      write('c/a.yaml', withRef('{name: REDIS_PASSWORD}'));
      write('c/b.yaml', withRef('{name: TOKEN, key: TOKEN}').replace('name: statestore', 'name: b'));
      write('c/c.yaml', withRef('{name: redis-secret, key: password}').replace('name: statestore', 'name: c'));
      const r = await load([join(root, 'c')], { env: { REDIS_PASSWORD: 'p1', TOKEN: 't', REDIS_SECRET_PASSWORD: 'p3' } });
      expect(r.components.map((c) => c.metadata['redisPassword'])).toEqual(['p1', 't', 'p3']);
    });

    it('says which variable to set when the secret is missing', async () => {
      write('resources/statestore.yaml', withRef('{name: redis-secret, key: password}'));
      expect(await errorOf([join(root, 'resources')])).toBe(
        'resources/statestore.yaml: component "statestore": spec.metadata[0] "redisPassword": secretKeyRef {name: "redis-secret", key: "password"} cannot be resolved: no secret store is loaded here; set the environment variable REDIS_SECRET_PASSWORD instead',
      );
    });

    it('uses the resolver with auth.secretStore', async () => {
      write('c/a.yaml', withRef('{name: redis-secret, key: password}', 'auth: {secretStore: vault}\n'));
      const r = await load([join(root, 'c')], { secretResolver: async (store, name, key) => (store === 'vault' && name === 'redis-secret' && key === 'password' ? 's3cr3t' : undefined) });
      expect(r.components[0]?.metadata['redisPassword']).toBe('s3cr3t');
    });

    it('reports a secret the store does not have, or a store failure', async () => {
      write('c/statestore.yaml', withRef('{name: redis-secret, key: password}', 'auth: {secretStore: vault}\n'));
      expect(await errorOf([join(root, 'c')], { secretResolver: async () => undefined })).toBe(
        'c/statestore.yaml: component "statestore": spec.metadata[0] "redisPassword": secretKeyRef {name: "redis-secret", key: "password"} was not found in secret store "vault"',
      );
      expect(
        await errorOf([join(root, 'c')], {
          secretResolver: async () => {
            throw new Error('secret store "vault" is not configured');
          },
        }),
      ).toBe(
        'c/statestore.yaml: component "statestore": spec.metadata[0] "redisPassword": secretKeyRef {name: "redis-secret", key: "password"} cannot be resolved from secret store "vault": secret store "vault" is not configured',
      );
    });

    it('with a resolver but no auth.secretStore, reads the environment', async () => {
      write('c/statestore.yaml', withRef('{name: pw}'));
      const resolver = jest.fn(async () => 'never');
      expect((await load([join(root, 'c')], { secretResolver: resolver, env: { pw: 'envpw' } })).components[0]?.metadata['redisPassword']).toBe('envpw');
      expect(resolver).not.toHaveBeenCalled();
      expect(await errorOf([join(root, 'c')], { secretResolver: resolver })).toBe(
        'c/statestore.yaml: component "statestore": spec.metadata[0] "redisPassword": secretKeyRef {name: "pw", key: "pw"} cannot be resolved: the component has no auth.secretStore; set the environment variable pw instead',
      );
    });

    it('skips a malformed component (no spec.type) when ignoreErrors is true', async () => {
      write('c/broken.yaml', 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: broken}\nspec:\n  version: v1\n  ignoreErrors: true\n  metadata: []\n');
      const res = await load([join(root, 'c')]);
      expect(res.components).toEqual([]);
    });

    it('skips a component whose secret cannot be resolved when ignoreErrors is true', async () => {
      write('c/statestore.yaml', withRef('{name: pw}').replace('version: v1', 'version: v1\n  ignoreErrors: true'));
      write('c/z.yaml', component('z'));
      const { logger, entries } = recorder();
      const r = await load([join(root, 'c')], { logger });
      expect(r.components.map((c) => c.name)).toEqual(['z']);
      expect(entries.some((e) => e.level === 'warn' && e.fields?.['component'] === 'statestore')).toBe(true);
    });

    describe('secret stores first (onSecretStore)', () => {
      const store = (name: string, extra = '', items = '[]') =>
        component(name, 'secretstores.local.file', extra).replace('metadata: []', `metadata: ${items}`);

      it('resolves secret stores before the components that read from them, in dependency order, keeping file order', async () => {
        write('c/a-state.yaml', withRef('{name: db, key: password}', 'auth: {secretStore: files}\n'));
        write('c/b-files.yaml', store('files', 'auth: {secretStore: vault}\n', '\n  - name: secretsFile\n    secretKeyRef: {name: path, key: path}'));
        write('c/c-vault.yaml', store('vault'));
        const started: string[] = [];
        const values: Record<string, Record<string, string>> = { vault: { path: 'secrets.json' }, files: { db: 's3cr3t' } };
        const r = await load([join(root, 'c')], {
          onSecretStore: async (spec) => {
            started.push(spec.name);
          },
          secretResolver: async (s, name, key) => {
            if (!started.includes(s)) throw new Error(`secret store ${s} is not started yet`);
            return name === 'path' ? values[s]?.[key] : values[s]?.[name];
          },
        });
        expect(started).toEqual(['vault', 'files']);
        expect(r.components.map((c) => c.name)).toEqual(['statestore', 'files', 'vault']);
        expect(r.components[0]?.metadata['redisPassword']).toBe('s3cr3t');
        expect(r.components[1]?.metadata['secretsFile']).toBe('secrets.json');
      });

      it('stops on secret stores that read from each other', async () => {
        write('c/a.yaml', store('a', 'auth: {secretStore: b}\n', '[{name: x, secretKeyRef: {name: x}}]'));
        write('c/b.yaml', store('b', 'auth: {secretStore: a}\n', '[{name: x, secretKeyRef: {name: x}}]'));
        expect(await errorOf([join(root, 'c')], { onSecretStore: async () => undefined, secretResolver: async () => 'v' })).toBe(
          'c/a.yaml: component "a": auth.secretStore: the secret stores "a", "b" read their secretKeyRefs from each other in a cycle; give one of them values or envRefs',
        );
      });

      it('does not hand over a secret store that is not loaded for this app, or skipped', async () => {
        write('c/a.yaml', store('scoped', 'scopes: [other]\n'));
        write('c/b.yaml', store('broken', '', '[{name: x, secretKeyRef: {name: MISSING}}]').replace('version: v1', 'version: v1\n  ignoreErrors: true'));
        const started: string[] = [];
        const r = await load([join(root, 'c')], { onSecretStore: async (spec) => void started.push(spec.name) });
        expect(started).toEqual([]);
        expect(r.components).toEqual([]);
      });

      it('stops loading when onSecretStore throws', async () => {
        write('c/a.yaml', store('files'));
        await expect(
          load([join(root, 'c')], {
            onSecretStore: async () => {
              throw new Error('c/a.yaml: component "files": failed to initialise secretstores.local.file: boom');
            },
          }),
        ).rejects.toThrow('failed to initialise secretstores.local.file: boom');
      });
    });

    it('does not resolve secrets of components that are not loaded for this app', async () => {
      write('c/statestore.yaml', withRef('{name: pw}', 'scopes: [other]\n'));
      expect((await load([join(root, 'c')])).components).toEqual([]);
    });
  });
});

describe('loadResources errors', () => {
  const cases: Array<[string, string, string]> = [
    [
      'bad type',
      component('statestore', 'redis'),
      'resources/statestore.yaml: component "statestore": spec.type: expected "<building block>.<implementation>" such as state.redis, got "redis"',
    ],
    [
      'missing type',
      component('statestore').replace('  type: state.in-memory\n', ''),
      'resources/statestore.yaml: component "statestore": spec.type: expected "<building block>.<implementation>" such as state.redis, got nothing',
    ],
    [
      'missing version',
      component('statestore').replace('  version: v1\n', ''),
      'resources/statestore.yaml: component "statestore": spec.version: expected a version such as "v1", got nothing',
    ],
    [
      'numeric version',
      component('statestore').replace('version: v1', 'version: 1'),
      'resources/statestore.yaml: component "statestore": spec.version: expected a version such as "v1", got 1',
    ],
    [
      'missing name',
      component('statestore').replace('  name: statestore\n', '  namespace: default\n'),
      'resources/statestore.yaml: component at line 1: metadata.name: expected a non-empty string, got nothing',
    ],
    [
      'missing spec',
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: statestore}\n',
      'resources/statestore.yaml: component "statestore": spec: expected a mapping with type, version and metadata, got nothing',
    ],
    [
      'metadata not a list',
      component('statestore').replace('metadata: []', 'metadata: {redisHost: localhost}'),
      'resources/statestore.yaml: component "statestore": spec.metadata: expected a list of {name, value | secretKeyRef | envRef}, got a mapping',
    ],
    [
      'entry without name',
      component('statestore').replace('metadata: []', 'metadata:\n    - value: x'),
      'resources/statestore.yaml: component "statestore": spec.metadata[0].name: expected a non-empty string, got nothing',
    ],
    [
      'entry not a mapping',
      component('statestore').replace('metadata: []', 'metadata:\n    - redisHost'),
      'resources/statestore.yaml: component "statestore": spec.metadata[0]: expected a mapping {name, value | secretKeyRef | envRef}, got "redisHost"',
    ],
    [
      'entry with no value',
      component('statestore').replace('metadata: []', 'metadata:\n    - {name: a, value: x}\n    - name: redisHost'),
      'resources/statestore.yaml: component "statestore": spec.metadata[1] "redisHost": expected one of value, secretKeyRef or envRef',
    ],
    [
      'entry with two sources',
      component('statestore').replace('metadata: []', 'metadata:\n    - {name: redisHost, value: x, envRef: HOST}'),
      'resources/statestore.yaml: component "statestore": spec.metadata[0] "redisHost": expected only one of value, secretKeyRef or envRef, got value and envRef',
    ],
    [
      'secretKeyRef without name',
      component('statestore').replace('metadata: []', 'metadata:\n    - {name: pw, secretKeyRef: {key: k}}'),
      'resources/statestore.yaml: component "statestore": spec.metadata[0] "pw": secretKeyRef.name: expected a secret name, got nothing',
    ],
    [
      'bad initTimeout',
      component('statestore').replace('version: v1', 'version: v1\n  initTimeout: 5'),
      'resources/statestore.yaml: component "statestore": spec.initTimeout: expected a Go duration such as 5s, 1m30s or 500ms, got "5"',
    ],
    [
      'bad ignoreErrors',
      component('statestore').replace('version: v1', 'version: v1\n  ignoreErrors: sometimes'),
      'resources/statestore.yaml: component "statestore": spec.ignoreErrors: expected true or false, got "sometimes"',
    ],
    [
      'bad scopes',
      component('statestore', 'state.in-memory', 'scopes: app1\n'),
      'resources/statestore.yaml: component "statestore": scopes: expected a list of app ids, got "app1"',
    ],
    [
      'bad apiVersion',
      component('statestore').replace('dapr.io/v1alpha1', 'dapr.io/v2'),
      'resources/statestore.yaml: component "statestore": apiVersion: expected "dapr.io/v1alpha1", got "dapr.io/v2"',
    ],
    [
      'bad YAML',
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.redis\n  version: v1\n  metadata: [\n    {name: a, value: b}\n  - oops\n',
      'resources/statestore.yaml: line 10, column 3: invalid YAML: ',
    ],
    [
      'duplicate key',
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nkind: Component\n',
      'resources/statestore.yaml: line 3, column 1: invalid YAML: Map keys must be unique',
    ],
    [
      'nameless document in a multi-document file',
      `${component('ok')}---\napiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {}\nspec: {type: state.redis, version: v1}\n`,
      'resources/statestore.yaml: component at document 2 (line 10): metadata.name: expected a non-empty string, got nothing',
    ],
    [
      'nameless subscription',
      'apiVersion: dapr.io/v2alpha1\nkind: Subscription\nspec: {topic: t}\n',
      'resources/statestore.yaml: Subscription at line 1: metadata.name: expected a non-empty string, got nothing',
    ],
    [
      'subscription with a bad apiVersion',
      'apiVersion: dapr.io/v3\nkind: Subscription\nmetadata: {name: s}\n',
      'resources/statestore.yaml: Subscription "s": apiVersion: expected "dapr.io/v2alpha1" or "dapr.io/v1alpha1", got "dapr.io/v3"',
    ],
  ];

  it.each(cases)('%s', async (_label, text, message) => {
    write('resources/statestore.yaml', text);
    const got = await errorOf([join(root, 'resources')]);
    if (message.endsWith(': ')) expect(got.startsWith(message)).toBe(true);
    else expect(got).toBe(message);
    expect(got).not.toContain('\n');
  });

  it('refuses duplicate component names, naming both files', async () => {
    write('a/one.yaml', component('statestore'));
    write('b/two.yaml', component('statestore'));
    expect(await errorOf([join(root, 'a'), join(root, 'b')])).toBe(
      'b/two.yaml: component "statestore": metadata.name: a component with this name is already defined in a/one.yaml; component names must be unique',
    );
  });

  it('refuses a resources path that does not exist', async () => {
    expect(await errorOf([join(root, 'nope')])).toBe('nope: resources path does not exist; expected a folder of resource YAML files');
  });

  it('shows absolute paths outside cwd', async () => {
    write('x/statestore.yaml', component('statestore', 'redis'));
    const msg = await errorOf([join(root, 'x')], { cwd: '/somewhere/else' });
    expect(msg.startsWith(`${join(root, 'x', 'statestore.yaml')}: component "statestore"`)).toBe(true);
  });
});
