import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkApp } from './app-spec';
import { loadRunFile, parseEnvFile } from './run-file';
import { isUsageError } from './run-flags';

let root: string;
const home = '/home/ada';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-runfile-'));
  for (const [p, body] of Object.entries(files)) {
    const full = join(dir, p);
    mkdirSync(join(full, '..'), { recursive: true });
    if (p.endsWith('/')) mkdirSync(full, { recursive: true });
    else writeFileSync(full, body);
  }
  return dir;
}

function load(yaml: string, extra: Record<string, string> = {}) {
  root = tree({ 'dapr.yaml': yaml, 'orders/': '', 'checkout/': '', 'components/': '', ...extra });
  return loadRunFile(join(root, 'dapr.yaml'), { cwd: root, homeDir: home });
}

function errorOf(yaml: string, extra: Record<string, string> = {}): string {
  try {
    const rf = load(yaml, extra);
    for (const a of rf.apps) checkApp(a, {}, root);
  } catch (e) {
    if (isUsageError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a usage error');
}

describe('loadRunFile', () => {
  it('reads apps with dapr\'s path rules and common defaults', () => {
    const rf = load(
      `version: 1
name: shop
common:
  resourcesPath: ./components
  logLevel: debug
  env:
    DEBUG: true
    SHARED: common
apps:
  - appID: orders
    appDirPath: ./orders
    appPort: 3000
    appProtocol: HTTP
    command: ["node", "app.js"]
    env:
      SHARED: own
  - appDirPath: checkout/
    daprHTTPPort: 3601
    logLevel: info
    configFilePath: ../config.yaml
`,
      { 'config.yaml': 'kind: Configuration' },
    );
    expect(rf.name).toBe('shop');
    expect(rf.display).toBe('dapr.yaml');
    const [orders, checkout] = rf.apps;
    expect(orders?.appId).toBe('orders');
    expect(orders?.appDir).toBe(join(root, 'orders'));
    expect(orders?.command).toEqual(['node', 'app.js']);
    expect(orders?.env).toEqual({ DEBUG: 'true', SHARED: 'own' });
    expect(orders?.runtimeArgv).toEqual([
      '--app-id=orders',
      '--app-port=3000',
      '--app-protocol=http',
      '--log-level=debug',
      `--resources-path=${join(root, 'components')}`,
    ]);
    expect(checkout?.appId).toBe('checkout');
    expect(checkout?.command).toEqual([]);
    expect(checkout?.runtimeArgv).toEqual([
      '--app-id=checkout',
      '--dapr-http-port=3601',
      '--log-level=info',
      `--resources-path=${join(root, 'components')}`,
      `--config=${join(root, 'config.yaml')}`,
    ]);
  });

  it('prefers an app\'s .dapr/resources and .dapr/config.yaml over common, as dapr does', () => {
    const rf = load(
      `version: 1
common:
  resourcesPaths: [./components]
apps:
  - appDirPath: ./orders
`,
      { 'orders/.dapr/resources/x.yaml': '', 'orders/.dapr/config.yaml': '' },
    );
    expect(rf.apps[0]?.runtimeArgv).toEqual(['--app-id=orders', `--resources-path=${join(root, 'orders/.dapr/resources')}`, `--config=${join(root, 'orders/.dapr/config.yaml')}`]);
  });

  it('accepts a folder (its dapr.yaml) and warns about fields without effect', () => {
    root = tree({ 'dapr.yaml': 'version: 1\napps:\n  - appDirPath: .\n    appLogDestination: file\n    placementHostAddress: x\n' });
    const rf = loadRunFile(root, { cwd: root, homeDir: home });
    expect(rf.file).toBe(join(root, 'dapr.yaml'));
    expect(rf.warnings).toEqual([
      'dapr.yaml: apps[0].appLogDestination has no effect in Tessera (logs always go to the console)',
      'dapr.yaml: apps[0].placementHostAddress has no effect in Tessera (placement is in-process)',
    ]);
  });

  it('treats zero ports as not given (picked free)', () => {
    const rf = load('version: 1\napps:\n  - appDirPath: ./orders\n    daprHTTPPort: 0\n    appPort: -1\n');
    expect(rf.apps[0]?.runtimeArgv).toEqual(['--app-id=orders']);
  });

  it('reads the common envFile under common.env and the app\'s env', () => {
    const rf = load('version: 1\ncommon:\n  envFile: .env\n  env: { B: common }\napps:\n  - appDirPath: ./orders\n    env: { C: app }\n', {
      '.env': 'A=file\nB=file\n# comment\nexport C="file"\n',
    });
    expect(rf.apps[0]?.env).toEqual({ A: 'file', B: 'common', C: 'app' });
  });
});

describe('run file errors: one line naming the file and the field', () => {
  const app = 'apps:\n  - appDirPath: ./orders\n';
  it.each([
    ['apps: []\n', 'dapr.yaml: version: required field not found (add version: 1)'],
    ['version: 2\n' + app, 'dapr.yaml: version: unsupported version 2; expected 1'],
    ['version: 1\n', 'dapr.yaml: apps: required field not found: list the apps to run'],
    ['version: 1\napps: []\n', 'dapr.yaml: apps: no apps to run'],
    ['version: 1\napps:\n  - appID: x\n', 'dapr.yaml: apps[0].appDirPath: required field not found'],
    ['version: 1\napps:\n  - appDirPath: ./nope\n', `dapr.yaml: apps[0].appDirPath: folder ./nope not found (looked at ${'<root>'}/nope)`],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    appPort: abc\n', 'dapr.yaml: apps[0].appPort: expected a port number, got the string "abc"'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    appPort: 70000\n', 'dapr.yaml: apps[0].appPort: expected a port number between 1 and 65535, got "70000"'],
    ['version: 1\ncommon:\n  logLevel: loud\n' + app, 'dapr.yaml: common.logLevel: expected one of debug, info, warn, error, fatal, got "loud"'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    appProtocol: ftp\n', 'dapr.yaml: apps[0].appProtocol: expected one of http, grpc, https, grpcs, h2c, got "ftp"'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    appPorts: 1\n', 'dapr.yaml: apps[0].appPorts: unknown field'],
    ['version: 1\ncommon:\n  appPort: 1\n' + app, 'dapr.yaml: common.appPort: unknown field under common (set it per app)'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    command: node app.js\n', 'dapr.yaml: apps[0].command: expected a list such as ["node", "app.js"], got the string "node app.js"'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n  - appDirPath: ./orders\n', 'dapr.yaml: apps[1].appDirPath: app id "orders" is already used by apps[0]'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    appID: "a b"\n', 'dapr.yaml: apps[0].appID: expected an id without spaces, "|" or "/", got "a b"'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    unixDomainSocket: /tmp\n', 'dapr.yaml: apps[0].unixDomainSocket: Unix domain sockets are not supported by Tessera; the Dapr APIs listen on TCP ports'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    resourcesPath: ./missing\n', 'dapr.yaml: apps[0].resourcesPath: folder ./missing not found (looked at <root>/orders/missing)'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    env: [A]\n', 'dapr.yaml: apps[0].env: expected a mapping of NAME: value, got a list'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    enableApiLogging: maybe\n', 'dapr.yaml: apps[0].enableApiLogging: expected true or false, got the string "maybe"'],
    ['version: 1\napps:\n  - appDirPath: ./orders\n    maxBodySize: 4MB\n', 'dapr.yaml: apps[0].maxBodySize: expected a size such as 4Mi, 4M or 4194304, got "4MB"'],
    ['version: 1\nextra: 1\n' + app, 'dapr.yaml: extra: unknown field (expected version, name, common, apps)'],
  ])('%j', (yaml, expected) => {
    const msg = errorOf(yaml);
    expect(msg.replace(root, '<root>')).toBe(expected);
    expect(msg).not.toContain('\n');
  });

  it('reports invalid YAML with its position', () => {
    expect(errorOf('version: 1\napps:\n  - appDirPath: [\n')).toMatch(/^dapr\.yaml: invalid YAML at line \d+, column \d+: /);
  });

  it('reports a missing run file and a folder without dapr.yaml', () => {
    root = tree({ 'x/': '' });
    expect(() => loadRunFile(join(root, 'nope.yaml'), { cwd: root, homeDir: home })).toThrow(`run file ${join(root, 'nope.yaml')}: not found`);
    expect(() => loadRunFile('x', { cwd: root, homeDir: home })).toThrow('run file x: the folder has no dapr.yaml');
  });
});

describe('parseEnvFile', () => {
  it('reads NAME=value lines', () => {
    expect(parseEnvFile('A=1\n\n# c\nB = "two words"\nC=\'x\'\nD=3 # note\nbad line\n')).toEqual({ A: '1', B: 'two words', C: 'x', D: '3' });
  });
});
