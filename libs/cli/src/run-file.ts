// The multi-app run file of `tessera run -f`: Dapr's format (dapr.yaml: version, common, apps[]),
// read into one AppSpec per app. Paths follow dapr's rules: absolute paths are used as they are,
// a leading ~ is the home folder, paths under `common` and every `appDirPath` are relative to the
// file's folder, other paths of an app are relative to its appDirPath. Resources and the
// Configuration file are found as dapr finds them: the app's own field, else
// <appDirPath>/.dapr/resources (or .dapr/config.yaml) when it exists, else common's, else the
// runtime's embedded defaults. Every problem is one line naming the file and the field.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { AppSpec } from './app-spec';
import { appIdFromFolder } from './app-spec';
import { UsageError } from './run-flags';

type FieldType = 'port' | 'int' | 'string' | 'bool' | 'protocol';

interface FieldDef {
  readonly type: FieldType;
  /** Runtime flag; undefined = not a runtime flag (handled here or ignored). */
  readonly flag?: string;
  /** May appear under `common`. */
  readonly shared: boolean;
  /** <= 0 means "not set" (dapr's zero values). */
  readonly zeroIsUnset?: boolean;
}

// Fields that map straight to a runtime flag. Paths, command, env and the app id are handled apart.
const FIELDS: Readonly<Record<string, FieldDef>> = {
  appPort: { type: 'port', flag: 'app-port', shared: false, zeroIsUnset: true },
  daprHTTPPort: { type: 'port', flag: 'dapr-http-port', shared: false, zeroIsUnset: true },
  daprGRPCPort: { type: 'port', flag: 'dapr-grpc-port', shared: false, zeroIsUnset: true },
  daprInternalGRPCPort: { type: 'port', flag: 'dapr-internal-grpc-port', shared: false, zeroIsUnset: true },
  metricsPort: { type: 'port', flag: 'metrics-port', shared: false, zeroIsUnset: true },
  appChannelAddress: { type: 'string', flag: 'app-channel-address', shared: false },
  appProtocol: { type: 'protocol', flag: 'app-protocol', shared: true },
  apiListenAddresses: { type: 'string', flag: 'dapr-listen-addresses', shared: true },
  logLevel: { type: 'string', flag: 'log-level', shared: true },
  appMaxConcurrency: { type: 'int', flag: 'app-max-concurrency', shared: true, zeroIsUnset: true },
  appSSL: { type: 'bool', flag: 'app-ssl', shared: true },
  maxBodySize: { type: 'string', flag: 'max-body-size', shared: true },
  readBufferSize: { type: 'string', flag: 'read-buffer-size', shared: true },
  daprHTTPMaxRequestSize: { type: 'int', flag: 'dapr-http-max-request-size', shared: true, zeroIsUnset: true },
  daprHTTPReadBufferSize: { type: 'int', flag: 'dapr-http-read-buffer-size', shared: true, zeroIsUnset: true },
  enableAppHealthCheck: { type: 'bool', flag: 'enable-app-health-check', shared: true },
  appHealthCheckPath: { type: 'string', flag: 'app-health-check-path', shared: true },
  appHealthProbeInterval: { type: 'int', flag: 'app-health-probe-interval', shared: true, zeroIsUnset: true },
  appHealthProbeTimeout: { type: 'int', flag: 'app-health-probe-timeout', shared: true, zeroIsUnset: true },
  appHealthThreshold: { type: 'int', flag: 'app-health-threshold', shared: true, zeroIsUnset: true },
  enableApiLogging: { type: 'bool', flag: 'enable-api-logging', shared: true },
  // Tessera's own
  logAsJson: { type: 'bool', flag: 'log-as-json', shared: true },
};

const SPECIAL_APP = new Set(['appID', 'appDirPath', 'command', 'env', 'resourcesPath', 'resourcesPaths', 'configFilePath', 'dataDir']);
const SPECIAL_COMMON = new Set(['env', 'envFile', 'resourcesPath', 'resourcesPaths', 'configFilePath', 'dataDir']);
/** dapr fields with no meaning here: accepted, reported once. */
const IGNORED: Readonly<Record<string, string>> = {
  placementHostAddress: 'placement is in-process',
  schedulerHostAddress: 'the scheduler is in-process',
  enableProfiling: 'profiling is not supported',
  profilePort: 'profiling is not supported',
  runtimePath: 'the runtime is the tessera process',
  daprPath: 'the runtime is the tessera process',
  appLogDestination: 'logs always go to the console',
  daprdLogDestination: 'logs always go to the console',
  containerImage: 'Kubernetes runs are not supported',
  containerImagePullPolicy: 'Kubernetes runs are not supported',
  createService: 'Kubernetes runs are not supported',
};
const UNSUPPORTED: Readonly<Record<string, string>> = {
  unixDomainSocket: 'Unix domain sockets are not supported by Tessera; the Dapr APIs listen on TCP ports',
};
const TOP_LEVEL = new Set(['version', 'common', 'apps', 'name']);

