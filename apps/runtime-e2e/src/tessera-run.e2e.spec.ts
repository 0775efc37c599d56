// `tessera run`, `tessera list` and `tessera stop` as a user meets them: the runtime in the
// `tessera run` process, the app as a child with the runtime's ports in its environment, Ctrl-C
// stopping both (no process left), a multi-app run file with every app's gateway in one runtime
// process sharing one state store, list/stop through the registry in TESSERA_HOME, and one-line
// errors. The apps are tiny node scripts written into temp folders.
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { freePort, startCli, tempDir } from './support/processes';
import type { TesseraProcess } from './support/processes';

const NODE = process.execPath;

/** An app that reports what it was given and what its runtime says, then runs until SIGTERM. */
const APP = `
const http = require('node:http');
const env = process.env;
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port: env.DAPR_HTTP_PORT, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
    let b = '';
    res.on('data', (d) => (b += d));
    res.on('end', () => resolve({ status: res.statusCode, body: b }));
  });
  req.on('error', reject);
  req.end(body === undefined ? undefined : JSON.stringify(body));
});
process.on('SIGTERM', () => { console.log('app ' + env.APP_ID + ' got SIGTERM'); process.exit(0); });
if (env.APP_PORT) {
  http.createServer((req, res) => { console.log('called ' + req.method + ' ' + req.url); res.end('hello from ' + env.APP_ID); }).listen(Number(env.APP_PORT), '127.0.0.1');
}
(async () => {
  const meta = JSON.parse((await call('GET', '/v1.0/metadata')).body);
  console.log('saw app id ' + meta.id + ' env ' + [env.APP_ID, env.DAPR_HTTP_PORT, env.DAPR_GRPC_PORT, env.APP_PORT || '-', env.ROLE || '-', require('node:path').basename(process.cwd())].join(' '));
  if (env.ROLE === 'writer') {
    const r = await call('POST', '/v1.0/state/statestore', [{ key: 'shared', value: 'from-' + env.APP_ID }]);
    console.log('written ' + r.status);
  }
  if (env.EXIT_WITH) process.exit(Number(env.EXIT_WITH));
})().catch((e) => { console.error('app failed: ' + e.message); process.exit(2); });
setInterval(() => {}, 1000);
`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function until(cond: () => boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Listed {
  appId: string;
  httpPort: number;
  grpcPort: number;
  appPort: number;
  pid: number;
  appPid: number;
  command: string;
  runTemplatePath: string;
}

async function cli(args: string[], env: Record<string, string>, cwd?: string): Promise<TesseraProcess> {
  const p = startCli(args, { env, cwd });
  await p.waitExit(40_000);
  return p;
}

async function listJson(env: Record<string, string>): Promise<Listed[]> {
  const p = await cli(['list', '-o', 'json'], env);
  expect(p.exitCode).toBe(0);
  return JSON.parse(p.stdout) as Listed[];
}

describe('tessera run (one app)', () => {
  const home = tempDir('tessera-home-');
  const env = { TESSERA_HOME: home };
  const running: TesseraProcess[] = [];
  afterAll(async () => {
    for (const r of running) await r.stop();
  });

  it('starts the runtime, then the app with its ports; Ctrl-C stops the app, then the runtime, and leaves nothing', async () => {
    const dir = tempDir('tessera-run-');
    writeFileSync(join(dir, 'app.js'), APP);
    const appPort = await freePort();
    const p = startCli(['run', '--app-id', 'orders', '--app-port', String(appPort), '--', NODE, 'app.js'], { cwd: dir, env });
    running.push(p);
    await until(() => p.stdout.includes('saw app id'), () => `the app's line, got:\n${p.output}`);
    const [listed] = await listJson(env);
    expect(listed).toMatchObject({ appId: 'orders', pid: p.pid, appPort, command: `${NODE} app.js` });
    const app = listed as Listed;
    expect(p.stdout).toContain(`== APP == saw app id orders env orders ${app.httpPort} ${app.grpcPort} ${appPort} - ${dir.split('/').pop()}\n`);
    expect(p.stderr).toMatch(/^== TESSERA == time=.* level=info /m);
    expect((await fetch(`http://127.0.0.1:${app.httpPort}/v1.0/metadata`)).status).toBe(200);
    expect(isAlive(app.appPid)).toBe(true);

    p.child.kill('SIGINT');
    expect(await p.waitExit(20_000)).toBe(0);
    expect(p.stdout.indexOf('== APP == app orders got SIGTERM')).toBeGreaterThan(0);
    expect(p.stdout.indexOf('== APP == app orders got SIGTERM')).toBeLessThan(p.stdout.indexOf('Exited Tessera successfully'));
    expect(isAlive(app.appPid)).toBe(false);
    expect(isAlive(p.pid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${app.httpPort}/v1.0/healthz`)).rejects.toThrow();
    expect(readdirSync(join(home, 'runs'))).toEqual([]);
  });

  it('ends with the app\'s exit code when the app exits by itself', async () => {
    const dir = tempDir('tessera-run-');
    writeFileSync(join(dir, 'app.js'), APP);
    const p = startCli(['run', '-a', 'quitter', '--', NODE, 'app.js'], { cwd: dir, env: { ...env, EXIT_WITH: '7' } });
    running.push(p);
    expect(await p.waitExit(20_000)).toBe(7);
    expect(p.stdout).toContain('== APP == saw app id quitter');
  });

  it('is stopped by `tessera stop --app-id`', async () => {
    const dir = tempDir('tessera-run-');
    writeFileSync(join(dir, 'app.js'), APP);
    const p = startCli(['run', '-a', 'stoppable', '--', NODE, 'app.js'], { cwd: dir, env });
    running.push(p);
    await until(() => p.stdout.includes('saw app id'), () => `the app's line, got:\n${p.output}`);
    const s = await cli(['stop', '--app-id', 'stoppable'], env);
    expect(s.exitCode).toBe(0);
    expect(s.stdout).toContain(`✓ stopped app id stoppable (run ${p.pid}: stoppable)`);
    expect(p.exitCode).toBe(0);
    const again = await cli(['stop', '--app-id', 'stoppable'], env);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toBe('✗ failed to stop app id stoppable: not running\n');
  });

  it('prints the runtime\'s one-line error and starts no app when the runtime cannot start', async () => {
    const dir = tempDir('tessera-run-');
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const marker = join(dir, 'started');
      const p = await cli(['run', '-a', 'blocked', '--dapr-http-port', String(port), '--', NODE, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], env, dir);
      expect(p.exitCode).toBe(1);
      const errors = p.stderr.split('\n').filter((l) => l.startsWith('tessera:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/EADDRINUSE/);
      expect(existsSync(marker)).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('rejects a bad flag with one line', async () => {
    const p = await cli(['run', '--app-port', 'x', '--', NODE, '-e', '0'], env);
    expect(p.exitCode).toBe(1);
    expect(p.stderr).toBe('tessera: --app-port: expected a port number between 1 and 65535, got "x"\n');
    expect(p.stdout).toBe('');
  });

  it('documents its flags in --help', async () => {
    const p = await cli(['run', '--help'], env);
    expect(p.exitCode).toBe(0);
    for (const flag of ['--app-id', '--app-port', '--app-protocol', '--dapr-http-port', '--dapr-grpc-port', '--resources-path', '--config', '--run-file', '--log-level', '--enable-api-logging']) {
      expect(p.stdout).toContain(flag);
    }
  });
});

describe('tessera run -f (several apps in one runtime process)', () => {
  const home = tempDir('tessera-home-');
  const env = { TESSERA_HOME: home };
  let dir: string;
  let run: TesseraProcess;
  let alphaPort: number;

  beforeAll(async () => {
    alphaPort = await freePort();
    dir = tempDir('tessera-runfile-');
    for (const app of ['alpha', 'beta']) {
      mkdirSync(join(dir, app));
      writeFileSync(join(dir, app, 'app.js'), APP);
    }
    mkdirSync(join(dir, 'components'));
    writeFileSync(
      join(dir, 'components', 'state.yaml'),
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.in-memory
  version: v1
  metadata:
    - name: keyPrefix
      value: none
`,
    );
    writeFileSync(
      join(dir, 'dapr.yaml'),
      `version: 1
common:
  resourcesPath: ./components
apps:
  - appID: alpha
    appDirPath: ./alpha
    appPort: ${alphaPort}
    command: [${JSON.stringify(NODE)}, "app.js"]
    env:
      ROLE: writer
  - appDirPath: ./beta/
    command: [${JSON.stringify(NODE)}, "app.js"]
    env:
      ROLE: reader
`,
    );
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('hosts every app\'s gateway in one process; the apps get their env; they share the state store', async () => {
    run = startCli(['run', '-f', join(dir, 'dapr.yaml')], { env });
    await until(() => run.stdout.includes('== APP - alpha == written') && run.stdout.includes('== APP - beta == saw app id'), () => `both apps, got:\n${run.output}`);
    expect(run.stdout).toContain('== APP - alpha == written 204');

    const apps = await listJson(env);
    expect(apps.map((a) => a.appId)).toEqual(['alpha', 'beta']);
    for (const a of apps) {
      expect(a.pid).toBe(run.pid);
      expect(a.runTemplatePath).toBe(join(dir, 'dapr.yaml'));
      expect(isAlive(a.appPid)).toBe(true);
      expect((await fetch(`http://127.0.0.1:${a.httpPort}/v1.0/healthz`)).status).toBe(204);
    }
    const [alpha, beta] = apps as [Listed, Listed];
    expect(alpha.httpPort).not.toBe(beta.httpPort);
    expect(run.stdout).toContain(`== APP - alpha == saw app id alpha env alpha ${alpha.httpPort} ${alpha.grpcPort} ${alphaPort} writer alpha\n`);
    expect(run.stdout).toContain(`== APP - beta == saw app id beta env beta ${beta.httpPort} ${beta.grpcPort} - reader beta\n`);
    expect(run.stderr).toMatch(/^== TESSERA - beta == time=/m);

    const read = await fetch(`http://127.0.0.1:${beta.httpPort}/v1.0/state/statestore/shared`);
    expect(read.status).toBe(200);
    expect(await read.json()).toBe('from-alpha');

    // service invocation between the apps of the run: beta's gateway -> alpha's gateway -> alpha
    let invoked: Response | undefined;
    for (let i = 0; i < 100 && invoked?.status !== 200; i++) {
      invoked = await fetch(`http://127.0.0.1:${beta.httpPort}/v1.0/invoke/alpha/method/hi`);
      if (invoked.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(invoked?.status).toBe(200);
    expect(await invoked?.text()).toBe('hello from alpha');
    expect(run.stdout).toContain('== APP - alpha == called GET /hi\n');

    const table = await cli(['list'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^APP ID +HTTP PORT +GRPC PORT +APP PORT +COMMAND +AGE +PID$/);
    expect(table.stdout).toMatch(new RegExp(`^alpha +${alpha.httpPort} +${alpha.grpcPort} +.*app\\.js +\\d+s +${run.pid}$`, 'm'));
  });

  it('is stopped by `tessera stop -f`, apps first, and leaves no process', async () => {
    const apps = await listJson(env);
    const s = await cli(['stop', '-f', dir], env);
    expect(s.exitCode).toBe(0);
    expect(s.stdout).toContain(`✓ stopped run file ${dir} (run ${run.pid}: alpha, beta)`);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.indexOf('== APP - beta == app beta got SIGTERM')).toBeLessThan(run.stdout.indexOf('Exited Tessera successfully'));
    for (const a of apps) expect(isAlive(a.appPid)).toBe(false);
    const list = await cli(['list'], env);
    expect(list.stdout).toBe('No Tessera instances found.\n');
  });

  it('rejects a bad run file with one line naming the file and the field, starting nothing', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\napps:\n  - appDirPath: ./alpha\n    appPort: abc\n');
    const p = await cli(['run', '-f', 'bad.yaml'], env, dir);
    expect(p.exitCode).toBe(1);
    expect(p.stderr).toBe('tessera: bad.yaml: apps[0].appPort: expected a port number, got the string "abc"\n');
    expect(p.stdout).toBe('');
  });
});
