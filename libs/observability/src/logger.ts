// The Logger every Tessera lib takes, and its pino-backed implementation.
// Output keeps Dapr's log contract (dapr/kit logger): JSON lines with the fields time, level,
// type, scope, msg, instance, ver, app_id — or, when JSON is off, daprd's logfmt-style text line.
// Libraries receive a Logger; only entry points call createLogger. Nothing here reads
// process.env: the caller passes level, format, app id and version.
import { hostname } from 'node:os';
import pino from 'pino';
import { textStream } from './text-format';

/** Levels accepted by daprd's --log-level. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export type LogFields = Record<string, unknown>;

/**
 * What a library may do with a logger. Implementations must be cheap when a level is off and
 * must never throw. `child` returns a logger that adds `bindings` to every line; a `scope`
 * binding replaces the parent's scope (give the full dotted name, as Dapr does:
 * `runtime.blocks.state`, `component.state.redis`).
 */
export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(bindings: { scope?: string; [k: string]: unknown }): Logger;
}

/** Anything with a write(line) method: a file descriptor stream, a test collector. */
export interface LogDestination {
  write(line: string): unknown;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** true: one JSON object per line (--log-as-json); false: daprd's text line. */
  readonly json: boolean;
  readonly appId: string;
  /** Tessera version, written as `ver`. */
  readonly version: string;
  /** Initial scope; default `runtime`. */
  readonly scope?: string;
  /** Where lines go; default stdout. */
  readonly destination?: LogDestination;
  /** Written as `instance`; default os.hostname(). */
  readonly instance?: string;
}

/** Field names the logger writes itself; caller fields with these names are renamed `<name>_`. */
const RESERVED = new Set(['time', 'level', 'type', 'scope', 'msg', 'instance', 'ver', 'app_id']);

export function createLogger(opts: LoggerOptions): Logger {
  const sink: LogDestination = opts.destination ?? stdout();
  const root = pino(
    {
      level: opts.level,
      messageKey: 'msg',
      base: { type: 'log', instance: opts.instance ?? hostname(), ver: opts.version, app_id: opts.appId },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label === 'warn' ? 'warning' : label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    opts.json ? sink : textStream(sink),
  );
  const scope = opts.scope ?? 'runtime';
  return new PinoLogger(root, scope, root.child({ scope }), opts.level);
}

let stdoutSink: LogDestination | undefined;
/** One stdout stream shared by every logger of the process (multi-app runs create several). */
function stdout(): LogDestination {
  stdoutSink ??= pino.destination(1);
  return stdoutSink;
}

class PinoLogger implements Logger {
  /**
   * @param unscoped the pino logger with every binding except scope, so that a child with a new
   *   scope does not emit the key twice (pino concatenates bindings).
   * @param scoped `unscoped` plus the binding `scope`.
   */
  constructor(
    private readonly unscoped: pino.Logger,
    private readonly scope: string,
    private readonly scoped: pino.Logger,
    readonly level: LogLevel,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    if (fields === undefined) this.scoped.debug(msg);
    else this.scoped.debug(clean(fields), msg);
  }
  info(msg: string, fields?: LogFields): void {
    if (fields === undefined) this.scoped.info(msg);
    else this.scoped.info(clean(fields), msg);
  }
  warn(msg: string, fields?: LogFields): void {
    if (fields === undefined) this.scoped.warn(msg);
    else this.scoped.warn(clean(fields), msg);
  }
  error(msg: string, fields?: LogFields): void {
    if (fields === undefined) this.scoped.error(msg);
    else this.scoped.error(clean(fields), msg);
  }

  child(bindings: { scope?: string; [k: string]: unknown }): Logger {
    const { scope, ...rest } = bindings;
    const unscoped = Object.keys(rest).length > 0 ? this.unscoped.child(clean(rest)) : this.unscoped;
    const next = scope === undefined ? this.scope : String(scope);
    if (unscoped === this.unscoped && next === this.scope) return this;
    return new PinoLogger(unscoped, next, unscoped.child({ scope: next }), this.level);
  }
}

function clean(fields: LogFields): LogFields {
  let out: LogFields | undefined;
  for (const k of Object.keys(fields)) {
    if (!RESERVED.has(k)) continue;
    out ??= { ...fields };
    out[`${k}_`] = out[k];
    delete out[k];
  }
  return out ?? fields;
}

/** A logger that drops everything; for tests and optional logger parameters. */
export const noopLogger: Logger = Object.freeze({
  level: 'fatal' as LogLevel,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => noopLogger,
});
