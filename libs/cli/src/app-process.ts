// One app's process in a `tessera run`: started without a shell (the command is an argv array),
// in its own process group so that Ctrl-C in the terminal reaches `tessera run` only and the run
// decides the order (app first, then the runtime), and so that stopping the app also stops what
// it started (`npm start` -> node). stdin is not passed on; stdout and stderr are piped to the
// caller line by line. POSIX only, as dapr's multi-app run.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

export interface AppExit {
  /** Exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface AppProcessOptions {
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly onStdout: (chunk: Buffer) => void;
  readonly onStderr: (chunk: Buffer) => void;
  /** Both output streams have ended (flush partial lines). */
  readonly onOutputEnd?: () => void;
}

export class AppProcess {
  /** Resolves when the process has exited (not waiting for its output to drain). */
  readonly exited: Promise<AppExit>;
  /** Resolves when stdout and stderr are closed as well. */
  readonly drained: Promise<void>;
  private exit: AppExit | undefined;
  /** We asked it to stop (so a signal death is not a failure). */
  stopRequested = false;

  private constructor(private readonly child: ChildProcess, opts: AppProcessOptions) {
    child.stdout?.on('data', opts.onStdout);
    child.stderr?.on('data', opts.onStderr);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
    this.drained = new Promise((resolve) =>
      child.once('close', () => {
        opts.onOutputEnd?.();
        resolve();
      }),
    );
  }

  /** Starts the command; rejects with a one-line message when it cannot be started. */
  static start(opts: AppProcessOptions): Promise<AppProcess> {
    const [file, ...args] = opts.command;
    if (file === undefined || file.trim() === '') return Promise.reject(new Error('no command to run'));
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
      } catch (e) {
        reject(new Error(`cannot start "${file}": ${(e as Error).message}`));
        return;
      }
      child.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'ENOENT' ? 'command not found' : e.code === 'EACCES' ? 'permission denied' : e.message;
        reject(new Error(`cannot start "${file}" in ${opts.cwd}: ${why}`));
      });
      child.once('spawn', () => resolve(new AppProcess(child, opts)));
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Sends a signal to the app's whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      try {
        this.child.kill(sig); // the group is gone; the leader may linger as a zombie
      } catch {
        // already gone
      }
    }
  }

  /**
   * Stops the app: SIGTERM to its group, SIGKILL after `graceMs`; then whatever is left of the
   * group is killed, so nothing the app started outlives the run.
   */
  async stop(graceMs: number): Promise<AppExit> {
    this.stopRequested = true;
    if (!this.hasExited) {
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Kills the app's group at once (second Ctrl-C). */
  kill(): void {
    this.stopRequested = true;
    this.signal('SIGKILL');
  }
}

/**
 * The exit code a run reports for an app: its own code; 0 when it died of the signal we sent
 * to stop it (or exited 128+SIGTERM/SIGINT for it, as shells do); 128+n for another signal.
 */
export function exitCodeOf(exit: AppExit, stopRequested: boolean): number {
  const sigterm = 128 + constants.signals.SIGTERM;
  const sigint = 128 + constants.signals.SIGINT;
  if (exit.code !== null) return stopRequested && (exit.code === sigterm || exit.code === sigint) ? 0 : exit.code;
  if (stopRequested) return 0;
  const n = exit.signal !== null ? constants.signals[exit.signal] : undefined;
  return n !== undefined ? 128 + n : 1;
}