export interface RunFile {
  /** Absolute path of the file. */
  readonly file: string;
  /** The path as shown in messages. */
  readonly display: string;
  readonly name: string | undefined;
  readonly apps: readonly AppSpec[];
  /** Fields accepted for dapr compatibility that have no effect. */
  readonly warnings: readonly string[];
}

export interface RunFileContext {
  readonly cwd: string;
  /** What a leading ~ stands for. */
  readonly homeDir: string;
}

/** Resolves `-f <path>`: a folder means its dapr.yaml, as dapr does. */
export function resolveRunFilePath(path: string, cwd: string, homeDir: string): string {
  const abs = absolute(path, cwd, homeDir);
  if (!existsSync(abs)) throw new UsageError(`run file ${path}: not found`);
  if (statSync(abs).isDirectory()) {
    const f = join(abs, 'dapr.yaml');
    if (!existsSync(f)) throw new UsageError(`run file ${path}: the folder has no dapr.yaml`);
    return f;
  }
  if (!/\.ya?ml$/i.test(abs)) throw new UsageError(`run file ${path}: not a YAML file (expected .yaml or .yml)`);
  return abs;
}

export function loadRunFile(path: string, ctx: RunFileContext): RunFile {
  const file = resolveRunFilePath(path, ctx.cwd, ctx.homeDir);
  const text = readFileSync(file, 'utf8');
  const rel = relative(ctx.cwd, file);
  const display = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  return parseRunFile(text, file, display, ctx.homeDir);
}

type YamlMap = Record<string, unknown>;

