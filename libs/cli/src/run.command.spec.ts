// tessera run's supervision with a fake runtime host and real app processes (tiny node scripts).
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootApps, CliIo, RuntimeBootIo } from './cli-io';
import { runCommand } from './run.command';

interface Harness {
  io: CliIo;
  signals: EventEmitter;
  out: { text: string };
  err: { text: string };
  events: string[];
  home: string;
  dir: string;
  exit: jest.Mock;
  boot: BootApps;
  booted: { io?: RuntimeBootIo; argv?: readonly (readonly string[])[]; shutdown?: (id: string) => void };
}

function harness(argv: string[], opts: { failBoot?: string; perAppClose?: boolean } = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-run-'));
  const home = join(dir, 'home');
  const out = { text: '' };
  const err = { text: '' };
  const signals = new EventEmitter();
  const events: string[] = [];
  const exit = jest.fn();
  const booted: Harness['booted'] = {};
  const boot: BootApps = async (io, apps, o) => {
    booted.io = io;
    booted.argv = apps;
    booted.shutdown = o.onShutdownRequest;
    const firstId = (apps[0]?.find((x) => x.startsWith('--app-id=')) ?? '').slice(9);
    io.stderr.write(`time="t" level=info msg="booting" app_id=${firstId}\n`);
    if (opts.failBoot) throw new Error(`${opts.failBoot}\nsecond line`);
    events.push('boot');
    return {
      apps: apps.map((a, i) => ({
        appId: (a.find((x) => x.startsWith('--app-id=')) ?? '').slice(9),
        host: '127.0.0.1',
        httpPort: 4000 + i,
        grpcPort: 5000 + i,
        ...(opts.perAppClose ? { close: async () => void events.push(`close ${i}`) } : {}),
      })),
      close: async () => void events.push('close'),
    };
  };
  const io: CliIo = {
    argv,
    env: { PATH: process.env['PATH'], TESSERA_HOME: home, HOME: dir },
    cwd: dir,
    stdout: { write: (s: string) => (out.text += s) },
    stderr: { write: (s: string) => (err.text += s) },
    signals,
    pid: process.pid,
    exit,
  };
  return { io, signals, out, err, events, home, dir, exit, boot, booted };
}

