// `tessera stop`: stops running apps by app id (`--app-id X`, or ids as arguments, as dapr stop
// takes them) or by run file (`-f dapr.yaml`). It sends SIGTERM to the `tessera run` process
// hosting them, which stops its apps and then its runtime, and waits for it to exit. One run
// hosts every app of its run file: stopping one of those apps by id stops the whole run (the
// other apps are named in the output).
import type { CliIo } from './cli-io';
import { homeDirOf, reportError, tesseraHomeOf } from './cli-io';
import { STOP_HELP } from './help';
import { isRunning, RunRegistry } from './registry';
import type { RunRecord } from './registry';
import { resolveRunFilePath } from './run-file';
import type { RunFlagDef } from './run-flags';
import { isUsageError, last, parseFlags, UsageError } from './run-flags';

const STOP_FLAGS: readonly RunFlagDef[] = [
  { name: 'app-id', short: 'a', kind: 'repeat', arg: 'id', help: 'The app to stop' },
  { name: 'run-file', short: 'f', kind: 'value', arg: 'file|dir', help: 'Stop the apps of this run file' },
  { name: 'tessera-home', kind: 'value', arg: 'dir', help: 'Tessera home folder' },
];

/** How long `stop` waits for a run to exit after SIGTERM. */
export const STOP_WAIT_MS = 30_000;

export async function stopCommand(io: CliIo): Promise<number> {
  let targets: { label: string; runs: RunRecord[] }[];
  try {
    const { help, given, rest } = parseFlags(io.argv, STOP_FLAGS, 'stop');
    if (help) {
      io.stdout.write(STOP_HELP);
      return 0;
    }
    const ids = [...rest, ...(given.get('app-id') ?? [])];
    const runFileArg = last(given, 'run-file');
    if (ids.length === 0 && runFileArg === undefined) throw new UsageError("nothing to stop: give --app-id <id> or --run-file <file>; 'tessera list' shows what runs");
    const runs = new RunRegistry(tesseraHomeOf(last(given, 'tessera-home'), io.env, io.cwd)).list();
    targets = ids.map((id) => ({ label: `app id ${id}`, runs: runs.filter((r) => r.apps.some((a) => a.appId === id)) }));
    if (runFileArg !== undefined) {
      const file = resolveRunFilePath(runFileArg, io.cwd, homeDirOf(io.env));
      targets.push({ label: `run file ${runFileArg}`, runs: runs.filter((r) => r.runFile === file) });
    }
  } catch (e) {
    if (!isUsageError(e)) throw e;
    reportError(io, e);
    return 1;
  }

  let failed = false;
  const signalled = new Map<number, Promise<boolean>>();
  for (const t of targets) {
    if (t.runs.length === 0) {
      io.stderr.write(`✗ failed to stop ${t.label}: not running\n`);
      failed = true;
      continue;
    }
    const results = await Promise.all(
      t.runs.map((r) => {
        let p = signalled.get(r.pid);
        if (p === undefined) {
          p = terminate(r);
          signalled.set(r.pid, p);
        }
        return p;
      }),
    );
    const apps = [...new Set(t.runs.flatMap((r) => r.apps.map((a) => a.appId)))].join(', ');
    if (results.every(Boolean)) io.stdout.write(`✓ stopped ${t.label} (run ${t.runs.map((r) => r.pid).join(', ')}: ${apps})\n`);
    else {
      io.stderr.write(`✗ failed to stop ${t.label}: run ${t.runs.map((r) => r.pid).join(', ')} did not exit within ${STOP_WAIT_MS / 1000}s\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

/** SIGTERM to the run; true once it has exited. */
async function terminate(rec: RunRecord): Promise<boolean> {
  try {
    process.kill(rec.pid, 'SIGTERM');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: another user's run
  }
  const deadline = Date.now() + STOP_WAIT_MS;
  while (Date.now() < deadline) {
    if (!isRunning(rec)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isRunning(rec);
}