function isMap(v: unknown): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v === 'string' ? 'the string' : typeof v} ${JSON.stringify(v)}`;
}

function absolute(p: string, base: string, homeDir: string): string {
  const expanded = p === '~' ? homeDir : p.startsWith('~/') ? join(homeDir, p.slice(2)) : p;
  return isAbsolute(expanded) ? resolve(expanded) : resolve(base, expanded);
}

/** Parses run file text; `file` is its absolute path (relative paths resolve against its folder). */
export function parseRunFile(text: string, file: string, display: string, homeDir: string): RunFile {
  const fail = (field: string, problem: string): never => {
    throw new UsageError(`${display}: ${field ? `${field}: ` : ''}${problem}`);
  };
  const doc = parseDocument(text);
  const yamlErr = doc.errors[0];
  if (yamlErr !== undefined) {
    const at = yamlErr.linePos?.[0];
    fail('', `invalid YAML${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${(yamlErr.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const root: unknown = doc.toJS();
  if (!isMap(root)) return fail('', `expected a mapping with version, common and apps, got ${describe(root)}`);
  for (const k of Object.keys(root)) if (!TOP_LEVEL.has(k)) fail(k, 'unknown field (expected version, name, common, apps)');
  if (root['version'] === undefined || root['version'] === null) fail('version', 'required field not found (add version: 1)');
  if (root['version'] !== 1 && root['version'] !== '1') fail('version', `unsupported version ${JSON.stringify(root['version'])}; expected 1`);
  const name = root['name'];
  if (name !== undefined && name !== null && typeof name !== 'string') fail('name', `expected a string, got ${describe(name)}`);

  const baseDir = dirname(file);
  const warnings: string[] = [];
  const warned = new Set<string>();
  const scalar = (field: string, v: unknown, type: FieldType): string => {
    if (typeof v === 'object' || v === undefined) return fail(field, `expected ${type === 'port' ? 'a port number' : type === 'bool' ? 'true or false' : 'a value'}, got ${describe(v)}`);
    const s = String(v).trim();
    if ((type === 'port' || type === 'int') && !/^[+-]?\d+$/.test(s)) fail(field, `expected ${type === 'port' ? 'a port number' : 'an integer'}, got ${describe(v)}`);
    if (type === 'bool' && typeof v !== 'boolean' && !/^(true|false)$/i.test(s)) fail(field, `expected true or false, got ${describe(v)}`);
    return type === 'bool' || type === 'protocol' ? s.toLowerCase() : s;
  };
  const pathOf = (field: string, v: unknown, base: string, kind: 'folder' | 'file'): string => {
    if (typeof v !== 'string' || v.trim() === '') return fail(field, `expected a path, got ${describe(v)}`);
    const abs = absolute(v, base, homeDir);
    if (!existsSync(abs)) return fail(field, `${kind} ${v} not found (looked at ${abs})`);
    const isDir = statSync(abs).isDirectory();
    if (kind === 'folder' && !isDir) fail(field, `${v} is not a folder`);
    if (kind === 'file' && isDir) fail(field, `${v} is a folder, expected a file`);
    return abs;
  };
  const pathsOf = (at: string, m: YamlMap, base: string): string[] => {
    const out: string[] = [];
    const many = m['resourcesPaths'];
    if (many !== undefined && many !== null) {
      // dapr takes a list; a comma-separated string is accepted as the docs show one.
      const list = typeof many === 'string' ? many.split(',').map((s) => s.trim()).filter((s) => s !== '') : many;
      if (!Array.isArray(list)) fail(`${at}.resourcesPaths`, `expected a list of folders, got ${describe(many)}`);
      (list as unknown[]).forEach((p, i) => out.push(pathOf(`${at}.resourcesPaths[${i}]`, p, base, 'folder')));
    }
    const one = m['resourcesPath'];
    if (one !== undefined && one !== null && one !== '') out.push(pathOf(`${at}.resourcesPath`, one, base, 'folder'));
    return out;
  };
  const envOf = (field: string, v: unknown): Record<string, string> => {
    if (v === undefined || v === null) return {};
    if (!isMap(v)) return fail(field, `expected a mapping of NAME: value, got ${describe(v)}`);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (isMap(val) || Array.isArray(val)) fail(`${field}.${k}`, `expected a value, got ${describe(val)}`);
      out[k] = val === null || val === undefined ? '' : String(val);
    }
    return out;
  };
  const checkKeys = (at: string, m: YamlMap, isCommon: boolean): void => {
    for (const k of Object.keys(m)) {
      const u = UNSUPPORTED[k];
      if (u !== undefined) fail(`${at}.${k}`, u);
      if (IGNORED[k] !== undefined) {
        if (!warned.has(k)) warnings.push(`${display}: ${at}.${k} has no effect in Tessera (${IGNORED[k]})`);
        warned.add(k);
        continue;
      }
      const def = FIELDS[k];
      const known = isCommon ? SPECIAL_COMMON.has(k) || def?.shared === true : SPECIAL_APP.has(k) || def !== undefined;
      if (!known) {
        const hint = isCommon && (SPECIAL_APP.has(k) || def !== undefined) ? ' under common (set it per app)' : '';
        fail(`${at}.${k}`, `unknown field${hint}`);
      }
    }
  };

  const absoluteField = (field: string, v: unknown, base: string): string => {
    if (typeof v !== 'string' || v.trim() === '') return fail(field, `expected a path, got ${describe(v)}`);
    return absolute(v, base, homeDir);
  };

  const commonRaw = root['common'];
  if (commonRaw !== undefined && commonRaw !== null && !isMap(commonRaw)) fail('common', `expected a mapping, got ${describe(commonRaw)}`);
  const common: YamlMap = isMap(commonRaw) ? commonRaw : {};
  checkKeys('common', common, true);
  const commonResources = pathsOf('common', common, baseDir);
  const commonConfig = common['configFilePath'] ? pathOf('common.configFilePath', common['configFilePath'], baseDir, 'file') : undefined;
  const commonDataDir = common['dataDir'] !== undefined && common['dataDir'] !== null ? absoluteField('common.dataDir', common['dataDir'], baseDir) : undefined;
  let fileEnv: Record<string, string> = {};
  if (common['envFile'] !== undefined && common['envFile'] !== null) {
    fileEnv = parseEnvFile(readFileSync(pathOf('common.envFile', common['envFile'], baseDir, 'file'), 'utf8'));
  }
  const commonEnv = envOf('common.env', common['env']);

  const appsRaw = root['apps'];
  if (appsRaw === undefined || appsRaw === null) fail('apps', 'required field not found: list the apps to run');
  if (!Array.isArray(appsRaw)) return fail('apps', `expected a list of apps, got ${describe(appsRaw)}`);
  if (appsRaw.length === 0) fail('apps', 'no apps to run');

  const seen = new Map<string, number>();
  const apps = appsRaw.map((raw: unknown, i): AppSpec => {
    const at = `apps[${i}]`;
    if (!isMap(raw)) return fail(at, `expected a mapping with appDirPath, appID, command, …, got ${describe(raw)}`);
    checkKeys(at, raw, false);
    if (raw['appDirPath'] === undefined || raw['appDirPath'] === null || raw['appDirPath'] === '') fail(`${at}.appDirPath`, 'required field not found');
    const appDir = pathOf(`${at}.appDirPath`, raw['appDirPath'], baseDir, 'folder');

    const idRaw = raw['appID'];
    if (idRaw !== undefined && idRaw !== null && typeof idRaw !== 'string' && typeof idRaw !== 'number') fail(`${at}.appID`, `expected a string, got ${describe(idRaw)}`);
    const appId = idRaw === undefined || idRaw === null || idRaw === '' ? appIdFromFolder(appDir) : String(idRaw);
    const idField = idRaw === undefined || idRaw === null || idRaw === '' ? `${at}.appDirPath` : `${at}.appID`;
    const before = seen.get(appId);
    if (before !== undefined) fail(idField, `app id "${appId}" is already used by apps[${before}]`);
    seen.set(appId, i);

    const argv: string[] = [];
    const sources = new Map<string, string>();
    const set = (flag: string, value: string, source: string): void => {
      argv.push(`--${flag}=${value}`);
      sources.set(flag, source);
    };
    set('app-id', appId, idField);

    for (const [key, def] of Object.entries(FIELDS)) {
      if (def.flag === undefined) continue;
      const own = raw[key];
      const fromCommon = (own === undefined || own === null) && def.shared;
      const v = fromCommon ? common[key] : own;
      if (v === undefined || v === null) continue;
      const field = `${fromCommon ? 'common' : at}.${key}`;
      const value = scalar(field, v, def.type);
      if (def.zeroIsUnset === true && /^-?\d+$/.test(value) && Number(value) <= 0 && !(key === 'appMaxConcurrency' && value === '-1')) continue;
      set(def.flag, value, field);
    }

    // resources: the app's own, else <appDir>/.dapr/resources, else common's, else embedded defaults
    let resources = pathsOf(at, raw, appDir);
    let resourcesSource = `${at}.resourcesPaths`;
    if (resources.length === 0) {
      const local = join(appDir, '.dapr', 'resources');
      if (existsSync(local) && statSync(local).isDirectory()) {
        resources = [local];
        resourcesSource = `${at}.appDirPath (.dapr/resources)`;
      } else {
        resources = commonResources;
        resourcesSource = 'common.resourcesPaths';
      }
    }
    for (const r of resources) set('resources-path', r, resourcesSource);

    let configPath: string | undefined;
    let configSource = `${at}.configFilePath`;
    if (raw['configFilePath'] !== undefined && raw['configFilePath'] !== null && raw['configFilePath'] !== '') {
      configPath = pathOf(`${at}.configFilePath`, raw['configFilePath'], appDir, 'file');
    } else if (existsSync(join(appDir, '.dapr', 'config.yaml'))) {
      configPath = join(appDir, '.dapr', 'config.yaml');
      configSource = `${at}.appDirPath (.dapr/config.yaml)`;
    } else if (commonConfig !== undefined) {
      configPath = commonConfig;
      configSource = 'common.configFilePath';
    }
    if (configPath !== undefined) set('config', configPath, configSource);

    const dataDir = raw['dataDir'] !== undefined && raw['dataDir'] !== null ? absoluteField(`${at}.dataDir`, raw['dataDir'], appDir) : commonDataDir;
    if (dataDir !== undefined) set('data-dir', dataDir, raw['dataDir'] !== undefined ? `${at}.dataDir` : 'common.dataDir');

    const cmdRaw = raw['command'];
    let command: string[] = [];
    if (cmdRaw !== undefined && cmdRaw !== null) {
      if (typeof cmdRaw === 'string') fail(`${at}.command`, `expected a list such as ["node", "app.js"], got ${describe(cmdRaw)}`);
      if (!Array.isArray(cmdRaw)) fail(`${at}.command`, `expected a list such as ["node", "app.js"], got ${describe(cmdRaw)}`);
      command = (cmdRaw as unknown[]).map((c, j) => scalar(`${at}.command[${j}]`, c, 'string'));
      if (command.length > 0 && (command[0] as string).trim() === '') fail(`${at}.command[0]`, 'expected the program to run, got ""');
    }

    const env = { ...fileEnv, ...commonEnv, ...envOf(`${at}.env`, raw['env']) };
    return { appId, appDir, command, env, runtimeArgv: argv, sources, errorPrefix: `${display}: ` };
  });

  return { file, display, name: typeof name === 'string' ? name : undefined, apps, warnings };
}

/** A .env file: NAME=value lines, # comments, optional `export `, values optionally quoted. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (m === null) continue;
    let v = m[2] as string;
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"');
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1] as string] = v;
  }
  return out;
}
