// Process settings of the runtime command, parsed once at boot from daprd-style flags and the
// environment into a frozen RuntimeConfig. A bad value stops start-up with a ConfigError naming
// the flag (or variable) and what was expected. This is the only module that knows environment
// variable names; callers pass `process.env` in, nothing else in Tessera reads it.
//
// Flag syntax follows Go's flag package, as daprd does: `--flag value`, `--flag=value`, one or
// two leading dashes; a boolean flag is `--flag` or `--flag=false`, never `--flag false`.
// Precedence: flag, then environment variable, then default.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isLogLevel, type LogLevel } from '@tessera/observability';
import { ENV_VARS, FLAG_BY_NAME, FLAGS, type FlagDef } from './flags';
import { tryParseQuantity, quantityExpectation } from '../util/quantity';

export const APP_PROTOCOLS = ['http', 'grpc', 'https', 'grpcs', 'h2c'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];
export type RuntimeMode = 'standalone' | 'kubernetes';

export interface AppHealthCheckConfig {
  readonly enabled: boolean;
  readonly path: string;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly threshold: number;
}

export interface RuntimeConfig {
  /** '' when not given (a building-block service serving every app). */
  readonly appId: string;
  readonly appPort: number | undefined;
  readonly appProtocol: AppProtocol;
  readonly appChannelAddress: string;
  /** undefined = unlimited. */
  readonly appMaxConcurrency: number | undefined;
  readonly appHealthCheck: AppHealthCheckConfig;
  readonly daprHttpPort: number;
  readonly daprGrpcPort: number;
  /** Internal (gateway-to-gateway) port; 0 = a free port, picked at start-up (standalone default). */
  readonly daprInternalGrpcPort: number;
  readonly daprPublicPort: number | undefined;
  readonly listenAddresses: readonly string[];
  readonly maxBodySizeBytes: number;
  readonly readBufferSizeBytes: number;
  readonly allowedOrigins: string;
  /** undefined = follow the Configuration resource. */
  readonly enableApiLogging: boolean | undefined;
  /** Absolute folders, in the order given. Empty = embedded default resources. */
  readonly resourcesPaths: readonly string[];
  /** Absolute path of the Configuration file, if any. */
  readonly configPath: string | undefined;
  readonly logLevel: LogLevel;
  readonly logAsJson: boolean;
  readonly enableMetrics: boolean;
  readonly metricsPort: number;
  readonly gracefulShutdownSeconds: number;
  readonly mode: RuntimeMode;
  /** env NAMESPACE, default "default" (as daprd in self-hosted mode). */
  readonly namespace: string;
  /** env DAPR_API_TOKEN; undefined = API calls are not authenticated. */
  readonly apiToken: string | undefined;
  /** env APP_API_TOKEN; sent to the app when set. */
  readonly appApiToken: string | undefined;
  /** env DAPR_HTTP_DISABLE_H2C truthy. */
  readonly disableH2c: boolean;
  /** host:port of a remote state-svc (split mode for state); undefined = in-process. */
  readonly stateSvcAddress: string | undefined;
  /** host:port of a remote secrets-svc (split mode for secrets); undefined = in-process. */
  readonly secretsSvcAddress: string | undefined;
  /** host:port of a remote lock-svc (split mode for the distributed lock); undefined = in-process. */
  readonly lockSvcAddress: string | undefined;
  /** host:port of a remote configuration-svc (split mode for configuration); undefined = in-process. */
  readonly configurationSvcAddress: string | undefined;
  /** host:port of a remote pubsub-svc (split mode for pub/sub); undefined = in-process. */
  readonly pubsubSvcAddress: string | undefined;
  /** host:port of a remote bindings-svc (split mode for bindings); undefined = in-process. */
  readonly bindingsSvcAddress: string | undefined;
  /** Absolute folder of the embedded stores. */
  readonly dataDir: string;
  /** Absolute per-user folder shared by the user's runtimes on this machine (--tessera-home, TESSERA_HOME). */
  readonly tesseraHome: string;
  /** daprd flags given that Tessera accepts but ignores (the caller logs a warning). */
  readonly ignoredFlags: readonly string[];
  /** Deprecated daprd flags given (still honoured; the caller logs a warning). */
  readonly deprecatedFlags: readonly string[];
  /** --help / -h was given. */
  readonly help: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A bad flag or environment variable. Test `isConfigError(e)`, not instanceof. */
export class ConfigError extends Error {
  readonly kind = 'tessera.config-error' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.config-error';
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** Where a value came from, for error messages: `--app-port` or `APP_PORT`. */
interface Raw {
  readonly value: string;
  readonly source: string;
}

export function parseRuntimeArgs(argv: readonly string[], env: Env, cwd: string): RuntimeConfig {
  const given = new Map<string, string[]>();
  let help = false;
  const deprecated: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h' || arg === '-help') {
      help = true;
      continue;
    }
    const m = /^--?([^=-][^=]*)(?:=([\s\S]*))?$/.exec(arg);
    if (m === null) {
      const prev = i > 0 ? FLAG_BY_NAME.get(String(argv[i - 1]).replace(/^--?/, '')) : undefined;
      const hint = prev?.kind === 'bool' ? ` (a boolean flag takes its value as --${prev.name}=${arg})` : '';
      throw new ConfigError(`unexpected argument "${arg}"${hint}; run with --help to list the flags`);
    }
    const name = m[1] as string;
    const def = FLAG_BY_NAME.get(name);
    if (def === undefined) throw new ConfigError(`--${name}: unknown flag; run with --help to list the flags`);
    let value = m[2];
    if (value === undefined) {
      if (def.kind === 'bool') value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new ConfigError(`--${name}: expected a value (${def.arg ?? 'value'})`);
        value = next;
        i++;
      }
    }
    const target = def.aliasOf ?? def.name;
    const list = given.get(target) ?? [];
    list.push(value);
    given.set(target, list);
    if (def.deprecated === true && !deprecated.includes(`--${name}`)) deprecated.push(`--${name}`);
  }
  return deepFreeze({ ...build(new Reader(given, env), env, cwd), deprecatedFlags: deprecated, help });
}

