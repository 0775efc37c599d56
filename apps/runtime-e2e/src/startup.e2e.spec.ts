// Start-up as a user meets it: the all-in-one runtime on embedded defaults (banner, working curl
// lines, durable state across restarts), bad resource files (exit 1 with one line naming file,
// component and field; spec.ignoreErrors starts anyway), and the `tessera` command (help,
// relative --resources-path resolved against the caller's folder).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, resourcesDir, startApp, startCli, TESSERA_BIN, tempDir, waitHttp } from './support/processes';
import type { TesseraProcess } from './support/processes';

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

async function ports(): Promise<{ http: number; grpc: number }> {
  return { http: await freePort(), grpc: await freePort() };
}

async function until(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const nonEmptyLines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

describe('embedded defaults, no flags', () => {
  // "No flags": the ports come from daprd's own environment variables (DAPR_HTTP_PORT,
  // DAPR_GRPC_PORT) so the test does not depend on 3500/50001 being free.
  const cwd = tempDir('tessera-defaults-');
  let p: { http: number; grpc: number };
  const running: TesseraProcess[] = [];

  const start = async (): Promise<TesseraProcess> => {
    const proc = startApp('all-in-one', [], { cwd, env: { DAPR_HTTP_PORT: String(p.http), DAPR_GRPC_PORT: String(p.grpc) } });
    running.push(proc);
    await waitHttp(proc, `http://127.0.0.1:${p.http}/v1.0/healthz`, 20_000, (s) => s === 204);
    return proc;
  };
  const base = (): string => `http://127.0.0.1:${p.http}`;

  beforeAll(async () => {
    p = await ports();
  });

  afterAll(async () => {
    for (const r of running) await r.kill();
  });

  it('prints a banner on stdout with the HTTP URL and curl lines that work as printed', async () => {
    const proc = await start();
    await until(() => proc.stdout.includes('Stop with Ctrl-C'), 5000, () => `the banner, got:\n${proc.output}`);
    expect(proc.stdout).toContain(`Dapr HTTP API   ${base()}`);
    expect(proc.stdout).toContain(`Dapr gRPC API   127.0.0.1:${p.grpc}`);
    expect(proc.stdout).toContain(`state store     statestore (state.sqlite, ${join(cwd, '.tessera', 'state.db')})`);
    // Logs go to stderr; stdout is the banner only.
    expect(proc.stdout).not.toMatch(/level=/);
    const curls = proc.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl '));
    expect(curls).toHaveLength(2);
    expect(curls[0]).toContain(`curl -X POST ${base()}/v1.0/state/statestore`);
    expect(curls[1]).toBe(`curl ${base()}/v1.0/state/statestore/hello`);
    const write = spawnSync('sh', ['-c', `${curls[0]} -s -w '%{http_code}'`], { encoding: 'utf8', timeout: 10_000 });
    expect(write.stdout).toBe('204');
    const read = spawnSync('sh', ['-c', `${curls[1]} -s`], { encoding: 'utf8', timeout: 10_000 });
    expect(read.stdout).toBe('"world"');
    expect(existsSync(join(cwd, '.tessera', 'state.db'))).toBe(true);
  });

  it('data written survives a graceful restart and a SIGKILL restart in the same folder', async () => {
    const save = async (key: string, value: unknown): Promise<number> =>
      (await fetch(`${base()}/v1.0/state/statestore`, { method: 'POST', body: JSON.stringify([{ key, value }]) })).status;
    const get = async (key: string): Promise<{ status: number; body: string }> => {
      const r = await fetch(`${base()}/v1.0/state/statestore/${key}`);
      return { status: r.status, body: await r.text() };
    };

    // The process of the previous test is still up: stop it gracefully (SIGTERM -> exit 0).
    const first = running[running.length - 1] ?? (await start());
    expect(await save(`${RUN}-graceful`, { kept: 1 })).toBe(204);
    await first.stop();
    expect(first.exitCode).toBe(0);

    const second = await start();
    expect(await get(`${RUN}-graceful`)).toEqual({ status: 200, body: '{"kept":1}' });
    expect(await get('hello')).toEqual({ status: 200, body: '"world"' });
    expect(await save(`${RUN}-killed`, { kept: 2 })).toBe(204);
    await second.kill();

    await start();
    expect(await get(`${RUN}-killed`)).toEqual({ status: 200, body: '{"kept":2}' });
    expect(await get(`${RUN}-graceful`)).toEqual({ status: 200, body: '{"kept":1}' });
  });
});

const component = (name: string, spec: string): string => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
${spec}`;

const GOOD = component('goodstore', '  type: state.in-memory\n  version: v1\n  metadata: []\n');

interface BadCase {
  title: string;
  file: string;
  /** Builds the YAML; `ignore` adds spec.ignoreErrors: true. */
  yaml: (ignore: boolean) => string;
  /** Fragments the one error line must contain besides the file. */
  mentions: Array<string | RegExp>;
  ignorable: boolean;
}

const ignoreLine = (ignore: boolean): string => (ignore ? '  ignoreErrors: true\n' : '');

const BAD: BadCase[] = [
  {
    title: 'missing spec.type',
    file: 'broken.yaml',
    yaml: (i) => component('broken', `  version: v1\n${ignoreLine(i)}  metadata: []\n`),
    mentions: ['component "broken"', 'spec.type'],
    ignorable: true,
  },
  {
    title: 'unknown type state.foo',
    file: 'foo.yaml',
    yaml: (i) => component('foostore', `  type: state.foo\n  version: v1\n${ignoreLine(i)}  metadata: []\n`),
    mentions: ['component "foostore"', 'spec.type', 'state.foo'],
    ignorable: true,
  },
  {
    title: 'crypto.dapr.localstorage (a block this build does not have)',
    file: 'crypto.yaml',
    yaml: (i) => component('orders', `  type: crypto.dapr.localstorage\n  version: v1\n${ignoreLine(i)}  metadata:\n    - name: path\n      value: "/tmp"\n`),
    mentions: ['component "orders"', 'spec.type', 'crypto.dapr.localstorage'],
    ignorable: true,
  },
  {
    title: 'bad YAML',
    file: 'bad.yaml',
    yaml: () => 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: broken\n  labels: [unclosed\nspec:\n  type: state.in-memory\n',
    // The parser notices the unclosed `[` on line 5 at the start of line 6.
    mentions: [/: line [56], column \d+: invalid YAML: /],
    ignorable: false,
  },
];

describe('bad resource files', () => {
  it.each(BAD)('$title: exit code 1 and one line naming the file, the component and the field', async (c) => {
    const dir = resourcesDir({ 'a-good.yaml': GOOD, [c.file]: c.yaml(false) });
    const p = await ports();
    const proc = startApp('all-in-one', ['--dapr-http-port', String(p.http), '--dapr-grpc-port', String(p.grpc), '--resources-path', dir]);
    try {
      expect(await proc.waitExit(15_000)).toBe(1);
      const lines = nonEmptyLines(proc.stderr);
      expect(lines).toHaveLength(1);
      const line = lines[0] as string;
      expect(line).toContain(join(dir, c.file));
      for (const m of c.mentions) expect(line).toEqual(typeof m === 'string' ? expect.stringContaining(m) : expect.stringMatching(m));
      expect(proc.stdout).toBe('');
    } finally {
      await proc.kill();
    }
  });

  it.each(BAD.filter((c) => c.ignorable))('$title with spec.ignoreErrors: true: starts, serves the other components', async (c) => {
    const dir = resourcesDir({ 'a-good.yaml': GOOD, [c.file]: c.yaml(true) });
    const p = await ports();
    const proc = startApp('all-in-one', ['--dapr-http-port', String(p.http), '--dapr-grpc-port', String(p.grpc), '--resources-path', dir]);
    try {
      await waitHttp(proc, `http://127.0.0.1:${p.http}/v1.0/healthz`, 20_000, (s) => s === 204);
      const meta = (await (await fetch(`http://127.0.0.1:${p.http}/v1.0/metadata`)).json()) as { components: Array<{ name: string }> };
      expect(meta.components.map((x) => x.name)).toEqual(['goodstore']);
      const save = await fetch(`http://127.0.0.1:${p.http}/v1.0/state/goodstore`, { method: 'POST', body: '[{"key":"k","value":1}]' });
      expect(save.status).toBe(204);
      // The skipped component is reported once, as a warning naming it.
      expect(proc.stderr).toMatch(/level=warning[^\n]*ignoreErrors/);
    } finally {
      await proc.kill();
    }
  });
});

