// From `tessera run`'s command line to the apps to start: flags (one app) or a run file (many),
// each app's runtime flags completed with free ports and checked as the runtime will parse them,
// so every mistake is reported before anything starts.
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import type { RuntimeConfig } from '@tessera/runtime-core';
import type { AppSpec } from './app-spec';
import { appIdFromFolder, checkApp, hasFlag } from './app-spec';
import type { CliIo } from './cli-io';
import { homeDirOf, tesseraHomeOf } from './cli-io';
import { RunRegistry } from './registry';
import { loadRunFile } from './run-file';
import { last, parseRunArgs, runtimeArgvOf } from './run-flags';

export interface PlannedApp {
  readonly spec: AppSpec;
  readonly config: RuntimeConfig;
}

export interface RunPlan {
  readonly apps: readonly PlannedApp[];
  /** Absolute path of the run file; null for a single-app run. */
  readonly runFile: string | null;
  /** Working folder of the runtime (relative runtime paths such as the data dir resolve here). */
  readonly runtimeCwd: string;
  readonly tesseraHome: string;
  /** Printed before starting: flags and fields with no effect, deprecations. */
  readonly warnings: readonly string[];
}

/** A port nobody listens on right now (for the ports the runtime cannot pick itself). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** `help` when --help was given, else the plan; throws UsageError with a one-line message. */
export async function planRun(io: CliIo): Promise<RunPlan | 'help'> {
  const args = parseRunArgs(io.argv);
  if (args.help) return 'help';
  const homeFlag = last(args.given, 'tessera-home');
  const tesseraHome = tesseraHomeOf(homeFlag, io.env, io.cwd);
  const warnings: string[] = [];
  let specs: AppSpec[];
  let runFile: string | null = null;
  let runtimeCwd = io.cwd;

  const runFileArg = last(args.given, 'run-file');
  if (runFileArg !== undefined) {
    const rf = loadRunFile(runFileArg, { cwd: io.cwd, homeDir: homeDirOf(io.env) });
    runFile = rf.file;
    runtimeCwd = dirname(rf.file);
    warnings.push(...rf.warnings);
    specs = rf.apps.map((a) => (homeFlag === undefined ? a : { ...a, runtimeArgv: [...a.runtimeArgv, `--tessera-home=${homeFlag}`] }));
  } else {
    for (const f of args.ignored) warnings.push(`${f} has no effect in Tessera`);
    warnings.push(...args.deprecated);
    const runtimeArgv = runtimeArgvOf(args.given);
    let appId = last(args.given, 'app-id');
    if (appId === undefined) {
      appId = uniqueId(appIdFromFolder(io.cwd), new RunRegistry(tesseraHome));
      runtimeArgv.unshift(`--app-id=${appId}`);
    }
    if (args.command.length === 0) warnings.push('no app command given: only the runtime runs (put the command after --)');
    specs = [{ appId, appDir: io.cwd, command: args.command, env: {}, runtimeArgv, sources: new Map(), errorPrefix: '' }];
  }

  const apps: PlannedApp[] = [];
  for (const spec of specs) {
    const argv = [...spec.runtimeArgv];
    // Ports not given: the runtime binds port 0 and reports what it got; the internal port is
    // picked here, as it is announced to other runtimes before anything connects to it.
    if (!hasFlag(argv, 'dapr-http-port')) argv.push('--dapr-http-port=0');
    if (!hasFlag(argv, 'dapr-grpc-port')) argv.push('--dapr-grpc-port=0');
    if (!hasFlag(argv, 'dapr-internal-grpc-port')) argv.push(`--dapr-internal-grpc-port=${await freePort()}`);
    const full = { ...spec, runtimeArgv: argv };
    apps.push({ spec: full, config: checkApp(full, io.env, runtimeCwd) });
  }
  return { apps, runFile, runtimeCwd, tesseraHome, warnings };
}

/** `id`, or `id-2`, `id-3` … when a running app already has it. */
function uniqueId(id: string, registry: RunRegistry): string {
  const taken = new Set(registry.list(false).flatMap((r) => r.apps.map((a) => a.appId)));
  if (!taken.has(id)) return id;
  for (let n = 2; ; n++) if (!taken.has(`${id}-${n}`)) return `${id}-${n}`;
}
