// `tessera run`: the runtime in this process (every app's gateway, building blocks shared), the
// apps as child processes. Order as dapr's: the runtime first, then the apps with the runtime's
// ports in their environment; on Ctrl-C (SIGINT/SIGTERM/SIGHUP) the apps are stopped first, then
// the runtime; a second Ctrl-C kills everything at once. An app that exits by itself, or asks to
// shut down (POST /v1.0/shutdown), takes its gateway with it when the runtime host can stop one
// gateway alone; when no app is left the run ends. Exit code: the first non-zero code of an app,
// else 0; 1 when the runtime or an app cannot start.
import { appEnv, runtimeEnv } from './app-spec';
import { AppProcess, exitCodeOf } from './app-process';
import type { BootApps, CliIo, HostedRuntime, RuntimeBootIo } from './cli-io';
import { firstLine, reportError } from './cli-io';
import { RUN_HELP } from './help';
import type { Paint } from './log-prefix';
import { BLUE, LinePrefixer, YELLOW, appColour, colourEnabled, fixedPrefix, painter, prefixingWritable, runtimePrefixes } from './log-prefix';
import { processStartOf, RunRegistry } from './registry';
import type { RunRecord } from './registry';
import { planRun } from './run-plan';
import type { PlannedApp, RunPlan } from './run-plan';
import { isUsageError } from './run-flags';

