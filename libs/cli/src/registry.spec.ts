import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ageOf, formatTable, listedApps } from './list.command';
import { isRunning, processStartOf, RunRegistry } from './registry';
import type { RunRecord } from './registry';

function record(pid: number, over: Partial<RunRecord> = {}): RunRecord {
  return {
    pid,
    procStart: processStartOf(pid),
    started: new Date(Date.now() - 90_000).toISOString(),
    runFile: null,
    cwd: '/srv',
    apps: [{ appId: 'orders', httpPort: 3500, grpcPort: 50001, appPort: 3000, command: 'node app.js', appPid: 4242, appDir: '/srv' }],
    ...over,
  };
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid as number;
}

describe('RunRegistry', () => {
  it('writes, lists and removes the records of running runs', () => {
    const reg = new RunRegistry(mkdtempSync(join(tmpdir(), 'tessera-home-')));
    expect(reg.list()).toEqual([]);
    reg.write(record(process.pid));
    expect(reg.list().map((r) => r.pid)).toEqual([process.pid]);
    reg.remove(process.pid);
    expect(reg.list()).toEqual([]);
  });

  it('drops stale records: a dead pid, or a pid reused by another process', () => {
    const reg = new RunRegistry(mkdtempSync(join(tmpdir(), 'tessera-home-')));
    const dead = deadPid();
    reg.write(record(dead));
    const reused = record(process.pid, { procStart: processStartOf(process.pid) === null ? null : '1' });
    writeFileSync(join(reg.dir, '1.json'), 'not json');
    expect(reg.list(false)).toEqual([]);
    expect(existsSync(reg.fileOf(dead))).toBe(true);
    expect(reg.list()).toEqual([]);
    expect(existsSync(reg.fileOf(dead))).toBe(false);
    if (reused.procStart !== null) expect(isRunning(reused)).toBe(false);
  });
});

describe('tessera list output', () => {
  it('shows dapr list\'s columns', () => {
    const rows = listedApps([record(123, { apps: [...record(123).apps, { appId: 'checkout', httpPort: 3501, grpcPort: 50002, appPort: null, command: '', appPid: null, appDir: '/srv' }] })]);
    expect(formatTable(rows)).toBe(
      [
        'APP ID    HTTP PORT  GRPC PORT  APP PORT  COMMAND      AGE  PID',
        'orders    3500       50001      3000      node app.js  1m   123',
        'checkout  3501       50002                             1m   123',
        '',
      ].join('\n'),
    );
    expect(rows[0]).toMatchObject({ appId: 'orders', pid: 123, cliPid: 123, appPid: 4242, runTemplatePath: '' });
  });

  it('prints ages as dapr does', () => {
    expect([ageOf(5_000), ageOf(61_000), ageOf(7_200_000), ageOf(3 * 86_400_000)]).toEqual(['5s', '1m', '2h', '3d']);
  });
});
