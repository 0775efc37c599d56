// Issue #4: publish and subscribe through Tessera, beside Redis Streams used directly, in one run.
//
// 1. Publish throughput, closed loop, --conns requests in flight (default 16; HTTP: that many
//    keep-alive connections), 1 KB JSON body (the same 1,024 bytes on every path):
//      a. direct   ioredis `XADD <stream> * data <body>` from the load process (one connection)
//      b. minimal  the leanest HTTP publisher: a node:http server (child process) doing that XADD
//                  per POST and answering 204, driven like the runtimes (what HTTP alone costs)
//      c. redis    POST /v1.0/publish/redis/<topic> on the all-in-one runtime, pubsub.redis
//      d. split    the same through dist/apps/gateway -> dist/apps/pubsub-svc -> Redis
//      e. sqlite   POST /v1.0/publish/pubsub/<topic> on an all-in-one runtime on embedded defaults
//      f. memory   POST /v1.0/publish/memory/<topic>, pubsub.in-memory (no broker, no subscriber)
//    c-f wrap the body in a CloudEvent (content type application/json), as an app's publish does.
// 2. Bulk publish, closed loop, same concurrency: POST /v1.0-alpha1/publish/bulk/<pubsub>/<topic>
//    with 10 entries of 1 KB each, in requests/s:
//      raw   Dapr's own perf test shape (tests/perf/pubsub_bulk_publish_http/test.js): entries of
//            text/plain 1,024-char hex strings, `?metadata.rawPayload=true` (no CloudEvent)
//      json  entries of 1 KB JSON objects, content type application/json (one CloudEvent each)
//    on pubsub.in-memory (memory), pubsub.redis (redis) and split mode on Redis (split).
// 3. Publish-to-delivery latency at an OPEN-LOOP constant rate (default 1,000 msg/s, 10 s recorded
//    after 2 s of warm-up), 1 KB JSON carrying the run id, a sequence number and its scheduled send
//    time (CLOCK_MONOTONIC, shared by every process on the machine):
//      direct   the load process XADDs; a consumer loop in the sink process (own ioredis
//               connection) runs XREADGROUP COUNT 100 BLOCK 2000 ... > and XACKs each batch
//      redis    the load process POSTs to the all-in-one runtime's publish API (pubsub.redis); the
//               runtime reads the stream (consumer group = app id) and POSTs the CloudEvent to the
//               sink's node:http subscriber app (`GET /dapr/subscribe` -> route /lat), which answers
//               200 {"status":"SUCCESS"} at once; the runtime then XACKs
//      memory   the same on pubsub.in-memory (no broker hop): the runtime's own share
//    Latency = arrival at the consumer / app (request body complete; XREADGROUP reply parsed) minus
//    the message's SCHEDULED send time, so queueing behind a slow send counts (no coordinated
//    omission). The publish call's own latency (HTTP 204 / XADD reply) is reported beside it.
//
// Rounds: every measured point runs once per round (order reversed every other round); tables
// give the median of --rounds rounds, each column its own median. Before round 1 every HTTP path
// runs --prewarm seconds unrecorded (V8 optimises the runtime's hot path during the first seconds).
// CPU µs per message (or request): user + system time from /proc of each process (Redis: INFO cpu)
// over the measured window, divided by the messages (requests) completed in it.
//
//   node tools/build.mjs && node bench/pubsub.bench.mjs [--conns=16] [--duration=5] [--warmup=1]
//     [--rounds=3] [--prewarm=3] [--rate=1000] [--lat-duration=10] [--lat-warmup=2]
//     [--phases=throughput,bulk,latency] [--only=direct,minimal,redis,split,sqlite,memory]
//     [--rt-node-args="--cpu-prof --cpu-prof-dir=tmp/prof"] [--redis=host:port] [--dist=<dir>]
// --dist runs the apps of another build (a copy of dist/ under this repository, e.g. for a
// before/after comparison); --rt-node-args applies to the all-in-one runtime on Redis.
//
// Needs Redis at 127.0.0.1:6379. Creates streams named pubsub-bench-<run id>-* and deletes them at
// the end. Writes tmp/bench/pubsub/ (resources, data dirs, runtime logs). Numbers are printed,
// never asserted.
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { args, sleep, pcts, median, f3, f2, f1, procCpuUs, freePort } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(join(root, 'package.json'));
const CONNS = Number(args.conns ?? 16);
const DURATION_MS = Number(args.duration ?? 5) * 1000;
const WARMUP_MS = Number(args.warmup ?? 1) * 1000;
const ROUNDS = Number(args.rounds ?? 3);
const PREWARM_MS = Number(args.prewarm ?? 3) * 1000;
const RATE = Number(args.rate ?? 1000);
const LAT_DURATION_MS = Number(args['lat-duration'] ?? 10) * 1000;
const LAT_WARMUP_MS = Number(args['lat-warmup'] ?? 2) * 1000;
const PHASES = (args.phases ?? 'throughput,bulk,latency').split(',');
const ONLY = (args.only ?? 'direct,minimal,redis,split,sqlite,memory').split(',');
const [REDIS_HOST, REDIS_PORT] = (args.redis ?? '127.0.0.1:6379').split(':');
const BYTES = 1024;
const BULK_ENTRIES = 10;
const DRAIN_MS = 5000; // after the last send, how long answers / deliveries are waited for
const RUN = randomUUID().slice(0, 8);
const PREFIX = `pubsub-bench-${RUN}`;
const SUB_APP = 'pubsub-bench-sub';
const WORK = join(root, 'tmp/bench/pubsub');
const DIST = args.dist ? join(process.cwd(), args.dist) : join(root, 'dist'); // e.g. a saved build for before/after