/** How long an app gets between SIGTERM and SIGKILL. */
export const APP_STOP_GRACE_MS = 10_000;
/** How long the runtime gets to close before the run ends anyway. */
export const RUNTIME_STOP_GRACE_MS = 10_000;
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function runCommand(io: CliIo, boot: BootApps): Promise<number> {
  let plan: RunPlan | 'help';
  try {
    plan = await planRun(io);
  } catch (e) {
    if (!isUsageError(e)) throw e;
    reportError(io, e);
    return 1;
  }
  if (plan === 'help') {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  return new RunSession(io, boot, plan).run();
}

interface AppSlot {
  readonly planned: PlannedApp;
  readonly out: LinePrefixer;
  readonly err: LinePrefixer;
  proc?: AppProcess;
  /** Its gateway still serves (the app runs, or has no process). */
  active: boolean;
  exitCode?: number;
}

class RunSession {
  private readonly colour: boolean;
  private readonly slots: AppSlot[];
  private readonly runtimeOut: LinePrefixer;
  private readonly runtimeErr: LinePrefixer;
  private readonly registry: RunRegistry;
  private readonly started = new Date();
  private runtime: HostedRuntime | undefined;
  private registered = false;
  private stopping = false;
  private signalCount = 0;
  private wake: () => void = () => undefined;
  private readonly stopRequested = new Promise<void>((resolve) => (this.wake = resolve));

  constructor(
    private readonly io: CliIo,
    private readonly boot: BootApps,
    private readonly plan: RunPlan,
  ) {
    this.colour = colourEnabled(io.stdout, io.env);
    this.registry = new RunRegistry(plan.tesseraHome);
    const multi = plan.runFile !== null;
    const paints = new Map<string, Paint>();
    this.slots = plan.apps.map((planned, i) => {
      const paint = painter(multi ? appColour(i) : BLUE, this.colour);
      paints.set(planned.spec.appId, painter(multi ? appColour(i) : YELLOW, this.colour));
      const prefix = fixedPrefix(multi ? `== APP - ${planned.spec.appId} == ` : '== APP == ', paint);
      return { planned, out: new LinePrefixer(io.stdout, prefix), err: new LinePrefixer(io.stderr, prefix), active: true };
    });
    const runtimePrefix = multi ? runtimePrefixes(paints, painter(YELLOW, this.colour)) : fixedPrefix('== TESSERA == ', painter(YELLOW, this.colour));
    this.runtimeOut = new LinePrefixer(io.stdout, runtimePrefix);
    this.runtimeErr = new LinePrefixer(io.stderr, runtimePrefix);
  }

  async run(): Promise<number> {
    for (const w of this.plan.warnings) this.status('⚠', w);
    for (const s of SIGNALS) this.io.signals.on(s, this.onSignal);
    try {
      return await this.serve();
    } finally {
      for (const s of SIGNALS) this.io.signals.off(s, this.onSignal);
      this.unregister();
    }
  }

  private async serve(): Promise<number> {
    const ids = this.slots.map((s) => s.planned.spec.appId).join(', ');
    this.status('ℹ', `Starting Tessera for ${this.slots.length > 1 ? 'apps' : 'app'} ${ids}`);
    const runtimeIo: RuntimeBootIo = {
      argv: [],
      env: runtimeEnv(this.io.env),
      cwd: this.plan.runtimeCwd,
      stdout: prefixingWritable(this.runtimeOut),
      stderr: prefixingWritable(this.runtimeErr),
    };
    try {
      this.runtime = await this.boot(runtimeIo, this.slots.map((s) => s.planned.spec.runtimeArgv), { onShutdownRequest: (id) => this.onShutdownRequest(id) });
    } catch (e) {
      this.runtimeErr.end();
      reportError(this.io, e);
      return 1;
    }
    for (const gw of this.runtime.apps) this.status('ℹ', `Tessera is up for app "${gw.appId}": HTTP port ${gw.httpPort}, gRPC port ${gw.grpcPort}`);

    for (const slot of this.slots) {
      if (this.stopping) break;
      const { spec, config } = slot.planned;
      if (spec.command.length === 0) continue;
      const gw = this.gatewayOf(spec.appId);
      this.status('ℹ', `Starting app "${spec.appId}": ${spec.command.join(' ')}`);
      try {
        slot.proc = await AppProcess.start({
          command: spec.command,
          cwd: spec.appDir,
          env: appEnv(spec, config, { httpPort: gw.httpPort, grpcPort: gw.grpcPort }, this.io.env),
          onStdout: (c) => slot.out.push(c),
          onStderr: (c) => slot.err.push(c),
          onOutputEnd: () => {
            slot.out.end();
            slot.err.end();
          },
        });
      } catch (e) {
        this.status('✗', `app "${spec.appId}": ${firstLine(e)}`, true);
        this.requestStop();
        await this.shutdown();
        return 1;
      }
      const proc = slot.proc;
      void proc.exited.then((exit) => {
        slot.exitCode = exitCodeOf(exit, proc.stopRequested);
        if (!this.stopping) {
          const how = exit.code !== null ? `with code ${exit.code}` : `on ${exit.signal ?? 'a signal'}`;
          this.status(exit.code === 0 ? 'ℹ' : '✗', `app "${spec.appId}" exited ${how}`, exit.code !== 0);
        }
        void this.retire(slot);
      });
    }
    if (!this.stopping) {
      this.register();
      this.status('✓', `You're up and running! Both Tessera and your app logs will appear here.`);
    }
    await this.stopRequested;
    return this.shutdown();
  }

  private gatewayOf(appId: string): { httpPort: number; grpcPort: number } {
    const gw = this.runtime?.apps.find((a) => a.appId === appId);
    if (gw === undefined) throw new Error(`internal: the runtime did not start app ${appId}`);
    return gw;
  }

  /** The app is gone or asked to shut down: its gateway stops; the run ends with the last app. */
  private async retire(slot: AppSlot): Promise<void> {
    if (!slot.active) return;
    slot.active = false;
    if (this.stopping) return;
    if (this.registered) this.register();
    if (this.slots.every((s) => !s.active)) {
      this.requestStop();
      return;
    }
    const gw = this.runtime?.apps.find((a) => a.appId === slot.planned.spec.appId);
    if (gw?.close !== undefined) await gw.close().catch(() => undefined);
  }

  private onShutdownRequest(appId: string): void {
    const slot = this.slots.find((s) => s.planned.spec.appId === appId);
    if (slot === undefined || this.stopping) return;
    this.status('ℹ', `app "${appId}" asked its runtime to shut down`);
    if (slot.proc !== undefined && !slot.proc.hasExited) void slot.proc.stop(APP_STOP_GRACE_MS);
    else void this.retire(slot);
  }

  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.signalCount++;
    if (this.signalCount === 1) {
      this.io.stdout.write('\n');
      this.status('ℹ', `${sig} received: stopping the apps, then Tessera (again to force)`);
      this.requestStop();
      return;
    }
    this.status('✗', `${sig} received again: killing the apps and exiting`, true);
    for (const s of this.slots) s.proc?.kill();
    this.unregister();
    this.io.exit(1);
  };

  private requestStop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.wake();
  }

  private async shutdown(): Promise<number> {
    const running = this.slots.filter((s) => s.proc !== undefined);
    await Promise.all(running.map((s) => (s.proc as AppProcess).stop(APP_STOP_GRACE_MS)));
    await within(Promise.all(running.map((s) => (s.proc as AppProcess).drained)), 1000);
    for (const s of running) this.status('✓', `Exited app "${s.planned.spec.appId}" (code ${s.exitCode ?? 0})`);
    if (this.runtime !== undefined) {
      const closed = await within(this.runtime.close(), RUNTIME_STOP_GRACE_MS);
      this.runtimeOut.end();
      this.runtimeErr.end();
      if (closed) this.status('✓', 'Exited Tessera successfully');
      else this.status('✗', `Tessera did not stop within ${RUNTIME_STOP_GRACE_MS / 1000}s`, true);
    }
    this.unregister();
    return running.map((s) => s.exitCode ?? 0).find((c) => c !== 0) ?? 0;
  }

  private register(): void {
    const rec: RunRecord = {
      pid: this.io.pid,
      procStart: processStartOf(this.io.pid),
      started: this.started.toISOString(),
      runFile: this.plan.runFile,
      cwd: this.io.cwd,
      apps: this.slots.map((s) => {
        const gw = this.runtime?.apps.find((a) => a.appId === s.planned.spec.appId);
        const alive = s.proc !== undefined && !s.proc.hasExited;
        return {
          appId: s.planned.spec.appId,
          httpPort: gw?.httpPort ?? 0,
          grpcPort: gw?.grpcPort ?? 0,
          appPort: s.planned.config.appPort ?? null,
          command: s.planned.spec.command.join(' '),
          appPid: alive ? (s.proc as AppProcess).pid : null,
          appDir: s.planned.spec.appDir,
        };
      }),
    };
    try {
      this.registry.write(rec);
      this.registered = true;
    } catch (e) {
      this.status('⚠', `cannot record this run in ${this.registry.dir} (tessera list/stop will not see it): ${firstLine(e)}`, true);
    }
  }

  private unregister(): void {
    if (!this.registered) return;
    this.registered = false;
    try {
      this.registry.remove(this.io.pid);
    } catch {
      // nothing left to do; `tessera list` drops stale records
    }
  }

  private status(mark: string, text: string, toStderr = false): void {
    (toStderr ? this.io.stderr : this.io.stdout).write(`${mark} ${text}\n`);
  }
}

/** True if `p` settles (either way) within `ms`; the timer never outlives the wait. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = p.then(() => true, () => true);
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
