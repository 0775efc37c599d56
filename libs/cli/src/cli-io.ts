// What the commands of this lib get from the process entry point (apps/cli), so that nothing here
// reads process.env or decides how the process ends. Also the shape of the runtime host
// (@tessera/nest's bootApps) that `tessera run` is given: the lib may not import nest itself.
import { homedir } from 'node:os';
import { isConfigError, parseRuntimeArgs } from '@tessera/runtime-core';
import type { Env } from '@tessera/runtime-core';
import type { OutStream } from './log-prefix';
import { UsageError } from './run-flags';

export interface CliIo {
  /** The arguments after the command word. */
  readonly argv: readonly string[];
  readonly env: Env;
  readonly cwd: string;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** Where SIGINT/SIGTERM/SIGHUP are delivered (the process). */
  readonly signals: {
    on(event: NodeJS.Signals, listener: (sig: NodeJS.Signals) => void): unknown;
    off(event: NodeJS.Signals, listener: (sig: NodeJS.Signals) => void): unknown;
  };
  /** This process's id (the registry is keyed by it). */
  readonly pid: number;
  /** Ends the process at once (a second Ctrl-C). */
  readonly exit: (code: number) => void;
}

/** The BootIo of @tessera/nest, structurally. */
export interface RuntimeBootIo {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly cwd: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** One app's gateway inside the runtime process. */
export interface RunningGateway {
  readonly appId: string;
  readonly host: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Stops this gateway alone, when the runtime host offers it. */
  readonly close?: () => Promise<void>;
}

export interface HostedRuntime {
  readonly apps: readonly RunningGateway[];
  close(): Promise<void>;
}

/** @tessera/nest's bootApps: every app's gateway in one runtime process, blocks shared. */
export type BootApps = (
  io: RuntimeBootIo,
  appsArgv: readonly (readonly string[])[],
  opts: { readonly onShutdownRequest?: (appId: string) => void },
) => Promise<HostedRuntime>;

/** The folder a leading ~ stands for. */
export function homeDirOf(env: Env): string {
  const h = env['HOME'] ?? env['USERPROFILE'];
  return h !== undefined && h !== '' ? h : homedir();
}

/** The tessera home as the runtime resolves it (--tessera-home, TESSERA_HOME, ~/.tessera). */
export function tesseraHomeOf(flag: string | undefined, env: Env, cwd: string): string {
  const only: Record<string, string | undefined> = { TESSERA_HOME: env['TESSERA_HOME'], HOME: env['HOME'], USERPROFILE: env['USERPROFILE'] };
  try {
    return parseRuntimeArgs(flag === undefined ? [] : [`--tessera-home=${flag}`], only, cwd).tesseraHome;
  } catch (e) {
    if (isConfigError(e)) throw new UsageError(e.message);
    throw e;
  }
}

export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n')[0] ?? '').trim();
}

/** Writes `tessera: <message>` for a failure the user can act on. */
export function reportError(io: Pick<CliIo, 'stderr'>, e: unknown): void {
  io.stderr.write(`tessera: ${firstLine(e)}\n`);
}
