// Child process of crash.spec.ts (bundled with esbuild, run with plain node): publishes COUNT
// messages to TOPIC on FILE, ten at a time, while consuming them in group `workers`. Reports to
// the file REPORT with synchronous writes (in the kernel once written, so they survive SIGKILL;
// stdout to a pipe may be buffered in the process and lost):
//   P <i>  publish of message i resolved (committed)
//   H <i>  the handler started on message i
//   A <i>  the handler is about to resolve (processed; the ack follows)
//   DONE   everything published
// The parent kills it with SIGKILL somewhere in the middle.
import { openSync, writeSync } from 'node:fs';
import { createSqlitePubSub } from '../src/sqlite-pubsub';

const file = process.env['FILE'] ?? '';
const topic = process.env['TOPIC'] ?? 'crash';
const count = Number(process.env['COUNT'] ?? '2000');
const report = openSync(process.env['REPORT'] ?? 'crash-report.txt', 'a');
const say = (line: string): void => {
  writeSync(report, `${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const ps = createSqlitePubSub({ name: 'bus', type: 'pubsub.sqlite', version: 'v1', properties: { connectionString: file, processingTimeout: '30s', concurrency: '10' }, appId: 'crash' });
  await ps.init();
  await ps.subscribe({ topic, consumerGroup: 'workers', metadata: {} }, async (m) => {
    const i = Buffer.from(m.data).toString();
    say(`H ${i}`);
    await sleep(Math.floor(Math.random() * 20));
    say(`A ${i}`);
  });
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, (_, k) => i + k);
    await Promise.all(batch.map((n) => ps.publish({ topic, data: new TextEncoder().encode(String(n)), metadata: {} })));
    for (const n of batch) say(`P ${n}`);
    // At most ~2000 messages a second: the parent must find the child mid-stream even when busy.
    await sleep(5);
  }
  say('DONE');
  await new Promise(() => undefined);
}

main().catch((e: unknown) => {
  process.stderr.write(`crash child failed: ${String(e)}\n`);
  process.exit(2);
});