// ---------------------------------------------------------------------------------------------
// shared helpers

/** ms on CLOCK_MONOTONIC: the same clock in every process of the machine (uv_hrtime). */
const mono = () => Number(process.hrtime.bigint()) / 1e6;



/** A JSON object of exactly BYTES bytes: `head` fields then a padding string. */
function jsonOf(head) {
  const open = `{${head},"pad":"`;
  const n = BYTES - open.length - 2;
  return `${open}${'x'.repeat(Math.max(0, n))}"}`;
}
/** The 1 KB JSON document every throughput path publishes. */
const BODY = Buffer.from(jsonOf('"id":"pubsub-bench","kind":"order","amount":1234.5,"tags":["a","b","c"]'));

/** Bulk bodies: 10 entries of 1 KB each. */
function bulkBody(variant) {
  const entries = [];
  for (let i = 0; i < BULK_ENTRIES; i++) {
    if (variant === 'raw') {
      let hex = '';
      for (let j = 0; hex.length < BYTES; j++) hex += ((i * 131 + j * 7919) & 0xff).toString(16).padStart(2, '0');
      entries.push({ entryId: String(i), event: hex.slice(0, BYTES), contentType: 'text/plain' });
    } else {
      entries.push({ entryId: String(i), event: JSON.parse(jsonOf(`"id":"pubsub-bench","entry":${i}`)), contentType: 'application/json' });
    }
  }
  return Buffer.from(JSON.stringify(entries));
}

// ---------------------------------------------------------------------------------------------
// role: sink = the subscriber app (node:http) + the direct Redis consumer loop

