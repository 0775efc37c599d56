// Starting the real Tessera bundles as child processes for black-box tests: free ports, waiting
// for readiness, collecting output, killing for real (SIGKILL for fault tests).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..', '..');
export const DIST = join(ROOT, 'dist', 'apps');

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const addr = s.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      s.close(() => resolve(got));
    });
  });
}

/** Ports this process handed out already (never handed out twice). */
const handedOut = new Set<number>();
/** Below Linux's ephemeral range (32768+): the kernel never gives these to `listen(0)` / outgoing sockets. */
const LOW = 20_000;
const HIGH = 32_000;

/**
 * A port that is free now. Picked below the ephemeral range, so it cannot be taken meanwhile by
 * a runtime that binds port 0 (its internal server) or by an outgoing connection; falls back to
 * the kernel's choice.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const candidate = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(candidate)) continue;
    const got = await tryListen(candidate);
    if (got !== undefined) {
      handedOut.add(got);
      return got;
    }
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free port');
  handedOut.add(port);
  return port;
}

export function tempDir(prefix = 'tessera-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes YAML resources into a fresh folder and returns its path. */
export function resourcesDir(files: Record<string, string>): string {
  const dir = tempDir('tessera-res-');
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

export class TesseraProcess {
  /** stdout and stderr interleaved as received. */
  output = '';
  stdout = '';
  stderr = '';
  exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => {
      this.output += d.toString();
      this.stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
      this.stderr += d.toString();
    });
    // 'close', not 'exit': by then stdout/stderr are drained, so `output` is complete.
    this.exited = new Promise((resolve) => child.once('close', (code) => {
      this.exitCode = code;
      resolve(code);
    }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  waitExit(timeoutMs = 10_000): Promise<number | null> {
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms\n${this.output}`)), timeoutMs).unref()),
    ]);
  }

  /** Graceful stop (SIGTERM), falling back to SIGKILL. */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    try {
      await this.waitExit(8000);
    } catch {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  async kill(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export function startApp(app: 'all-in-one' | 'gateway' | 'state-svc' | 'secrets-svc' | 'lock-svc' | 'pubsub-svc' | 'bindings-svc' | 'cli', args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): TesseraProcess {
  const bundle = join(DIST, app, 'main.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run node tools/build.mjs`);
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd: opts.cwd ?? tempDir(),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new TesseraProcess(child);
}

/** What `npx tessera` runs: the workspace bin link npm creates for apps/cli. */
export const TESSERA_BIN = join(ROOT, 'node_modules', '.bin', 'tessera');
/** The file that link points at. */
export const TESSERA_BIN_SOURCE = join(ROOT, 'apps', 'cli', 'bin', 'tessera.js');

/**
 * Runs the `tessera` command as a user would: node_modules/.bin/tessera when npm has linked it,
 * else the script it links to (a missing link is asserted by its own test, not hidden here).
 */
export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): TesseraProcess {
  const bin = existsSync(TESSERA_BIN) ? TESSERA_BIN : TESSERA_BIN_SOURCE;
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? tempDir(),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new TesseraProcess(child);
}

/** Polls `url` until it answers `status` (default any < 500) or the process exits. */
export async function waitHttp(p: TesseraProcess, url: string, timeoutMs = 20_000, ok = (s: number) => s < 500): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (p.exitCode !== undefined) throw new Error(`process exited (${p.exitCode}) before ${url} answered:\n${p.output}`);
    try {
      const res = await fetch(url);
      if (ok(res.status)) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${p.output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until a TCP port accepts connections. */
export async function waitPort(p: TesseraProcess, port: number, timeoutMs = 20_000): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (p.exitCode !== undefined) throw new Error(`process exited (${p.exitCode}) before port ${port} opened:\n${p.output}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`port ${port} did not open within ${timeoutMs} ms:\n${p.output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Runtime {
  readonly http: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly proc: TesseraProcess;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  appId?: string;
  resources?: string[];
  stateSvc?: string;
  /** --secrets-svc-address: the secrets block in a separate secrets-svc (split mode). */
  secretsSvc?: string;
  /** --lock-svc-address: the lock block in a separate lock-svc (split mode). */
  lockSvc?: string;
  /** --pubsub-svc-address: the pub/sub block in a separate pubsub-svc (split mode). */
  pubsubSvc?: string;
  /** --app-port: /v1.0/healthz only answers 204 once the app accepts connections on it. */
  appPort?: number;
  /** --app-protocol (http, grpc, …). */
  appProtocol?: string;
  /** --config: a Configuration YAML file. */
  config?: string;
  /** Fixed API ports (e.g. to restart a runtime on the ports it had); default: free ports. */
  httpPort?: number;
  grpcPort?: number;
  extraArgs?: string[];
  /** Pass TESSERA_HOME (a per-test temp folder) here: name resolution lives under it. */
  env?: Record<string, string>;
  cwd?: string;
  /** Don't wait for healthz (e.g. when the app starts after its runtime). */
  noWait?: boolean;
}

/** Starts an all-in-one runtime (or a split gateway with `stateSvc`) and waits for /v1.0/healthz. */
export async function startRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  const httpPort = opts.httpPort ?? (await freePort());
  const grpcPort = opts.grpcPort ?? (await freePort());
  const args = ['--dapr-http-port', String(httpPort), '--dapr-grpc-port', String(grpcPort)];
  if (opts.appId) args.push('--app-id', opts.appId);
  if (opts.appPort !== undefined) args.push('--app-port', String(opts.appPort));
  if (opts.appProtocol) args.push('--app-protocol', opts.appProtocol);
  if (opts.config) args.push('--config', opts.config);
  for (const r of opts.resources ?? []) args.push('--resources-path', r);
  if (opts.stateSvc) args.push('--state-svc-address', opts.stateSvc);
  if (opts.secretsSvc) args.push('--secrets-svc-address', opts.secretsSvc);
  if (opts.lockSvc) args.push('--lock-svc-address', opts.lockSvc);
  if (opts.pubsubSvc) args.push('--pubsub-svc-address', opts.pubsubSvc);
  args.push(...(opts.extraArgs ?? []));
  const split = opts.stateSvc || opts.secretsSvc || opts.lockSvc || opts.pubsubSvc;
  const proc = startApp(split ? 'gateway' : 'all-in-one', args, { cwd: opts.cwd, env: opts.env });
  const http = `http://127.0.0.1:${httpPort}`;
  if (!opts.noWait) await waitHttp(proc, `${http}/v1.0/healthz`, 20_000, (s) => s === 204);
  return { http, httpPort, grpcPort, proc, stop: () => proc.stop() };
}

export interface StateSvc {
  readonly address: string;
  readonly port: number;
  readonly proc: TesseraProcess;
  stop(): Promise<void>;
}

export async function startStateSvc(opts: { resources?: string[]; cwd?: string; port?: number } = {}): Promise<StateSvc> {
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port)];
  for (const r of opts.resources ?? []) args.push('--resources-path', r);
  const proc = startApp('state-svc', args, { cwd: opts.cwd });
  await waitPort(proc, port);
  return { address: `127.0.0.1:${port}`, port, proc, stop: () => proc.stop() };
}

export interface SecretsSvc {
  readonly address: string;
  readonly port: number;
  readonly proc: TesseraProcess;
  stop(): Promise<void>;
}

/** Starts a secrets-svc (its env: the environment its embedded or local.env stores read). */
export async function startSecretsSvc(opts: { resources?: string[]; config?: string; cwd?: string; port?: number; env?: Record<string, string> } = {}): Promise<SecretsSvc> {
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port)];
  for (const r of opts.resources ?? []) args.push('--resources-path', r);
  if (opts.config) args.push('--config', opts.config);
  const proc = startApp('secrets-svc', args, { cwd: opts.cwd, env: opts.env });
  await waitPort(proc, port);
  return { address: `127.0.0.1:${port}`, port, proc, stop: () => proc.stop() };
}

