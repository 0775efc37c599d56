// Bindings e2e helpers: component YAML for the bindings under test, skipping a suite with the
// reason in its title (never passing it; backends are probed with @tessera/testing), whether the
// build has a binding type or bindings-svc yet, starting bindings-svc, DaprServer apps that
// record the input events they receive, and a local HTTP server for bindings.http.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { KNOWN_BINDING_TYPES } from '@tessera/registry';
import { DIST, ROOT, TesseraProcess, freePort, tempDir, waitPort } from './processes';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, verbose: () => undefined, debug: () => undefined };

export function componentYaml(name: string, type: string, md: Record<string, string>, scopes: readonly string[] = []): string {
  const meta = Object.entries(md)
    .map(([k, v]) => `    - name: ${k}\n      value: ${JSON.stringify(v)}`)
    .join('\n');
  const scopeLines = scopes.length > 0 ? `scopes:\n${scopes.map((s) => `  - ${s}`).join('\n')}\n` : '';
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${meta}
${scopeLines}`;
}

/** Why `type` cannot be tested here (not registered in this build yet), or undefined. */
export function bindingTypeSkipReason(type: string): string | undefined {
  return (KNOWN_BINDING_TYPES as readonly string[]).includes(type) ? undefined : `${type} is not in this build's registry yet`;
}

/** Why split mode cannot be tested (no bindings-svc app or bundle yet), or undefined. */
export function bindingsSvcSkipReason(): string | undefined {
  if (!existsSync(join(ROOT, 'apps', 'bindings-svc', 'src', 'main.ts'))) return 'apps/bindings-svc has no main.ts yet';
  if (!existsSync(join(DIST, 'bindings-svc', 'main.js'))) return 'dist/apps/bindings-svc/main.js is missing: run node tools/build.mjs bindings-svc';
  return undefined;
}

/** The first reason in the list, or undefined when every check passed. */
export function firstReason(...reasons: Array<string | undefined>): string | undefined {
  return reasons.find((r) => r !== undefined);
}

/** describe, or describe.skip with the reason in the title (and a warning). */
export function describeUnless(reason: string | undefined, title: string, fn: () => void): void {
  if (reason === undefined) {
    describe(title, fn);
    return;
  }
  console.warn(`${title}: skipped (${reason})`);
  describe.skip(`${title} (skipped: ${reason})`, fn);
}

export interface BindingsSvc {
  readonly address: string;
  readonly port: number;
  readonly proc: TesseraProcess;
  stop(): Promise<void>;
}

export async function startBindingsSvc(opts: { resources: string[]; port?: number; cwd?: string }): Promise<BindingsSvc> {
  const port = opts.port ?? (await freePort());
  const bundle = join(DIST, 'bindings-svc', 'main.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run node tools/build.mjs`);
  const args = ['--port', String(port)];
  for (const r of opts.resources) args.push('--resources-path', r);
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd: opts.cwd ?? tempDir(),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new TesseraProcess(child);
  await waitPort(proc, port);
  return { address: `127.0.0.1:${port}`, port, proc, stop: () => proc.stop() };
}

export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Input events a DaprServer app received, per binding, and how it answers. */
export class InputInbox {
  readonly events: Array<{ binding: string; data: unknown }> = [];
  /** Throw to make the app fail the event (HTTP 500 / gRPC error). */
  onEvent: (binding: string, data: unknown) => void = () => undefined;

  of(binding: string): unknown[] {
    return this.events.filter((e) => e.binding === binding).map((e) => e.data);
  }
}

/** A DaprServer app taking the input bindings `names`; start() is the caller's (after the runtime is launched). */
export async function inputApp(protocol: 'HTTP' | 'gRPC', appPort: number, dapr: { httpPort: number; grpcPort: number }, names: readonly string[]): Promise<{ server: DaprServer; inbox: InputInbox }> {
  const inbox = new InputInbox();
  const server = new DaprServer({
    serverHost: '127.0.0.1',
    serverPort: String(appPort),
    communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    clientOptions: {
      daprHost: '127.0.0.1',
      daprPort: String(protocol === 'HTTP' ? dapr.httpPort : dapr.grpcPort),
      communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    },
    logger: { level: LogLevel.Error, service: quiet },
  });
  for (const name of names) {
    await server.binding.receive(name, async (data: unknown) => {
      inbox.events.push({ binding: name, data });
      inbox.onEvent(name, data);
    });
  }
  return { server, inbox };
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A plain HTTP server recording every request; `reply` decides the answer. */
export class RecordingServer {
  readonly requests: Recorded[] = [];
  reply: (r: Recorded) => { status: number; body?: string; headers?: Record<string, string> } = () => ({ status: 200, body: '' });
  private server: Server | undefined;
  port = 0;

  async start(port?: number): Promise<number> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(r);
        const a = this.reply(r);
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      });
    });
    const p = port ?? (await freePort());
    await new Promise<void>((resolve) => this.server?.listen(p, '127.0.0.1', () => resolve()));
    this.port = p;
    return p;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
