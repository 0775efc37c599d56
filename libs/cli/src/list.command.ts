// `tessera list`: the apps of every running `tessera run` of this user, as `dapr list` shows
// them — APP ID, HTTP PORT, GRPC PORT, APP PORT, COMMAND, AGE, PID — or as JSON/YAML
// (`--output json|yaml`). PID is the `tessera run` process, which hosts the app's runtime.
import { stringify } from 'yaml';
import type { CliIo } from './cli-io';
import { reportError, tesseraHomeOf } from './cli-io';
import { LIST_HELP } from './help';
import { RunRegistry } from './registry';
import type { RunRecord } from './registry';
import type { RunFlagDef } from './run-flags';
import { isUsageError, last, parseFlags, UsageError } from './run-flags';

const LIST_FLAGS: readonly RunFlagDef[] = [
  { name: 'output', short: 'o', kind: 'value', arg: 'json|yaml|table', help: 'Output format' },
  { name: 'tessera-home', kind: 'value', arg: 'dir', help: 'Tessera home folder' },
];

/** One row of `tessera list` (JSON field names as `dapr list -o json` has them where they exist). */
export interface ListedApp {
  readonly appId: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly appPort: number;
  readonly command: string;
  readonly age: string;
  readonly created: string;
  /** The `tessera run` process (runtime and CLI are one process here). */
  readonly pid: number;
  readonly cliPid: number;
  readonly appPid: number;
  readonly runTemplatePath: string;
  readonly appDirPath: string;
}

export function listedApps(runs: readonly RunRecord[], now = Date.now()): ListedApp[] {
  return runs.flatMap((r) =>
    r.apps.map((a) => ({
      appId: a.appId,
      httpPort: a.httpPort,
      grpcPort: a.grpcPort,
      appPort: a.appPort ?? 0,
      command: a.command,
      age: ageOf(now - Date.parse(r.started)),
      created: r.started,
      pid: r.pid,
      cliPid: r.pid,
      appPid: a.appPid ?? 0,
      runTemplatePath: r.runFile ?? '',
      appDirPath: a.appDir,
    })),
  );
}

/** `5s`, `3m`, `2h`, `4d`: how long ago, in its largest whole unit (as dapr list shows age). */
export function ageOf(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function formatTable(rows: readonly ListedApp[]): string {
  const head = ['APP ID', 'HTTP PORT', 'GRPC PORT', 'APP PORT', 'COMMAND', 'AGE', 'PID'];
  const cells = rows.map((r) => [r.appId, String(r.httpPort), String(r.grpcPort), r.appPort ? String(r.appPort) : '', r.command, r.age, String(r.pid)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]): string => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd((widths[i] as number) + 2))).join('').trimEnd();
  return [line(head), ...cells.map(line)].join('\n') + '\n';
}

export function listCommand(io: CliIo): number {
  try {
    const { help, given, rest } = parseFlags(io.argv, LIST_FLAGS, 'list');
    if (help) {
      io.stdout.write(LIST_HELP);
      return 0;
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"; run 'tessera list --help'`);
    const output = last(given, 'output') ?? 'table';
    if (!['json', 'yaml', 'table'].includes(output)) throw new UsageError(`--output: expected json, yaml or table, got "${output}"`);
    const rows = listedApps(new RunRegistry(tesseraHomeOf(last(given, 'tessera-home'), io.env, io.cwd)).list());
    if (output === 'json') io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    else if (output === 'yaml') io.stdout.write(rows.length === 0 ? '[]\n' : stringify(rows));
    else io.stdout.write(rows.length === 0 ? 'No Tessera instances found.\n' : formatTable(rows));
    return 0;
  } catch (e) {
    if (!isUsageError(e)) throw e;
    reportError(io, e);
    return 1;
  }
}
