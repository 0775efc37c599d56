// The flags of `tessera run`: the flags of `dapr run` (names, shorthands, defaults) plus two of
// Tessera's own. One table feeds the parser and `tessera run --help`. Values are checked where
// they are used: the runtime's own parser (runtime-core) validates everything it receives, so a
// bad value reads `--app-port: expected a port number …` whichever command it came through.
//
// Syntax is pflag's, as dapr's: `--flag value`, `--flag=value`, `-a value`, `-a=value`, `-avalue`;
// a boolean flag is `--flag` or `--flag=false`. The app's command follows `--`, or starts at the
// first argument that is not a flag; everything after it belongs to the app.

export type RunFlagKind = 'value' | 'bool' | 'repeat';

export interface RunFlagDef {
  /** Long name without dashes, as `dapr run` spells it. */
  readonly name: string;
  readonly short?: string;
  readonly kind: RunFlagKind;
  /** Placeholder for the value in the help text. */
  readonly arg?: string;
  /** Default as shown in the help text. */
  readonly default?: string;
  readonly help: string;
  /** Runtime flag the value goes to; undefined = handled by `tessera run` itself. */
  readonly runtime?: string;
  /** Accepted so dapr command lines keep working; no effect (a warning is printed). */
  readonly ignored?: boolean;
  /** Accepted and honoured, but the help points to the replacement. */
  readonly deprecated?: string;
  /** Rejected with this explanation. */
  readonly unsupported?: string;
  /** Allowed together with --run-file. */
  readonly withRunFile?: boolean;
}

const FREE = 'a free port';

