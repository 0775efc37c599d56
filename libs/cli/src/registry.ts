// What is running, for `tessera list` and `tessera stop`: one JSON file per `tessera run` process
// under <tessera home>/runs/<pid>.json, written once its apps are up and removed when it exits.
// A file whose process is gone (killed with SIGKILL, machine crash) is stale: readers ignore it
// and `list` deletes it. A pid the OS has since given to another process is told apart by the
// process start time where the OS exposes it (/proc on Linux), so `stop` never signals a stranger.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunRecordApp {
  readonly appId: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** null: the app receives no calls. */
  readonly appPort: number | null;
  /** The app's command line as given ('' when there is none). */
  readonly command: string;
  /** null: no app process (none given, or it has exited). */
  readonly appPid: number | null;
  readonly appDir: string;
}

export interface RunRecord {
  /** The `tessera run` process: it hosts the runtime of every app of the run. */
  readonly pid: number;
  /** Start time of that process as the OS counts it (Linux: /proc/<pid>/stat field 22), if known. */
  readonly procStart: string | null;
  /** ISO 8601. */
  readonly started: string;
  /** Absolute path of the run file, null for a single-app run. */
  readonly runFile: string | null;
  readonly cwd: string;
  readonly apps: readonly RunRecordApp[];
}

/** Start time of a process, or null where the OS does not tell (or the process is gone). */
export function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while the process that wrote `rec` is still the one running under its pid. */
export function isRunning(rec: RunRecord): boolean {
  if (!isAlive(rec.pid)) return false;
  if (rec.procStart === null) return true;
  const now = processStartOf(rec.pid);
  return now === null || now === rec.procStart;
}

export class RunRegistry {
  readonly dir: string;

  constructor(tesseraHome: string) {
    this.dir = join(tesseraHome, 'runs');
  }

  fileOf(pid: number): string {
    return join(this.dir, `${pid}.json`);
  }

  /** Writes (or replaces) the record of a run; atomic, so readers never see half a file. */
  write(rec: RunRecord): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.fileOf(rec.pid)}.tmp`;
    writeFileSync(tmp, JSON.stringify(rec, null, 2) + '\n');
    renameSync(tmp, this.fileOf(rec.pid));
  }

  remove(pid: number): void {
    rmSync(this.fileOf(pid), { force: true });
  }

  /** The runs that are still running, oldest first; stale files are deleted when `clean`. */
  list(clean = true): RunRecord[] {
    if (!existsSync(this.dir)) return [];
    const out: RunRecord[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!/^\d+\.json$/.test(name)) continue;
      const file = join(this.dir, name);
      let rec: RunRecord;
      try {
        rec = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
      } catch {
        continue; // being written, or not ours
      }
      if (typeof rec.pid !== 'number' || !Array.isArray(rec.apps)) continue;
      if (isRunning(rec)) out.push(rec);
      else if (clean) rmSync(file, { force: true });
    }
    return out.sort((a, b) => a.started.localeCompare(b.started));
  }
}
