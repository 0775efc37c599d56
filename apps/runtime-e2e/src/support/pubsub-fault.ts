// Pub/sub fault-test helpers: a plain HTTP subscriber app that counts every delivery of every
// numbered message (cheaper than a DaprServer at 10,000 messages, and it outlives the runtime in
// front of it), a publisher that pushes numbered messages through a runtime's HTTP API with
// bounded concurrency and retries every failed publish (what an app does), recording the shape of
// each failure, and a one-line summary of both sides.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The subscriber app: `GET /dapr/subscribe` names one topic, `POST /msg` counts `data.n`. */
export class CountingApp {
  /** Deliveries per message number. */
  readonly counts = new Map<number, number>();
  /** Deliveries of probe messages (`data.probe`). */
  probes = 0;
  /** Every delivery, numbered messages only (first ones and repeats). */
  deliveries = 0;
  /** Delay before the app answers each delivery (to keep deliveries in flight). */
  delayMs = 0;
  private server: Server | undefined;

  constructor(
    readonly pubsub: string,
    readonly topic: string,
  ) {}

  /** Listens on `port` (or a free one); resolves with the port. */
  start(port = 0): Promise<number> {
    const server = createServer((req, res) => void this.serve(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  get unique(): number {
    return this.counts.size;
  }

  get duplicates(): number {
    return this.deliveries - this.counts.size;
  }

  /** Numbers in [0, count) never delivered. */
  missing(count: number): number[] {
    const out: number[] = [];
    for (let n = 0; n < count; n++) if (!this.counts.has(n)) out.push(n);
    return out;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method === 'GET' && req.url === '/dapr/subscribe') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ pubsubname: this.pubsub, topic: this.topic, route: '/msg' }]));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/msg') {
      res.writeHead(404).end();
      return;
    }
    let data: { n?: unknown; probe?: unknown } | undefined;
    try {
      data = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { n?: unknown; probe?: unknown } }).data;
    } catch {
      data = undefined;
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (typeof data?.n === 'number') {
      this.deliveries++;
      this.counts.set(data.n, (this.counts.get(data.n) ?? 0) + 1);
    } else if (data?.probe !== undefined) {
      this.probes++;
    } else {
      // Not ours: tell the runtime to drop it, so the test notices nothing odd is looping.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"DROP"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS"}');
  }
}

export interface PublishStats {
  /** Messages whose publish succeeded (204) in the end. */
  ok: number;
  /** Publish calls the runtime answered with an error (each was retried). */
  failed: number;
  /** Those failures by `<status> <errorCode>`. */
  codes: Record<string, number>;
  /** Failures whose body was not Dapr's `{errorCode, message}` (status and body, first 20). */
  badShape: string[];
  /** Calls that got no HTTP answer at all (connection refused or reset: the runtime was down). */
  unanswered: number;
  /** Calls with no answer within the call timeout (the runtime hung). */
  timeouts: number;
}

export interface PublishOptions {
  readonly http: string;
  readonly pubsub: string;
  readonly topic: string;
  readonly count: number;
  readonly concurrency?: number;
  /** Per-call timeout; a call that takes longer counts as a timeout and is retried. */
  readonly callTimeoutMs?: number;
  /** Give up (throw, with the counts) after this long. */
  readonly deadlineMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes {n: 0..count-1} with `concurrency` calls in flight, retrying each failed publish until
 * it succeeds. `stats` is live (the caller can trigger faults on `stats.ok`).
 */
export function publishNumbered(opts: PublishOptions): { stats: PublishStats; done: Promise<PublishStats> } {
  const stats: PublishStats = { ok: 0, failed: 0, codes: {}, badShape: [], unanswered: 0, timeouts: 0 };
  const url = `${opts.http}/v1.0/publish/${opts.pubsub}/${opts.topic}`;
  const callTimeout = opts.callTimeoutMs ?? 15_000;
  const deadline = Date.now() + (opts.deadlineMs ?? 90_000);
  let next = 0;
  const one = async (n: number): Promise<void> => {
    const body = JSON.stringify({ n });
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > deadline) throw new Error(`publishing did not finish in time: ${publishSummary(stats)}`);
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(callTimeout) });
      } catch (e) {
        if ((e as Error).name === 'TimeoutError') stats.timeouts++;
        else stats.unanswered++;
        await sleep(Math.min(500, 50 * 2 ** attempt));
        continue;
      }
      const text = await res.text();
      if (res.status === 204) {
        stats.ok++;
        return;
      }
      stats.failed++;
      let code: unknown;
      let message: unknown;
      try {
        ({ errorCode: code, message } = JSON.parse(text) as { errorCode?: unknown; message?: unknown });
      } catch {
        code = undefined;
      }
      if (typeof code === 'string' && code !== '' && typeof message === 'string' && message !== '') {
        const k = `${res.status} ${code}`;
        stats.codes[k] = (stats.codes[k] ?? 0) + 1;
      } else if (stats.badShape.length < 20) {
        stats.badShape.push(`${res.status} ${text.slice(0, 200)}`);
      }
      await sleep(Math.min(500, 50 * 2 ** attempt));
    }
  };
  const worker = async (): Promise<void> => {
    while (next < opts.count) await one(next++);
  };
  const done = Promise.all(Array.from({ length: opts.concurrency ?? 32 }, worker)).then(() => stats);
  return { stats, done };
}

export function publishSummary(s: PublishStats): string {
  const codes = Object.entries(s.codes)
    .map(([k, v]) => `${k} x${v}`)
    .join(', ');
  return `published ok ${s.ok}, failed publishes ${s.failed}${codes ? ` (${codes})` : ''}, unanswered ${s.unanswered}, timeouts ${s.timeouts}, not Dapr-shaped ${s.badShape.length}`;
}

export function faultSummary(title: string, count: number, s: PublishStats, app: CountingApp, ms: number): string {
  return `[pubsub-fault] ${title}: ${publishSummary(s)}; delivered unique ${app.unique}/${count}, duplicates ${app.duplicates}, missing ${count - app.unique}; ${(ms / 1000).toFixed(1)} s`;
}

/** Polls `cond` every 25 ms; throws `what()` (evaluated late, so it can carry counts) on timeout. */
export async function until(cond: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await sleep(25);
  }
}

/**
 * Publishes probes (`{probe: i}`) until the app has received one: the subscription is open and
 * (for brokers whose new groups start at the tail) everything published afterwards reaches it.
 */
export async function publishProbesUntilSeen(http: string, pubsub: string, topic: string, app: CountingApp, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; app.probes === 0; i++) {
    if (Date.now() > end) throw new Error(`the subscriber app received no probe on ${topic} within ${timeoutMs} ms`);
    await fetch(`${http}/v1.0/publish/${pubsub}/${topic}`, { method: 'POST', body: JSON.stringify({ probe: i }), headers: { 'content-type': 'application/json' } }).catch(() => undefined);
    await sleep(200);
  }
}

export { sleep };