export const RUN_FLAGS: readonly RunFlagDef[] = [
  { name: 'app-id', short: 'a', kind: 'value', arg: 'id', runtime: 'app-id', default: 'the current folder\'s name', help: 'The id of your app, used for service invocation, state key prefixes and pub/sub; given to the app as APP_ID' },
  { name: 'app-port', short: 'p', kind: 'value', arg: 'port', runtime: 'app-port', help: 'The port your app listens on; unset = the app receives no calls. Given to the app as APP_PORT' },
  { name: 'app-protocol', short: 'P', kind: 'value', arg: 'protocol', runtime: 'app-protocol', default: 'http', help: 'The protocol the runtime uses to call the app: http, grpc, https, grpcs or h2c (given to the app as APP_PROTOCOL)' },
  { name: 'app-channel-address', kind: 'value', arg: 'host', runtime: 'app-channel-address', default: '127.0.0.1', help: 'The network address the app listens on' },
  { name: 'app-max-concurrency', kind: 'value', arg: 'n', runtime: 'app-max-concurrency', default: 'unlimited', help: 'The most calls in flight to the app at a time' },
  { name: 'app-ssl', kind: 'bool', runtime: 'app-ssl', deprecated: 'use --app-protocol https or grpcs', help: 'Call the app over TLS' },
  { name: 'enable-app-health-check', kind: 'bool', runtime: 'enable-app-health-check', default: 'false', help: 'Probe the app\'s health and stop app-bound delivery while it is unhealthy' },
  { name: 'app-health-check-path', kind: 'value', arg: 'path', runtime: 'app-health-check-path', default: '/healthz', help: 'Path probed when the app protocol is HTTP' },
  { name: 'app-health-probe-interval', kind: 'value', arg: 'seconds', runtime: 'app-health-probe-interval', default: '5', help: 'Seconds between app health probes' },
  { name: 'app-health-probe-timeout', kind: 'value', arg: 'ms', runtime: 'app-health-probe-timeout', default: '500', help: 'Timeout of one app health probe, in milliseconds' },
  { name: 'app-health-threshold', kind: 'value', arg: 'n', runtime: 'app-health-threshold', default: '3', help: 'Failed probes in a row before the app counts as unhealthy' },
  { name: 'dapr-http-port', short: 'H', kind: 'value', arg: 'port', runtime: 'dapr-http-port', default: FREE, help: 'The port of the Dapr HTTP API; given to the app as DAPR_HTTP_PORT' },
  { name: 'dapr-grpc-port', short: 'G', kind: 'value', arg: 'port', runtime: 'dapr-grpc-port', default: FREE, help: 'The port of the Dapr gRPC API; given to the app as DAPR_GRPC_PORT' },
  { name: 'dapr-internal-grpc-port', short: 'I', kind: 'value', arg: 'port', runtime: 'dapr-internal-grpc-port', default: FREE, help: 'The port of the internal gRPC API (runtime to runtime)' },
  { name: 'dapr-listen-addresses', kind: 'value', arg: 'addr[,addr]', runtime: 'dapr-listen-addresses', default: '127.0.0.1', help: 'Addresses the Dapr APIs listen on' },
  { name: 'metrics-port', short: 'M', kind: 'value', arg: 'port', runtime: 'metrics-port', help: 'The port of the metrics endpoint; given to the app as DAPR_METRICS_PORT' },
  { name: 'resources-path', short: 'd', kind: 'repeat', arg: 'dir', runtime: 'resources-path', default: 'embedded defaults', help: 'Folder of resource YAML (components, subscriptions, resiliency); repeat it or separate folders with commas' },
  { name: 'components-path', kind: 'repeat', arg: 'dir', runtime: 'resources-path', deprecated: 'use --resources-path', help: 'Folder of components' },
  { name: 'config', short: 'c', kind: 'value', arg: 'file', runtime: 'config', help: 'The Configuration resource file' },
  { name: 'log-level', kind: 'value', arg: 'level', runtime: 'log-level', default: 'info', help: 'Log level of the runtime: debug, info, warn, error or fatal' },
  { name: 'log-as-json', kind: 'bool', runtime: 'log-as-json', default: 'false', help: 'Write the runtime\'s logs as JSON lines' },
  { name: 'enable-api-logging', kind: 'bool', runtime: 'enable-api-logging', default: 'false', help: 'Log every call the app makes to the Dapr APIs' },
  { name: 'max-body-size', kind: 'value', arg: 'size', runtime: 'max-body-size', default: '4Mi', help: 'Largest request body accepted, e.g. 4Mi or 16M' },
  { name: 'read-buffer-size', kind: 'value', arg: 'size', runtime: 'read-buffer-size', default: '4Ki', help: 'Largest HTTP header block accepted' },
  { name: 'dapr-http-max-request-size', kind: 'value', arg: 'MB', runtime: 'dapr-http-max-request-size', deprecated: 'use --max-body-size', help: 'Largest request body, in MB' },
  { name: 'dapr-http-read-buffer-size', kind: 'value', arg: 'KB', runtime: 'dapr-http-read-buffer-size', deprecated: 'use --read-buffer-size', help: 'Largest HTTP header block, in KB' },
  { name: 'run-file', short: 'f', kind: 'value', arg: 'file|dir', help: 'Run the apps of a multi-app run file (dapr.yaml; a folder means its dapr.yaml) in one runtime process', withRunFile: true },
  { name: 'data-dir', kind: 'value', arg: 'dir', runtime: 'data-dir', default: '.tessera', help: 'Tessera: folder of the embedded SQLite stores, relative to the working directory' },
  { name: 'tessera-home', kind: 'value', arg: 'dir', runtime: 'tessera-home', default: '$TESSERA_HOME or ~/.tessera', help: 'Tessera: per-user folder (running-app registry for list/stop, name resolution)', withRunFile: true },
  // dapr run flags for Dapr's control plane and tooling: accepted, no effect.
  { name: 'placement-host-address', kind: 'value', arg: 'addr', ignored: true, help: 'No effect: placement is in-process' },
  { name: 'scheduler-host-address', kind: 'value', arg: 'addr', ignored: true, help: 'No effect: the scheduler is in-process' },
  { name: 'enable-profiling', kind: 'bool', ignored: true, help: 'No effect' },
  { name: 'profile-port', kind: 'value', arg: 'port', ignored: true, help: 'No effect' },
  { name: 'runtime-path', kind: 'value', arg: 'dir', ignored: true, help: 'No effect: the runtime is this process' },
  { name: 'unix-domain-socket', short: 'u', kind: 'value', arg: 'dir', unsupported: 'Unix domain sockets are not supported by Tessera; the Dapr APIs listen on TCP ports', help: 'Not supported' },
  { name: 'image', kind: 'value', arg: 'image', unsupported: 'container images are not supported by tessera run', help: 'Not supported' },
  { name: 'kubernetes', short: 'k', kind: 'bool', unsupported: 'tessera run starts local processes only (no Kubernetes mode)', help: 'Not supported' },
];

const BY_NAME = new Map(RUN_FLAGS.map((f) => [f.name, f]));
const BY_SHORT = new Map(RUN_FLAGS.filter((f) => f.short !== undefined).map((f) => [f.short as string, f]));

/** A bad command line: one line for the user. Test `isUsageError(e)`, not instanceof. */
export class UsageError extends Error {
  readonly kind = 'tessera.cli.usage-error' as const;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isUsageError(e: unknown): e is UsageError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.cli.usage-error';
}