describe('the tessera command', () => {
  it('npx tessera resolves: node_modules/.bin/tessera is linked (npm workspaces)', () => {
    expect({ bin: TESSERA_BIN, exists: existsSync(TESSERA_BIN) }).toEqual({ bin: TESSERA_BIN, exists: true });
  });

  it('tessera runtime --help lists the flags and exits 0', async () => {
    const proc = startCli(['runtime', '--help']);
    expect(await proc.waitExit(15_000)).toBe(0);
    for (const flag of ['--app-id', '--dapr-http-port', '--dapr-grpc-port', '--resources-path', '--max-body-size', '--log-level', '--state-svc-address', '--data-dir', '--config']) {
      expect(proc.stdout).toContain(flag);
    }
    expect(proc.stdout).toContain('DAPR_API_TOKEN');
  });

  it('tessera runtime from another folder resolves a relative --resources-path against that folder', async () => {
    const folder = tempDir('tessera-cli-');
    mkdirSync(join(folder, 'components'));
    writeFileSync(join(folder, 'components', 'store.yaml'), component('relstore', '  type: state.in-memory\n  version: v1\n  metadata: []\n'));
    const p = await ports();
    const proc = startCli(['runtime', '--app-id', 'rel', '--resources-path', './components', '--dapr-http-port', String(p.http), '--dapr-grpc-port', String(p.grpc)], { cwd: folder });
    try {
      await waitHttp(proc, `http://127.0.0.1:${p.http}/v1.0/healthz`, 20_000, (s) => s === 204);
      const meta = (await (await fetch(`http://127.0.0.1:${p.http}/v1.0/metadata`)).json()) as { id: string; components: Array<{ name: string; type: string }> };
      expect(meta.id).toBe('rel');
      expect(meta.components.map((x) => [x.name, x.type])).toEqual([['relstore', 'state.in-memory']]);
      expect(existsSync(join(folder, '.tessera'))).toBe(false);
    } finally {
      await proc.kill();
    }
  });

  it('a relative --resources-path that does not exist: exit 1 naming the path as seen from the folder', async () => {
    const folder = tempDir('tessera-cli-');
    const p = await ports();
    const proc = startCli(['runtime', '--resources-path', './missing', '--dapr-http-port', String(p.http), '--dapr-grpc-port', String(p.grpc)], { cwd: folder });
    expect(await proc.waitExit(15_000)).toBe(1);
    const lines = nonEmptyLines(proc.stderr);
    expect(lines).toHaveLength(1);
    // Paths under the working folder are shown relative to it, as the user wrote them.
    expect(lines[0]).toBe('tessera: missing: resources path does not exist; expected a folder of resource YAML files');
  });
});