const node = process.execPath;
const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('tessera run (supervision)', () => {
  it('hands the app its runtime\'s ports and ends with the app\'s exit code', async () => {
    const h = harness(['--app-id', 'orders', '--app-port', '3000', '--', node, '-e', 'console.log(process.env.APP_ID, process.env.DAPR_HTTP_PORT, process.env.DAPR_GRPC_PORT, process.env.APP_PORT); process.exit(3)']);
    const code = await runCommand(h.io, h.boot);
    expect(code).toBe(3);
    expect(h.out.text).toContain('== APP == orders 4000 5000 3000\n');
    expect(h.err.text).toContain('== TESSERA == time="t" level=info msg="booting" app_id=orders\n');
    expect(h.events).toEqual(['boot', 'close']);
    expect(h.booted.argv?.[0]).toEqual(expect.arrayContaining(['--app-id=orders', '--app-port=3000', '--dapr-http-port=0', '--dapr-grpc-port=0']));
    expect(h.booted.io?.env).not.toHaveProperty('APP_PORT');
    expect(readdirSync(join(h.home, 'runs'))).toEqual([]);
  });

  it('stops the app first, then the runtime, on SIGINT; records the run meanwhile', async () => {
    const h = harness(['-a', 'orders', '--', node, '-e', 'process.on("SIGTERM", () => { console.log("bye"); process.exit(0) }); console.log("ready"); setInterval(() => {}, 1000)']);
    const done = runCommand(h.io, h.boot);
    await until(() => h.out.text.includes('== APP == ready'));
    expect(readdirSync(join(h.home, 'runs'))).toEqual([`${process.pid}.json`]);
    h.signals.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(0);
    expect(h.out.text.indexOf('== APP == bye')).toBeLessThan(h.out.text.indexOf('Exited Tessera successfully'));
    expect(h.events).toEqual(['boot', 'close']);
    expect(existsSync(join(h.home, 'runs', `${process.pid}.json`))).toBe(false);
  });

  it('kills the apps at once on a second signal', async () => {
    const h = harness(['-a', 'orders', '--', node, '-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)']);
    const done = runCommand(h.io, h.boot);
    await until(() => h.out.text.includes('== APP == ready'));
    h.signals.emit('SIGINT', 'SIGINT');
    h.signals.emit('SIGINT', 'SIGINT');
    expect(h.exit).toHaveBeenCalledWith(1);
    expect(await done).toBe(0);
  });

  it('ends the run when the app asks its runtime to shut down', async () => {
    const h = harness(['-a', 'orders', '--', node, '-e', 'console.log("ready"); setInterval(() => {}, 1000)']);
    const done = runCommand(h.io, h.boot);
    await until(() => h.out.text.includes('== APP == ready'));
    h.booted.shutdown?.('orders');
    expect(await done).toBe(0);
  });

  it('starts no app when the runtime cannot start, and prints one line', async () => {
    const marker = join(tmpdir(), `tessera-never-${process.pid}-${Date.now()}`);
    const h = harness(['-a', 'orders', '--', node, '-e', `require("fs").writeFileSync(${JSON.stringify(marker)}, "")`], { failBoot: 'listen EADDRINUSE: address already in use 127.0.0.1:3500' });
    expect(await runCommand(h.io, h.boot)).toBe(1);
    expect(h.err.text.split('\n').filter((l) => l.startsWith('tessera:'))).toEqual(['tessera: listen EADDRINUSE: address already in use 127.0.0.1:3500']);
    expect(existsSync(marker)).toBe(false);
  });

  it('stops the runtime and fails when the app cannot be started', async () => {
    const h = harness(['-a', 'orders', '--', 'no-such-command-tessera']);
    expect(await runCommand(h.io, h.boot)).toBe(1);
    expect(h.err.text).toContain('✗ app "orders": cannot start "no-such-command-tessera" in');
    expect(h.err.text).toContain('command not found');
    expect(h.events).toEqual(['boot', 'close']);
  });

  it('reports a bad flag before starting anything', async () => {
    const h = harness(['--app-port', 'x']);
    expect(await runCommand(h.io, h.boot)).toBe(1);
    expect(h.err.text).toBe('tessera: --app-port: expected a port number between 1 and 65535, got "x"\n');
    expect(h.events).toEqual([]);
  });

  it('names the app after the current folder when --app-id is not given', async () => {
    const h = harness(['--', node, '-e', 'console.log(process.env.APP_ID)']);
    expect(await runCommand(h.io, h.boot)).toBe(0);
    const id = h.dir.split('/').pop() as string;
    expect(h.out.text).toContain(`== APP == ${id}\n`);
    expect(h.booted.argv?.[0]?.[0]).toBe(`--app-id=${id}`);
  });

  it('prints the help', async () => {
    const h = harness(['--help']);
    expect(await runCommand(h.io, h.boot)).toBe(0);
    expect(h.out.text).toMatch(/^Usage:\n {2}tessera run \[flags\]/);
  });

  it('runs a run file\'s apps in their folders with their env; each exiting app retires its gateway', async () => {
    const h = harness([]);
    mkdirSync(join(h.dir, 'a'));
    mkdirSync(join(h.dir, 'b'));
    const script = 'console.log(require("path").basename(process.cwd()), process.env.APP_ID, process.env.DAPR_HTTP_PORT, process.env.GREETING)';
    writeFileSync(
      join(h.dir, 'dapr.yaml'),
      `version: 1\ncommon:\n  env:\n    GREETING: hi\napps:\n  - appDirPath: ./a\n    command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(script)}]\n  - appID: bee\n    appDirPath: ./b\n    env: { GREETING: yo }\n    command: [${JSON.stringify(node)}, "-e", ${JSON.stringify(script + '; setTimeout(() => {}, 300)')}]\n`,
    );
    const h2 = harness(['-f', join(h.dir, 'dapr.yaml')], { perAppClose: true });
    const code = await runCommand({ ...h2.io, cwd: h.dir }, h2.boot);
    expect(code).toBe(0);
    expect(h2.out.text).toContain('== APP - a == a a 4000 hi\n');
    expect(h2.out.text).toContain('== APP - bee == b bee 4001 yo\n');
    expect(h2.err.text).toContain('== TESSERA - a == ');
    expect(h2.events).toEqual(['boot', 'close 0', 'close']);
  });
});