export interface ParsedRunArgs {
  readonly help: boolean;
  /** Values per long flag name, in the order given (every value of a repeatable flag). */
  readonly given: ReadonlyMap<string, readonly string[]>;
  /** The app's command; empty = runtime only. */
  readonly command: readonly string[];
  /** Flags given that have no effect in Tessera (for a warning). */
  readonly ignored: readonly string[];
  /** Deprecated flags given, with their replacement (for a warning). */
  readonly deprecated: readonly string[];
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

export function parseBool(flag: string, v: string): boolean {
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new UsageError(`--${flag}: expected true or false, got "${v}"`);
}

/** Parses a generic flag list against `defs` (used by run, list and stop). */
export function parseFlags(
  argv: readonly string[],
  defs: readonly RunFlagDef[],
  command: string,
): { help: boolean; given: Map<string, string[]>; rest: string[] } {
  const byName = defs === RUN_FLAGS ? BY_NAME : new Map(defs.map((f) => [f.name, f]));
  const byShort = defs === RUN_FLAGS ? BY_SHORT : new Map(defs.filter((f) => f.short).map((f) => [f.short as string, f]));
  const given = new Map<string, string[]>();
  let help = false;
  let i = 0;
  const add = (def: RunFlagDef, value: string): void => {
    const list = given.get(def.name) ?? [];
    if (def.kind === 'bool') list.push(String(parseBool(def.name, value)));
    else list.push(value);
    given.set(def.name, list);
  };
  const valueOf = (def: RunFlagDef, inline: string | undefined, shown: string): string => {
    if (inline !== undefined) return inline;
    if (def.kind === 'bool') return 'true';
    const next = argv[i + 1];
    if (next === undefined) throw new UsageError(`${shown}: expected a value (${def.arg ?? 'value'})`);
    i++;
    return next;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const def = byName.get(name);
      if (def === undefined) throw new UsageError(`unknown flag --${name}; run 'tessera ${command} --help' to list the flags`);
      add(def, valueOf(def, eq < 0 ? undefined : arg.slice(eq + 1), `--${name}`));
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const s = arg[1] as string;
      const def = byShort.get(s);
      if (def === undefined) throw new UsageError(`unknown shorthand flag -${s} in ${arg}; run 'tessera ${command} --help' to list the flags`);
      const tail = arg.slice(2);
      const inline = tail === '' ? undefined : tail.startsWith('=') ? tail.slice(1) : tail;
      add(def, valueOf(def, inline, `-${s} (--${def.name})`));
      continue;
    }
    break;
  }
  return { help, given, rest: argv.slice(i) as string[] };
}

/** Parses `tessera run`'s arguments (after the word `run`). */
export function parseRunArgs(argv: readonly string[]): ParsedRunArgs {
  const { help, given, rest } = parseFlags(argv, RUN_FLAGS, 'run');
  const ignored: string[] = [];
  const deprecated: string[] = [];
  for (const name of given.keys()) {
    const def = BY_NAME.get(name) as RunFlagDef;
    if (def.unsupported !== undefined) throw new UsageError(`--${name}: ${def.unsupported}`);
    if (def.ignored === true) ignored.push(`--${name}`);
    if (def.deprecated !== undefined) deprecated.push(`--${name} is deprecated: ${def.deprecated}`);
  }
  if (given.has('run-file')) {
    const clash = [...given.keys()].filter((n) => BY_NAME.get(n)?.withRunFile !== true);
    if (clash.length > 0) throw new UsageError(`--${clash[0]} cannot be combined with --run-file; set it per app (or under common:) in the run file`);
    if (rest.length > 0) throw new UsageError(`unexpected app command "${rest.join(' ')}" with --run-file; give each app's command in the run file`);
  }
  return { help, given, command: rest, ignored, deprecated };
}

/** The last value given for a flag. */
export function last(given: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  const v = given.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

/**
 * The runtime flags for a single-app run: every flag that maps to the runtime, as `--name=value`
 * (repeatable values split on commas, as pflag's string slices are). Ports not given are left to
 * the caller (it passes 0 or a free port).
 */
export function runtimeArgvOf(given: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [name, values] of given) {
    const def = BY_NAME.get(name);
    if (def?.runtime === undefined) continue;
    if (def.kind === 'repeat') {
      for (const v of values) for (const part of v.split(',')) if (part.trim() !== '') out.push(`--${def.runtime}=${part.trim()}`);
    } else {
      out.push(`--${def.runtime}=${values[values.length - 1] as string}`);
    }
  }
  return out;
}

/** `tessera run --help`'s flag rows. */
export function runFlagRows(): string[] {
  const rows = RUN_FLAGS.filter((f) => f.unsupported === undefined).map((f) => {
    const names = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.kind === 'bool' ? '' : ` <${f.arg ?? 'value'}>`}`;
    const extras = [
      f.default !== undefined ? `default ${f.default}` : undefined,
      f.kind === 'repeat' ? 'repeatable' : undefined,
      f.deprecated !== undefined ? `deprecated: ${f.deprecated}` : undefined,
    ].filter((x): x is string => x !== undefined);
    return { names, help: extras.length > 0 ? `${f.help} (${extras.join('; ')})` : f.help };
  });
  rows.push({ names: '-h, --help', help: 'Show this help' });
  const width = Math.max(...rows.map((r) => r.names.length)) + 2;
  return rows.map((r) => `  ${r.names.padEnd(width)}${r.help}`);
}

export function unsupportedRunFlags(): string[] {
  return RUN_FLAGS.filter((f) => f.unsupported !== undefined).map((f) => `--${f.name}`);
}