export interface LockSvc {
  readonly address: string;
  readonly port: number;
  readonly proc: TesseraProcess;
  stop(): Promise<void>;
}

/** Starts a lock-svc (no resources: the embedded lockstore, SQLite under its cwd's .tessera/). */
export async function startLockSvc(opts: { resources?: string[]; cwd?: string; port?: number } = {}): Promise<LockSvc> {
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port)];
  for (const r of opts.resources ?? []) args.push('--resources-path', r);
  const proc = startApp('lock-svc', args, { cwd: opts.cwd });
  await waitPort(proc, port);
  return { address: `127.0.0.1:${port}`, port, proc, stop: () => proc.stop() };
}

export interface PubSubSvc {
  readonly address: string;
  readonly port: number;
  readonly proc: TesseraProcess;
  stop(): Promise<void>;
}

/** Starts a pubsub-svc (no resources: the embedded pubsub, SQLite under its cwd's .tessera/). */
export async function startPubSubSvc(opts: { resources?: string[]; cwd?: string; port?: number; env?: Record<string, string> } = {}): Promise<PubSubSvc> {
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port)];
  for (const r of opts.resources ?? []) args.push('--resources-path', r);
  const proc = startApp('pubsub-svc', args, { cwd: opts.cwd, env: opts.env });
  await waitPort(proc, port);
  return { address: `127.0.0.1:${port}`, port, proc, stop: () => proc.stop() };
}
