// pubsub.sqlite survives SIGKILL: a child process publishes and consumes on a file and is killed
// mid-stream; a new instance in this process then finishes the work. Nothing whose publish()
// resolved is lost (group `workers`, consumed during the crash, and group `audit`, which nobody
// consumed); only messages in flight at the kill are delivered twice, and the dead child's leases
// are released at once (same host, pid gone), not after processingTimeout. A third group, `live`,
// is consumed by this process while the child publishes (cross-process delivery by polling).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { PubSubRecorder } from '@tessera/conformance';
import type { PubSub } from '@tessera/spi';
import { createSqlitePubSub } from '../src/sqlite-pubsub';

const ROOT = resolve(__dirname, '../../../../..');
const COUNT = 20_000;
const CONCURRENCY = 10;
const dir = mkdtempSync(join(tmpdir(), 'tessera-pubsub-crash-'));
const file = join(dir, 'bus.db');
const bundle = join(dir, 'child.js');
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const warnings: string[] = [];
const open = async (): Promise<PubSub> => {
  const ps = createSqlitePubSub(
    { name: 'bus', type: 'pubsub.sqlite', version: 'v1', properties: { connectionString: file, processingTimeout: '30s', pollInterval: '100ms' }, appId: 'crash' },
    { logger: { info: () => undefined, warn: (msg, fields) => warnings.push(`${msg} ${JSON.stringify(fields)}`), error: (msg) => warnings.push(msg) } },
  );
  await ps.init();
  return ps;
};

beforeAll(() => {
  buildSync({
    entryPoints: [join(__dirname, 'crash-child.fixture.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['better-sqlite3'],
    tsconfig: join(__dirname, '..', 'tsconfig.json'),
    outfile: bundle,
    logLevel: 'error',
  });
});

describe('pubsub.sqlite crash (SIGKILL)', () => {
  it(
    'loses nothing published, redelivers what was in flight, and releases the dead leases at once',
    async () => {
      // Both groups exist before the child publishes anything.
      const setup = await open();
      await (await setup.subscribe({ topic: 'crash', consumerGroup: 'workers', metadata: {} }, async () => undefined)).close();
      await (await setup.subscribe({ topic: 'crash', consumerGroup: 'audit', metadata: {} }, async () => undefined)).close();
      await setup.close();
      // Group `live` is consumed here while the child writes: another process's rows, found by polling.
      const watcher = await open();
      const live = new PubSubRecorder();
      await watcher.subscribe({ topic: 'crash', consumerGroup: 'live', metadata: {} }, live.handler);

      const reportFile = join(dir, 'report.txt');
      const proc = spawn(process.execPath, [bundle], {
        env: { ...process.env, FILE: file, TOPIC: 'crash', COUNT: String(COUNT), REPORT: reportFile, NODE_PATH: join(ROOT, 'node_modules') },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = proc;
      let stderr = '';
      proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<NodeJS.Signals | null>((r) => proc.on('exit', (_code, signal) => r(signal)));
      const published = new Set<number>();
      const started = new Set<number>();
      const processed: number[] = [];
      let done = false;
      const readReport = (): void => {
        published.clear();
        started.clear();
        processed.length = 0;
        let text = '';
        try {
          text = readFileSync(reportFile, 'utf8');
        } catch {
          return;
        }
        // A last line without its newline was cut by the kill: ignore it.
        for (const line of text.split('\n').slice(0, -1)) {
          const [kind, n] = line.split(' ');
          if (kind === 'P') published.add(Number(n));
          else if (kind === 'H') started.add(Number(n));
          else if (kind === 'A') processed.push(Number(n));
          else if (kind === 'DONE') done = true;
        }
      };
      // Mid-stream: publishing and consuming both under way (or far enough along).
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
        if (Date.now() > deadline) throw new Error('child made no progress');
        readReport();
        if ((published.size >= 300 && processed.length >= 20) || published.size >= 1000) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      proc.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      readReport();
      expect(done).toBe(false);
      const liveBeforeKill = live.count();
      expect(liveBeforeKill).toBeGreaterThan(0);
      const inFlight = [...started].filter((n) => !processed.includes(n));

      const after = await open();
      const workers = new PubSubRecorder();
      const audit = new PubSubRecorder();
      const restartedAt = Date.now();
      await after.subscribe({ topic: 'crash', consumerGroup: 'workers', metadata: {} }, workers.handler);
      await after.subscribe({ topic: 'crash', consumerGroup: 'audit', metadata: {} }, audit.handler);
      const covers = (got: Iterable<number | string>): boolean => {
        const have = new Set([...got].map(Number));
        return [...published].every((n) => have.has(n));
      };
      await workers.until(() => covers([...processed, ...workers.messages.map((m) => m.text)]), 20_000, 'every published message processed by workers');
      await audit.until(() => covers(audit.distinct()), 20_000, 'every published message in audit');
      // The child's in-flight messages come back at once: its pid is gone (processingTimeout is 30 s).
      await workers.until(() => inFlight.every((n) => workers.distinct().has(String(n))), 5_000, 'in-flight messages redelivered');
      await live.until(() => covers(live.distinct()), 20_000, 'every published message in live');
      expect(Date.now() - restartedAt).toBeLessThan(15_000);
      await new Promise((r) => setTimeout(r, 500));
      await after.close();
      await watcher.close();

      const processedByChild = new Set(processed);
      const redone = workers.messages.map((m) => Number(m.text)).filter((n) => processedByChild.has(n));
      // Duplicates: only what was in flight in the child (handler done but ack not committed).
      expect(workers.duplicates()).toEqual(new Map());
      expect(redone.length).toBeLessThanOrEqual(CONCURRENCY);
      expect(audit.duplicates()).toEqual(new Map());
      expect(live.duplicates()).toEqual(new Map());
      for (const m of [...workers.messages, ...audit.messages]) expect(Number(m.text)).toBeLessThan(COUNT);
      expect(warnings).toEqual([]);
      console.info(
        `crash test: ${published.size} published before the kill, ${processed.length} processed by the child, ${inFlight.length} in flight, ` +
          `${workers.count()} finished after restart, ${redone.length} duplicates, audit ${audit.count()}, live ${live.count()} (${liveBeforeKill} before the kill)`,
      );
    },
    60_000,
  );
});