function sink() {
  const subs = JSON.parse(args.subs);
  let expect = { run: '', warmN: 0, measN: 0 };
  let lat = new Float64Array(0);
  let got = new Uint8Array(0);
  let count = 0;
  let dups = 0;
  let stray = 0;
  let waiter;
  const record = (text) => {
    const t = mono();
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      stray++;
      return;
    }
    if (m === null || m.run !== expect.run) {
      stray++;
      return;
    }
    const i = m.seq - expect.warmN;
    if (i < 0) return;
    if (i >= expect.measN) return void stray++;
    if (got[i]) return void dups++;
    got[i] = 1;
    lat[i] = t - m.ts;
    if (++count === expect.measN) waiter?.();
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/dapr/subscribe') {
        const b = JSON.stringify(subs);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
        return void res.end(b);
      }
      if (req.method === 'POST') {
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        try {
          const ce = JSON.parse(body.toString('utf8'));
          record(typeof ce.data === 'string' ? ce.data : JSON.stringify(ce.data));
        } catch {
          stray++;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 20 });
        return void res.end('{"status":"SUCCESS"}');
      }
      res.writeHead(404).end();
    });
  });
  server.keepAliveTimeout = 65_000;

  // The direct consumer: XREADGROUP BLOCK + XACK on a connection of its own.
  const consume = async (stream, group) => {
    const { Redis } = require('ioredis');
    const r = new Redis({ host: REDIS_HOST, port: Number(REDIS_PORT), lazyConnect: true });
    await r.connect();
    try {
      await r.xgroup('CREATE', stream, group, '$', 'MKSTREAM');
    } catch (e) {
      if (!String(e.message).includes('BUSYGROUP')) throw e;
    }
    const consumer = `${group}-1`;
    void (async () => {
      for (;;) {
        const reply = await r.xreadgroupBuffer('GROUP', group, consumer, 'COUNT', 100, 'BLOCK', 2000, 'STREAMS', stream, '>');
        if (!reply) continue;
        const ids = [];
        for (const [, entries] of reply) {
          for (const [id, fields] of entries) {
            ids.push(id);
            for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i].toString() === 'data') record(fields[i + 1].toString('utf8'));
          }
        }
        if (ids.length) await r.xack(stream, group, ...ids);
      }
    })().catch((e) => {
      console.error('direct consumer failed:', e);
      process.exit(1);
    });
  };

  process.on('message', async (m) => {
    try {
      if (m.cmd === 'consume') {
        await consume(m.stream, m.group);
        process.send({ id: m.id });
      } else if (m.cmd === 'expect') {
        expect = { run: m.run, warmN: m.warmN, measN: m.measN };
        lat = new Float64Array(m.measN).fill(NaN);
        got = new Uint8Array(m.measN);
        count = dups = stray = 0;
        waiter = undefined;
        process.send({ id: m.id });
      } else if (m.cmd === 'collect') {
        if (count < expect.measN) {
          await Promise.race([new Promise((r) => (waiter = r)), sleep(m.timeoutMs)]);
        }
        await sleep(m.settleMs ?? 0); // late duplicates
        const ok = lat.filter((x) => Number.isFinite(x));
        process.send({ id: m.id, received: count, missing: expect.measN - count, dups, stray, ...pcts(ok) });
      }
    } catch (e) {
      process.send({ id: m.id, error: String(e?.stack ?? e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

// ---------------------------------------------------------------------------------------------
// role: minimal publisher = the leanest HTTP server doing the same XADD (one per POST, 204)

async function minimalServer() {
  const { Redis } = require('ioredis');
  const redis = new Redis({ host: REDIS_HOST, port: Number(REDIS_PORT), lazyConnect: true });
  await redis.connect();
  const prefix = '/v1.0/publish/minimal/';
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      redis.xadd(req.url.slice(prefix.length), '*', 'data', body).then(
        () => void res.writeHead(204).end(),
        (e) => void res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e.message)),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// role: load generator (closed-loop throughput, open-loop latency publisher)

// The ticker: sleeps until each scheduled send time (Atomics.wait, sub-ms) and posts the index.
const TICKER = `
const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.sab);
const mono = () => Number(process.hrtime.bigint()) / 1e6;
for (let i = 0; i < workerData.total; i++) {
  const wait = workerData.start + i * workerData.interval - mono();
  if (wait > 0) Atomics.wait(flag, 0, 0, wait);
  if (Atomics.load(flag, 0) !== 0) break;
  parentPort.postMessage(i);
}
parentPort.postMessage(-1);
`;

function loadGenerator() {
  const { Redis } = require('ioredis');
  let redis;
  const redisConn = async () => {
    if (!redis) {
      redis = new Redis({ host: REDIS_HOST, port: Number(REDIS_PORT), lazyConnect: true });
      await redis.connect();
    }
    return redis;
  };
  let agent;
  let agentKey = '';
  const agentFor = (port, conns) => {
    const k = `${port}/${conns}`;
    if (k !== agentKey) {
      agent?.destroy();
      agent = new http.Agent({ keepAlive: true, maxSockets: conns, maxFreeSockets: conns, scheduling: 'fifo' });
      agentKey = k;
    }
    return agent;
  };
  const socketsOf = (a) => Object.values(a.sockets).reduce((s, l) => s + l.length, 0) + Object.values(a.freeSockets).reduce((s, l) => s + l.length, 0);

  /** POST body; calls done(undefined | error text) when the answer is complete. */
  const post = (port, path, a, body, ct, done) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: a, headers: { 'content-type': ct, 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done(res.statusCode === 204 ? undefined : `HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
      res.on('error', (e) => done(String(e.message)));
    });
    req.on('error', (e) => done(String(e.message)));
    req.end(body);
  };

  /** Closed loop: `inflight` calls going until `ms` elapse. */
  const drive = (call, inflight, ms) =>
    new Promise((resolve, reject) => {
      const lat = new Float64Array(4_000_000);
      let n = 0;
      let active = inflight;
      let failed = false;
      const start = performance.now();
      const end = start + ms;
      const one = () => {
        const t0 = performance.now();
        call((err) => {
          if (failed) return;
          if (err !== undefined) {
            failed = true;
            return void reject(new Error(err));
          }
          const t1 = performance.now();
          if (n < lat.length) lat[n] = t1 - t0;
          n++;
          if (t1 < end) one();
          else if (--active === 0) resolve({ n, secs: (t1 - start) / 1000, lat: lat.subarray(0, Math.min(n, lat.length)) });
        });
      };
      for (let i = 0; i < inflight; i++) one();
    });

  const closed = async (m) => {
    let call;
    let a;
    if (m.kind === 'xadd') {
      const r = await redisConn();
      call = (done) => r.xadd(m.stream, '*', 'data', BODY).then(() => done(undefined), (e) => done(String(e.message)));
    } else {
      a = agentFor(m.port, m.inflight);
      const body = m.body === 'single' ? BODY : bulkBody(m.body);
      call = (done) => post(m.port, m.path, a, body, 'application/json', done);
    }
    const cpu0 = process.cpuUsage();
    const r = await drive(call, m.inflight, m.ms);
    const cpu = process.cpuUsage(cpu0);
    const sockets = a ? socketsOf(a) : 1;
    return { n: r.n, secs: r.secs, ...pcts(r.lat), cpuUs: cpu.user + cpu.system, sockets };
  };

  /** Open loop: message i sent at start + i / rate; the body carries its scheduled time. */
  const open = async (m) => {
    let send;
    const a = m.kind === 'http' ? agentFor(m.port, m.conns) : undefined;
    const bodyOf = (run, seq, ts) => Buffer.from(jsonOf(`"run":"${run}","seq":${seq},"ts":${ts.toFixed(6)}`));
    if (m.kind === 'xadd') {
      const r = await redisConn();
      send = (body, done) => r.xadd(m.stream, '*', 'data', body).then(() => done(undefined), (e) => done(String(e.message)));
    } else {
      send = (body, done) => post(m.port, m.path, a, body, 'application/json', done);
    }
    // Open the connections (not recorded: run id 'prime' is ignored by the sink).
    const prime = await Promise.all(Array.from({ length: m.kind === 'http' ? m.conns : 1 }, (_, i) => new Promise((r) => send(bodyOf('prime', i, mono()), r))));
    const bad = prime.find((e) => e !== undefined);
    if (bad) throw new Error(`priming failed: ${bad}`);

    const interval = 1000 / m.rate;
    const warmN = Math.round((m.warmupMs / 1000) * m.rate);
    const measN = Math.round((m.ms / 1000) * m.rate);
    const total = warmN + measN;
    const lat = new Float64Array(measN).fill(NaN);
    const lag = new Float64Array(measN).fill(NaN);
    const errors = new Map();
    let errorCount = 0;
    let done = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let tFirst = NaN;
    let tLastSend = NaN;
    const start = mono() + 50;
    const sab = new SharedArrayBuffer(4);
    const flag = new Int32Array(sab);
    let allDone;
    const finished = new Promise((r) => (allDone = r));
    let tickerDone;
    const ticked = new Promise((r) => (tickerDone = r));
    const onTick = (i) => {
      if (i < 0) return void tickerDone();
      const due = start + i * interval;
      const rec = i >= warmN ? i - warmN : -1;
      const ts = mono();
      if (rec >= 0) lag[rec] = ts - due;
      if (rec === 0) tFirst = ts;
      tLastSend = ts;
      inFlight++;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      send(bodyOf(m.run, i, due), (err) => {
        const t = mono();
        inFlight--;
        done++;
        if (rec >= 0) {
          if (err === undefined) lat[rec] = t - due;
          else {
            errorCount++;
            errors.set(err, (errors.get(err) ?? 0) + 1);
          }
        }
        if (done === total) allDone();
      });
    };
    const ticker = new Worker(TICKER, { eval: true, workerData: { sab, start, interval, total } });
    ticker.on('message', onTick);
    ticker.once('error', (e) => tickerDone(e));
    await ticked;
    const how = await Promise.race([finished, sleep(DRAIN_MS).then(() => 'timeout')]);
    if (how === 'timeout') {
      const missing = total - done;
      errorCount += missing;
      errors.set(`no answer within ${DRAIN_MS} ms of the last send`, missing);
    }
    Atomics.store(flag, 0, 1);
    const ok = lat.filter((x) => Number.isFinite(x));
    return {
      warmN,
      measN,
      sent: total,
      errors: errorCount,
      errorKinds: [...errors.entries()].map(([k, v]) => `${v}x ${k}`).join('; '),
      rate: measN > 1 ? (measN - 1) / ((tLastSend - tFirst) / 1000) : NaN, // achieved send rate
      call: pcts(ok),
      lag: pcts(lag.filter((x) => Number.isFinite(x))),
      maxInFlight,
      sockets: a ? socketsOf(a) : 1,
    };
  };

  process.on('message', async (m) => {
    try {
      const r = m.cmd === 'closed' ? await closed(m) : await open(m);
      process.send({ id: m.id, ...r });
    } catch (e) {
      process.send({ id: m.id, error: String(e?.stack ?? e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

// ---------------------------------------------------------------------------------------------
// main: processes, measurement, report



async function redisCpuUs(redis) {
  const info = await redis.info('cpu');
  const v = (k) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return (v('used_cpu_user') + v('used_cpu_sys')) * 1e6;
}

/** Spawns a dist app; its output goes to <WORK>/<log>.log, the tail is kept for errors. */
function startApp(name, appArgs, log, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, join(DIST, 'apps', name, 'main.js'), ...appArgs], {
    cwd: WORK,
    env: { ...process.env, TESSERA_HOME: join(WORK, 'home') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const out = createWriteStream(join(WORK, `${log}.log`));
  const keep = (d) => {
    tail = (tail + d.toString()).slice(-4000);
    out.write(d);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })));
  child.tail = () => tail;
  return child;
}

function request(port, method, path, body, ct) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false, headers: body ? { 'content-type': ct, 'content-length': body.length } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitHealthy(child, port, timeoutMs = 30_000) {
  const t0 = performance.now();
  let exited = false;
  child.exited.then(() => (exited = true));
  while (performance.now() - t0 < timeoutMs) {
    if (exited) throw new Error(`process exited before it was healthy:\n${child.tail()}`);
    const s = await request(port, 'GET', '/v1.0/healthz').then((r) => r.status, () => 0);
    if (s === 204) return;
    await sleep(20);
  }
  throw new Error(`no 204 from /v1.0/healthz within ${timeoutMs} ms:\n${child.tail()}`);
}

async function waitListening(child, port, timeoutMs = 30_000) {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`process exited before listening:\n${child.tail()}`);
    const ok = await new Promise((r) => net.connect(port, '127.0.0.1').once('connect', function () { this.destroy(); r(true); }).once('error', () => r(false)));
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`nothing listening on ${port} within ${timeoutMs} ms:\n${child.tail()}`);
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(t);
}

function componentsYaml() {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: redis
spec:
  type: pubsub.redis
  version: v1
  metadata:
    - name: redisHost
      value: "${REDIS_HOST}:${REDIS_PORT}"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: memory
spec:
  type: pubsub.in-memory
  version: v1
`;
}

const children = [];

async function main() {
  const { Redis } = require('ioredis');
  rmSync(WORK, { recursive: true, force: true });
  const resources = join(WORK, 'resources');
  mkdirSync(resources, { recursive: true });
  mkdirSync(join(WORK, 'home'), { recursive: true });
  writeFileSync(join(resources, 'pubsub.yaml'), componentsYaml());
  const redis = new Redis({ host: REDIS_HOST, port: Number(REDIS_PORT), lazyConnect: true });
  await redis.connect();
  const streams = new Set();
  const stream = (name) => {
    const s = `${PREFIX}-${name}`;
    streams.add(s);
    return s;
  };

  const load0 = loadavg();
  console.log(`node ${process.version}, ${cpus().length} cpus, load average ${load0.map((x) => x.toFixed(2)).join(' ')}, run ${RUN}`);
  console.log(
    `throughput/bulk: ${CONNS} in flight, ${WARMUP_MS / 1000}s warm-up + ${DURATION_MS / 1000}s per point; latency: open loop ${RATE} msg/s, ${LAT_WARMUP_MS / 1000}s + ${LAT_DURATION_MS / 1000}s; ${ROUNDS} rounds; phases ${PHASES.join(',')}; paths ${ONLY.join(',')}`,
  );

  // --- processes -----------------------------------------------------------------------------
  const latTopic = stream('lat-tessera');
  const latMemTopic = `${PREFIX}-lat-memory`;
  const subs = [
    { pubsubname: 'redis', topic: latTopic, route: '/lat' },
    { pubsubname: 'memory', topic: latMemTopic, route: '/lat' },
  ];
  const sinkProc = fork(fileURLToPath(import.meta.url), ['--role=sink', `--subs=${JSON.stringify(subs)}`, `--redis=${REDIS_HOST}:${REDIS_PORT}`], { stdio: 'inherit' });
  children.push(sinkProc);
  const { port: sinkPort } = await new Promise((r) => sinkProc.once('message', r));
  const loader = fork(fileURLToPath(import.meta.url), ['--role=load', `--redis=${REDIS_HOST}:${REDIS_PORT}`], { stdio: 'inherit' });
  children.push(loader);
  await new Promise((r) => loader.once('message', r));
  let seq = 0;
  const askOf = (proc) => (m) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const on = (r) => {
        if (r.id !== id) return;
        proc.off('message', on);
        if (r.error) reject(new Error(r.error));
        else resolve(r);
      };
      proc.on('message', on);
      proc.send({ ...m, id });
    });
  const ask = askOf(loader);
  const askSink = askOf(sinkProc);
  const runtimes = {};

  if (ONLY.includes('minimal') && PHASES.includes('throughput')) {
    const c = fork(fileURLToPath(import.meta.url), ['--role=minimal', `--redis=${REDIS_HOST}:${REDIS_PORT}`], { stdio: 'inherit' });
    children.push(c);
    const { port } = await new Promise((r) => c.once('message', r));
    runtimes.minimal = { port, pids: [['server', c.pid]], proc: c };
  }
  const rtNodeArgs = args['rt-node-args'] ? args['rt-node-args'].split(' ') : [];
  // all-in-one on Redis + in-memory, with the sink as its app (subscriber of the latency topics)
  if (ONLY.some((k) => ['redis', 'memory'].includes(k)) || PHASES.includes('latency')) {
    const [h, g, mp] = [await freePort(), await freePort(), await freePort()];
    const c = startApp(
      'all-in-one',
      ['--app-id', SUB_APP, '--app-port', String(sinkPort), '--dapr-http-port', String(h), '--dapr-grpc-port', String(g), '--metrics-port', String(mp), '--resources-path', resources, '--data-dir', join(WORK, 'data-aio')],
      'runtime-aio',
      rtNodeArgs,
    );
    children.push(c);
    await waitHealthy(c, h);
    runtimes.aio = { port: h, pids: [['runtime', c.pid]], proc: c };
  }
  if (ONLY.includes('sqlite') && PHASES.includes('throughput')) {
    const [h, g, mp] = [await freePort(), await freePort(), await freePort()];
    const c = startApp('all-in-one', ['--app-id', 'pubsub-bench-sqlite', '--dapr-http-port', String(h), '--dapr-grpc-port', String(g), '--metrics-port', String(mp), '--data-dir', join(WORK, 'data-sqlite')], 'runtime-sqlite');
    children.push(c);
    await waitHealthy(c, h);
    runtimes.sqlite = { port: h, pids: [['runtime', c.pid]], proc: c };
  }
  if (ONLY.includes('split') && (PHASES.includes('throughput') || PHASES.includes('bulk'))) {
    const sp = await freePort();
    const svc = startApp('pubsub-svc', ['--port', String(sp), '--resources-path', resources, '--data-dir', join(WORK, 'data-svc')], 'pubsub-svc');
    children.push(svc);
    await waitListening(svc, sp);
    const [h, g, mp] = [await freePort(), await freePort(), await freePort()];
    const gw = startApp(
      'gateway',
      ['--app-id', 'pubsub-bench-split', '--dapr-http-port', String(h), '--dapr-grpc-port', String(g), '--metrics-port', String(mp), '--pubsub-svc-address', `127.0.0.1:${sp}`, '--data-dir', join(WORK, 'data-gw')],
      'gateway',
    );
    children.push(gw);
    await waitHealthy(gw, h);
    runtimes.split = { port: h, pids: [['gateway', gw.pid], ['pubsub-svc', svc.pid]], proc: gw };
  }

  // --- paths ---------------------------------------------------------------------------------
  const pubPath = (pubsub, topic) => `/v1.0/publish/${pubsub}/${topic}`;
  const bulkPath = (pubsub, topic, variant) => `/v1.0-alpha1/publish/bulk/${pubsub}/${topic}${variant === 'raw' ? '?metadata.rawPayload=true' : ''}`;
  const throughputTargets = [
    { key: 'direct', name: 'a. direct ioredis XADD (1 connection)', kind: 'xadd', stream: stream('tp-direct'), pids: [] },
    { key: 'minimal', name: 'b. minimal node:http server + ioredis XADD', kind: 'http', rt: 'minimal', path: pubPath('minimal', stream('tp-minimal')), stream: `${PREFIX}-tp-minimal` },
    { key: 'redis', name: 'c. all-in-one, pubsub.redis', kind: 'http', rt: 'aio', path: pubPath('redis', stream('tp-aio')), stream: `${PREFIX}-tp-aio` },
    { key: 'split', name: 'd. split gateway -> pubsub-svc, pubsub.redis', kind: 'http', rt: 'split', path: pubPath('redis', stream('tp-split')), stream: `${PREFIX}-tp-split` },
    { key: 'sqlite', name: 'e. all-in-one, embedded pubsub.sqlite', kind: 'http', rt: 'sqlite', path: pubPath('pubsub', `${PREFIX}-tp-sqlite`) },
    { key: 'memory', name: 'f. all-in-one, pubsub.in-memory (no subscriber)', kind: 'http', rt: 'aio', path: pubPath('memory', `${PREFIX}-tp-memory`) },
  ].filter((t) => ONLY.includes(t.key) && (t.kind === 'xadd' || runtimes[t.rt]));
  const bulkTargets = [];
  for (const variant of ['raw', 'json']) {
    for (const [key, rt, pubsub, label] of [
      ['memory', 'aio', 'memory', 'all-in-one, pubsub.in-memory'],
      ['redis', 'aio', 'redis', 'all-in-one, pubsub.redis'],
      ['split', 'split', 'redis', 'split, pubsub.redis'],
    ]) {
      if (!ONLY.includes(key) || !runtimes[rt]) continue;
      if (variant === 'json' && key === 'split') continue;
      const topic = stream(`bulk-${variant}-${key}`);
      bulkTargets.push({ key: `${key}-${variant}`, name: `${label}, ${variant === 'raw' ? 'text/plain, rawPayload' : 'application/json, CloudEvents'}`, kind: 'http', rt, body: variant, path: bulkPath(pubsub, topic, variant), stream: pubsub === 'redis' ? topic : undefined });
    }
  }

  // --- checks: every path answers 204 and writes what we think -------------------------------
  for (const t of throughputTargets.filter((x) => x.kind === 'http')) {
    const r = await request(runtimes[t.rt].port, 'POST', t.path, BODY, 'application/json');
    if (r.status !== 204) throw new Error(`${t.name}: publish answered ${r.status} ${r.body}`);
  }
  for (const t of bulkTargets) {
    const r = await request(runtimes[t.rt].port, 'POST', t.path, bulkBody(t.body), 'application/json');
    if (r.status !== 204) throw new Error(`${t.name}: bulk publish answered ${r.status} ${r.body}`);
  }
  const layout = async (s) => {
    const e = await redis.xrangeBuffer(s, '-', '+', 'COUNT', 1);
    if (!e.length) return 'no entry';
    const f = e[0][1];
    const parts = [];
    for (let i = 0; i + 1 < f.length; i += 2) parts.push(`${f[i].toString()} ${f[i + 1].length} B`);
    return parts.join(', ');
  };
  const aioT = throughputTargets.find((t) => t.key === 'redis');
  if (aioT) console.log(`Tessera's XADD of a 1,024-byte JSON publish (CloudEvent): ${await layout(aioT.stream)}`);
  const bulkRawT = bulkTargets.find((t) => t.key === 'redis-raw');
  if (bulkRawT) console.log(`Tessera's XADD of one raw bulk entry: ${await layout(bulkRawT.stream)}`);
  for (const t of [...throughputTargets, ...bulkTargets]) if (t.stream) await redis.del(t.stream);

  const cpuOf = (pids) => pids.map(([, pid]) => procCpuUs(pid));
  const loadPid = [['load', loader.pid]];

  // --- closed-loop phases ----------------------------------------------------------------------
  const closedPoint = async (t, ms, record) => {
    const pids = [...(t.rt ? runtimes[t.rt].pids : [])];
    const m = t.kind === 'xadd'
      ? { cmd: 'closed', kind: 'xadd', stream: t.stream, inflight: CONNS, ms }
      : { cmd: 'closed', kind: 'http', port: runtimes[t.rt].port, path: t.path, body: t.body ?? 'single', inflight: CONNS, ms };
    if (!record) return ask(m);
    const before = cpuOf([...loadPid, ...pids]);
    const r0 = await redisCpuUs(redis);
    const r = await ask(m);
    const r1 = await redisCpuUs(redis);
    const after = cpuOf([...loadPid, ...pids]);
    if (r.sockets !== (t.kind === 'xadd' ? 1 : CONNS)) throw new Error(`${t.name}: ${r.sockets} sockets for ${CONNS} in flight`);
    const cpu = {};
    [...loadPid, ...pids].forEach(([name], i) => (cpu[name] = (after[i] - before[i]) / r.n));
    cpu.redis = (r1 - r0) / r.n;
    return { rate: r.n / r.secs, p50: r.p50, p90: r.p90, p99: r.p99, cpu };
  };
  const closedPhase = async (label, targets) => {
    if (PREWARM_MS > 0) {
      for (const t of targets.filter((x) => x.kind === 'http')) await closedPoint(t, PREWARM_MS, false);
    }
    const results = [];
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`\n${label} round ${round}/${ROUNDS} (load average ${loadavg()[0].toFixed(2)})`);
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const t of order) {
        await closedPoint(t, WARMUP_MS, false);
        const r = await closedPoint(t, DURATION_MS, true);
        if (t.stream) await redis.del(t.stream);
        results.push({ key: t.key, round, ...r });
        const cpuText = Object.entries(r.cpu).map(([k, v]) => `${k} ${f1(v)}`).join(', ');
        console.log(`  ${t.name.padEnd(62)} ${String(Math.round(r.rate)).padStart(6)}/s  p50 ${f3(r.p50)}  p90 ${f3(r.p90)}  p99 ${f3(r.p99)} ms  CPU µs/req: ${cpuText}`);
      }
    }
    return targets.map((t) => {
      const rows = results.filter((r) => r.key === t.key);
      const cpu = {};
      for (const k of Object.keys(rows[0].cpu)) cpu[k] = median(rows.map((r) => r.cpu[k]));
      const rates = rows.map((r) => r.rate);
      return { ...t, rate: median(rates), rates, p50: median(rows.map((r) => r.p50)), p99: median(rows.map((r) => r.p99)), cpu, rows };
    });
  };

  let tp;
  let bulk;
  if (PHASES.includes('throughput')) tp = await closedPhase('publish throughput', throughputTargets);
  if (PHASES.includes('bulk') && bulkTargets.length) bulk = await closedPhase('bulk publish', bulkTargets);

  // --- latency phase ---------------------------------------------------------------------------
  let lat;
  if (PHASES.includes('latency')) {
    const directStream = stream('lat-direct');
    await askSink({ cmd: 'consume', stream: directStream, group: 'pubsub-bench-direct' });
    const aio = runtimes.aio;
    const latTargets = [
      { key: 'direct', name: 'a. direct XADD -> XREADGROUP + XACK', m: { kind: 'xadd', stream: directStream }, pids: [['sink', sinkProc.pid]] },
      { key: 'redis', name: 'b. Tessera all-in-one, pubsub.redis', m: { kind: 'http', port: aio.port, path: pubPath('redis', latTopic), conns: CONNS }, pids: [['sink', sinkProc.pid], ...aio.pids] },
      { key: 'memory', name: 'c. Tessera all-in-one, pubsub.in-memory', m: { kind: 'http', port: aio.port, path: pubPath('memory', latMemTopic), conns: CONNS }, pids: [['sink', sinkProc.pid], ...aio.pids] },
    ].filter((t) => ONLY.includes(t.key));
    // Wait until the runtime's subscriptions deliver (it subscribes once the app answered /dapr/subscribe).
    for (const t of latTargets) {
      const t0 = performance.now();
      for (let i = 0; ; i++) {
        const run = `check-${t.key}-${i}`;
        await askSink({ cmd: 'expect', run, warmN: 0, measN: 1 });
        await ask({ cmd: 'open', ...t.m, run, rate: 100, ms: 10, warmupMs: 0 });
        const c = await askSink({ cmd: 'collect', timeoutMs: 2000 });
        if (c.received === 1) break;
        if (performance.now() - t0 > 30_000) throw new Error(`${t.name}: nothing delivered within 30 s`);
      }
    }
    const one = async (t, run, rate, ms, warmupMs) => {
      const warmN = Math.round((warmupMs / 1000) * rate);
      const measN = Math.round((ms / 1000) * rate);
      await askSink({ cmd: 'expect', run, warmN, measN });
      const pids = [...loadPid, ...t.pids];
      const before = cpuOf(pids);
      const r0 = await redisCpuUs(redis);
      const p = await ask({ cmd: 'open', ...t.m, run, rate, ms, warmupMs });
      const d = await askSink({ cmd: 'collect', timeoutMs: DRAIN_MS, settleMs: 200 });
      const r1 = await redisCpuUs(redis);
      const after = cpuOf(pids);
      const cpu = {};
      pids.forEach(([name], i) => (cpu[name] = (after[i] - before[i]) / p.sent));
      cpu.redis = (r1 - r0) / p.sent;
      return { p, d, cpu };
    };
    if (PREWARM_MS > 0) {
      for (const t of latTargets) await one(t, `prewarm-${t.key}`, RATE, PREWARM_MS, 0);
    }
    const results = [];
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`\nlatency round ${round}/${ROUNDS} (load average ${loadavg()[0].toFixed(2)})`);
      const order = round % 2 === 1 ? latTargets : [...latTargets].reverse();
      for (const t of order) {
        const { p, d, cpu } = await one(t, `r${round}-${t.key}`, RATE, LAT_DURATION_MS, LAT_WARMUP_MS);
        results.push({ key: t.key, round, p, d, cpu });
        const cpuText = Object.entries(cpu).map(([k, v]) => `${k} ${f1(v)}`).join(', ');
        console.log(
          `  ${t.name.padEnd(40)} ${String(Math.round(p.rate)).padStart(5)}/s  delivered ${d.received}/${p.measN} (dups ${d.dups})  p50 ${f3(d.p50)}  p90 ${f3(d.p90)}  p99 ${f3(d.p99)}  max ${f3(d.max)} ms` +
            `  | publish call p50 ${f3(p.call.p50)} p99 ${f3(p.call.p99)} ms, lag p99 ${f3(p.lag.p99)} ms, errors ${p.errors}  | CPU µs/msg: ${cpuText}` +
            (p.errors ? `\n    errors: ${p.errorKinds}` : ''),
        );
      }
    }
    lat = latTargets.map((t) => {
      const rows = results.filter((r) => r.key === t.key);
      const cpu = {};
      for (const k of Object.keys(rows[0].cpu)) cpu[k] = median(rows.map((r) => r.cpu[k]));
      return {
        ...t,
        rows,
        rate: median(rows.map((r) => r.p.rate)),
        delivered: rows.reduce((s, r) => s + r.d.received, 0),
        expected: rows.reduce((s, r) => s + r.p.measN, 0),
        dups: rows.reduce((s, r) => s + r.d.dups, 0),
        errors: rows.reduce((s, r) => s + r.p.errors, 0),
        p50: median(rows.map((r) => r.d.p50)),
        p90: median(rows.map((r) => r.d.p90)),
        p99: median(rows.map((r) => r.d.p99)),
        max: Math.max(...rows.map((r) => r.d.max)),
        call50: median(rows.map((r) => r.p.call.p50)),
        call99: median(rows.map((r) => r.p.call.p99)),
        lag99: median(rows.map((r) => r.p.lag.p99)),
        cpu,
      };
    });
  }
  const load1 = loadavg();

  // --- stop --------------------------------------------------------------------------------------
  for (const c of children) {
    if (c.exited) await stopChild(c); // the runtimes
    else if (c.connected) c.disconnect(); // forked roles exit on disconnect
  }
  for (const s of streams) await redis.del(s);
  await redis.quit();

  // --- report ------------------------------------------------------------------------------------
  console.log(`\nload average: before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  const cpuText = (cpu) => Object.entries(cpu).map(([k, v]) => `${k} ${f1(v)}`).join(', ');
  const spread = (rates) => `${((100 * (Math.max(...rates) - Math.min(...rates))) / median(rates)).toFixed(0)}%`;
  if (tp) {
    console.log(`\n### Publish throughput, ${CONNS} in flight, 1 KB JSON (median of ${ROUNDS} rounds)\n`);
    console.log('| path | publishes/s | spread | p50 ms | p99 ms | CPU µs/publish |');
    console.log('|---|---:|---:|---:|---:|---|');
    for (const a of tp) console.log(`| ${a.name} | ${Math.round(a.rate)} | ${spread(a.rates)} | ${f3(a.p50)} | ${f3(a.p99)} | ${cpuText(a.cpu)} |`);
    const d = tp.find((a) => a.key === 'direct');
    if (d) {
      console.log('\n| ratio to direct XADD (per round, then median) | value | rounds |');
      console.log('|---|---:|---|');
      for (const a of tp.filter((x) => x.key !== 'direct')) {
        const per = a.rows.map((r) => r.rate / d.rows.find((x) => x.round === r.round).rate);
        console.log(`| ${a.name} | ${f2(median(per))} | ${per.map(f2).join(' / ')} |`);
      }
    }
    const ratio = (label, num, den) => {
      const a = tp.find((x) => x.key === num);
      const b = tp.find((x) => x.key === den);
      if (!a || !b) return;
      const per = a.rows.map((r) => r.rate / b.rows.find((x) => x.round === r.round).rate);
      console.log(`| ${label} | ${f2(median(per))} | ${per.map(f2).join(' / ')} |`);
    };
    ratio('(all-in-one on Redis / minimal server)', 'redis', 'minimal');
    ratio('(split / all-in-one on Redis)', 'split', 'redis');
  }
  if (bulk) {
    console.log(`\n### Bulk publish, ${BULK_ENTRIES} x 1 KB entries per request, ${CONNS} in flight (median of ${ROUNDS} rounds)\n`);
    console.log('| path | requests/s | entries/s | spread | p50 ms | p99 ms | CPU µs/request |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const a of bulk) console.log(`| ${a.name} | ${Math.round(a.rate)} | ${Math.round(a.rate * BULK_ENTRIES)} | ${spread(a.rates)} | ${f3(a.p50)} | ${f3(a.p99)} | ${cpuText(a.cpu)} |`);
  }
  if (lat) {
    console.log(`\n### Publish-to-delivery latency, open loop ${RATE} msg/s, 1 KB JSON (median of ${ROUNDS} rounds; delivered/dups/errors summed)\n`);
    console.log('| path | achieved msg/s | delivered | dups | publish errors | p50 ms | p90 ms | p99 ms | max ms | publish call p50 / p99 ms | send lag p99 ms | CPU µs/msg |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const a of lat) {
      console.log(`| ${a.name} | ${Math.round(a.rate)} | ${a.delivered} / ${a.expected} | ${a.dups} | ${a.errors} | ${f3(a.p50)} | ${f3(a.p90)} | ${f3(a.p99)} | ${f3(a.max)} | ${f3(a.call50)} / ${f3(a.call99)} | ${f3(a.lag99)} | ${cpuText(a.cpu)} |`);
    }
    const d = lat.find((a) => a.key === 'direct');
    if (d) {
      console.log('\n| added latency (Tessera - direct), per round then median | p50 ms | p90 ms | p99 ms |');
      console.log('|---|---:|---:|---:|');
      for (const a of lat.filter((x) => x.key !== 'direct')) {
        const per = (k) => a.rows.map((r) => r.d[k] - d.rows.find((x) => x.round === r.round).d[k]);
        const cell = (k) => `${f3(median(per(k)))} (${per(k).map(f3).join(' / ')})`;
        console.log(`| ${a.name} | ${cell('p50')} | ${cell('p90')} | ${cell('p99')} |`);
      }
    }
  }
}

if (args.role === 'sink') sink();
else if (args.role === 'minimal') minimalServer();
else if (args.role === 'load') loadGenerator();
else
  main().catch((e) => {
    console.error(e);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    process.exit(1);
  });