class Reader {
  constructor(
    private readonly given: ReadonlyMap<string, readonly string[]>,
    private readonly env: Env,
  ) {}

  has(name: string): boolean {
    return this.given.has(name);
  }

  /** The last value given for a flag, else its env var, else its default. */
  raw(name: string): Raw | undefined {
    const def = flag(name);
    const values = this.given.get(name);
    if (values !== undefined && values.length > 0) return { value: values[values.length - 1] as string, source: `--${name}` };
    if (def.env !== undefined) {
      const v = this.env[def.env];
      if (v !== undefined && v !== '') return { value: v, source: def.env };
    }
    if (def.default !== undefined) return { value: def.default, source: `--${name} default` };
    return undefined;
  }

  all(name: string): readonly string[] {
    return this.given.get(name) ?? [];
  }

  string(name: string): string | undefined {
    return this.raw(name)?.value;
  }

  bool(name: string): boolean | undefined {
    const r = this.raw(name);
    if (r === undefined) return undefined;
    if (TRUE.has(r.value)) return true;
    if (FALSE.has(r.value)) return false;
    throw new ConfigError(`${r.source}: expected true or false, got "${r.value}"`);
  }

  int(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const r = this.raw(name);
    if (r === undefined) return undefined;
    const n = /^[+-]?\d+$/.test(r.value.trim()) ? Number(r.value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
      throw new ConfigError(`${r.source}: expected ${range}, got "${r.value}"`);
    }
    return n;
  }

  port(name: string, min = 0): number | undefined {
    const r = this.raw(name);
    if (r === undefined) return undefined;
    const n = /^\d+$/.test(r.value.trim()) ? Number(r.value) : NaN;
    if (!Number.isInteger(n) || n < min || n > 65535) {
      throw new ConfigError(`${r.source}: expected a port number between ${min} and 65535, got "${r.value}"`);
    }
    return n;
  }

  size(name: string): number | undefined {
    const r = this.raw(name);
    if (r === undefined) return undefined;
    const n = tryParseQuantity(r.value);
    if (n === undefined || n <= 0) throw new ConfigError(`${r.source}: ${quantityExpectation(r.value)}`);
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const r = this.raw(name);
    if (r === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(r.value)) {
      throw new ConfigError(`${r.source}: expected one of ${allowed.join(', ')}, got "${r.value}"`);
    }
    return r.value as T;
  }
}

function flag(name: string): FlagDef {
  const def = FLAG_BY_NAME.get(name);
  if (def === undefined) throw new Error(`internal: flag ${name} is not declared`);
  return def;
}

function build(r: Reader, env: Env, cwd: string): Omit<RuntimeConfig, 'deprecatedFlags' | 'help'> {
  const path = (p: string): string => (isAbsolute(p) ? resolve(p) : resolve(cwd, p));

  let appProtocol = r.oneOf('app-protocol', APP_PROTOCOLS) ?? 'http';
  if (r.bool('app-ssl') === true) {
    if (appProtocol === 'http') appProtocol = 'https';
    else if (appProtocol === 'grpc') appProtocol = 'grpcs';
  }

  const maxConcurrency = r.int('app-max-concurrency', -1) ?? -1;

  let maxBodySizeBytes = r.size('max-body-size') as number;
  if (!r.has('max-body-size') && r.has('dapr-http-max-request-size')) {
    maxBodySizeBytes = (r.int('dapr-http-max-request-size', 1) as number) * 1024 * 1024;
  }
  let readBufferSizeBytes = r.size('read-buffer-size') as number;
  if (!r.has('read-buffer-size') && r.has('dapr-http-read-buffer-size')) {
    readBufferSizeBytes = (r.int('dapr-http-read-buffer-size', 1) as number) * 1024;
  }

  const listenAddresses = (r.string('dapr-listen-addresses') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (listenAddresses.length === 0) throw new ConfigError('--dapr-listen-addresses: expected one or more addresses separated by commas, e.g. 127.0.0.1 or 0.0.0.0');

  const logLevelRaw = r.raw('log-level') as Raw;
  const logLevelValue = logLevelRaw.value === 'warning' ? 'warn' : logLevelRaw.value;
  if (!isLogLevel(logLevelValue)) {
    throw new ConfigError(`${logLevelRaw.source}: expected one of debug, info, warn, error, fatal, got "${logLevelRaw.value}"`);
  }

  const stateSvc = r.raw('state-svc-address');
  if (stateSvc !== undefined && !isHostPort(stateSvc.value)) {
    throw new ConfigError(`${stateSvc.source}: expected host:port, e.g. state-svc:50101 or 127.0.0.1:50101, got "${stateSvc.value}"`);
  }

  const secretsSvc = r.raw('secrets-svc-address');
  if (secretsSvc !== undefined && !isHostPort(secretsSvc.value)) {
    throw new ConfigError(`${secretsSvc.source}: expected host:port, e.g. secrets-svc:50104 or 127.0.0.1:50104, got "${secretsSvc.value}"`);
  }

  const pubsubSvc = r.raw('pubsub-svc-address');
  if (pubsubSvc !== undefined && !isHostPort(pubsubSvc.value)) {
    throw new ConfigError(`${pubsubSvc.source}: expected host:port, e.g. pubsub-svc:50102 or 127.0.0.1:50102, got "${pubsubSvc.value}"`);
  }

  const bindingsSvc = r.raw('bindings-svc-address');
  if (bindingsSvc !== undefined && !isHostPort(bindingsSvc.value)) {
    throw new ConfigError(`${bindingsSvc.source}: expected host:port, e.g. bindings-svc:50103 or 127.0.0.1:50103, got "${bindingsSvc.value}"`);
  }

  const lockSvc = r.raw('lock-svc-address');
  if (lockSvc !== undefined && !isHostPort(lockSvc.value)) {
    throw new ConfigError(`${lockSvc.source}: expected host:port, e.g. lock-svc:50106 or 127.0.0.1:50106, got "${lockSvc.value}"`);
  }

  const configurationSvc = r.raw('configuration-svc-address');
  if (configurationSvc !== undefined && !isHostPort(configurationSvc.value)) {
    throw new ConfigError(
      `${configurationSvc.source}: expected host:port, e.g. configuration-svc:50105 or 127.0.0.1:50105, got "${configurationSvc.value}"`,
    );
  }

  const appId = r.string('app-id') ?? '';
  // "||" separates key parts in the state layout (<appId>||<key>), "/" splits invoke URLs.
  if (appId !== '' && !/^[^\s|/]+$/.test(appId)) {
    throw new ConfigError(`${r.raw('app-id')?.source ?? '--app-id'}: expected an id without spaces, "|" or "/", got "${appId}"`);
  }

  const resourcesPaths = r.all('resources-path').map((p) => {
    if (p.trim() === '') throw new ConfigError('--resources-path: expected a folder, got ""');
    return path(p);
  });
  const config = r.string('config');
  const dataDir = r.string('data-dir') as string;
  if (dataDir.trim() === '') throw new ConfigError('--data-dir: expected a folder, got ""');
  const home = r.raw('tessera-home') as Raw;
  if (home.value.trim() === '') throw new ConfigError(`${home.source}: expected a folder, got ""`);

  const ignoredFlags = FLAGS.filter((f) => f.ignored === true && r.has(f.name)).map((f) => `--${f.name}`);

  return {
    appId,
    appPort: r.port('app-port', 1),
    appProtocol,
    appChannelAddress: r.string('app-channel-address') as string,
    appMaxConcurrency: maxConcurrency > 0 ? maxConcurrency : undefined,
    appHealthCheck: {
      enabled: r.bool('enable-app-health-check') as boolean,
      path: r.string('app-health-check-path') as string,
      probeIntervalMs: (r.int('app-health-probe-interval', 1) as number) * 1000,
      probeTimeoutMs: r.int('app-health-probe-timeout', 1) as number,
      threshold: r.int('app-health-threshold', 1) as number,
    },
    daprHttpPort: r.port('dapr-http-port') as number,
    daprGrpcPort: r.port('dapr-grpc-port') as number,
    daprInternalGrpcPort:
      r.port('dapr-internal-grpc-port') ?? (r.oneOf<RuntimeMode>('mode', ['standalone', 'kubernetes']) === 'kubernetes' ? 50002 : 0),
    daprPublicPort: r.port('dapr-public-port'),
    listenAddresses,
    maxBodySizeBytes,
    readBufferSizeBytes,
    allowedOrigins: r.string('allowed-origins') as string,
    enableApiLogging: r.bool('enable-api-logging'),
    resourcesPaths,
    configPath: config === undefined || config === '' ? undefined : path(config),
    logLevel: logLevelValue,
    logAsJson: r.bool('log-as-json') as boolean,
    enableMetrics: r.bool('enable-metrics') as boolean,
    metricsPort: r.port('metrics-port') as number,
    gracefulShutdownSeconds: r.int('dapr-graceful-shutdown-seconds', 0) as number,
    mode: r.oneOf<RuntimeMode>('mode', ['standalone', 'kubernetes']) as RuntimeMode,
    namespace: nonEmpty(env['NAMESPACE']) ?? 'default',
    apiToken: nonEmpty(env['DAPR_API_TOKEN']),
    appApiToken: nonEmpty(env['APP_API_TOKEN']),
    disableH2c: truthy(env['DAPR_HTTP_DISABLE_H2C']),
    stateSvcAddress: stateSvc?.value,
    secretsSvcAddress: secretsSvc?.value,
    lockSvcAddress: lockSvc?.value,
    pubsubSvcAddress: pubsubSvc?.value,
    bindingsSvcAddress: bindingsSvc?.value,
    configurationSvcAddress: configurationSvc?.value,
    dataDir: path(dataDir),
    tesseraHome: path(expandHome(home.value, env)),
    ignoredFlags,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function truthy(s: string | undefined): boolean {
  return s !== undefined && ['1', 't', 'true', 'y', 'yes', 'on'].includes(s.trim().toLowerCase());
}

/** A leading `~` (alone or before a separator) is the user's home folder, as a shell expands it. */
function expandHome(p: string, env: Env): string {
  if (p !== '~' && !p.startsWith('~/') && !p.startsWith('~\\')) return p;
  const home = nonEmpty(env['HOME']) ?? nonEmpty(env['USERPROFILE']) ?? homedir();
  return join(home, p.slice(1));
}

function isHostPort(s: string): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(s);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The runtime command's help: every flag with its default, environment variable and meaning. */
export function runtimeHelp(): string {
  const rows = FLAGS.map((f) => {
    const left = `  --${f.name}${f.kind === 'bool' ? '' : ` <${f.arg ?? 'value'}>`}`;
    const extras = [
      f.default !== undefined ? `default ${f.default === '' ? '""' : f.default}` : undefined,
      f.env !== undefined ? `env ${f.env}` : undefined,
      f.kind === 'repeat' ? 'repeatable' : undefined,
    ].filter((x): x is string => x !== undefined);
    return { left, right: extras.length > 0 ? `${f.help} (${extras.join('; ')})` : f.help };
  });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  const envWidth = Math.max(...ENV_VARS.map((e) => e.name.length)) + 4;
  return [
    'Usage: tessera runtime [flags]',
    '',
    'Flags (daprd\'s names; --flag value, --flag=value, boolean flags as --flag or --flag=false):',
    ...rows.map((r) => r.left.padEnd(width) + r.right),
    '  --help'.padEnd(width) + 'Print this help',
    '',
    'Environment:',
    ...ENV_VARS.map((e) => `  ${e.name}`.padEnd(envWidth) + e.help),
    '',
  ].join('\n');
}
