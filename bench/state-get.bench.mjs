// Issue #2: GET state through the gateway, against the backend and against the leanest server.
// In one run, for 1, 16 and 64 requests in flight, throughput and latency p50/p90/p99 of:
//   a. direct      ioredis HGETALL of the key from this process (the backend's own client)
//   b. minimal     a node:http server (child process) doing one ioredis HGETALL per request
//   c. all-in-one  GET /v1.0/state/statestore/<key> through dist/apps/all-in-one (state.redis)
//   d. split       the same through dist/apps/gateway -> dist/apps/state-svc -> Redis
// b, c and d are driven by the same load process (node:http keep-alive Agent, exactly N sockets,
// N requests in flight), so the load generator never shares an event loop with a server.
// The comparison is repeated --rounds times (servers stay up) and the median is reported.
// Then: idle RSS of the all-in-one process and spawn -> `GET /v1.0/metadata` 200 time (median of
// --starts starts), on embedded defaults (SQLite) and on Redis.
//
//   node tools/build.mjs && node bench/state-get.bench.mjs [--duration=3] [--warmup=1] [--rounds=3]
//     [--starts=5] [--only=direct,minimal,all-in-one,split] [--inflight=1,16,64] [--skip-startup]
//     [--aio-node-args="--cpu-prof --cpu-prof-dir=tmp/prof"] [--minimal-node-args=...]
//
// Needs Redis at 127.0.0.1:6379 (--redis=host:port). Writes the hash `bench||state-get-bench`
// (fields data, version) and tmp/bench/state-get/. Numbers are printed, never asserted.
import { fork, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, sleep, pcts, median, f3, f1, procCpuUs, freePort, httpStatus } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(join(root, 'package.json'));
const DURATION_MS = Number(args.duration ?? 3) * 1000;
const WARMUP_MS = Number(args.warmup ?? 1) * 1000;
const ROUNDS = Number(args.rounds ?? 3);
const STARTS = Number(args.starts ?? 5);
const INFLIGHT = (args.inflight ?? '1,16,64').split(',').map(Number);
const ONLY = (args.only ?? 'direct,minimal,all-in-one,split').split(',');
const [REDIS_HOST, REDIS_PORT] = (args.redis ?? '127.0.0.1:6379').split(':');
const APP_ID = 'bench';
const KEY = 'state-get-bench';
const STORED_KEY = `${APP_ID}||${KEY}`;
const PATH = `/v1.0/state/statestore/${KEY}`;
// A ~100-byte JSON document, as an app would store it (raw JSON bytes in the `data` field).
const VALUE = Buffer.from(JSON.stringify({ id: 'user-0042', name: 'Ada Lovelace', plan: 'pro', tags: ['a', 'b', 'c'], visits: 1234, ok: true }));
const VERSION = '7';
const WORK = join(root, 'tmp/bench/state-get');

// ---------------------------------------------------------------------------------------------
// shared helpers


/** Keeps `inflight` calls going until `ms` elapse; resolves with count, seconds and latencies. */
function drive(call, inflight, ms, record) {
  return new Promise((resolve, reject) => {
    const lat = record ? new Float64Array(8_000_000) : null;
    let n = 0;
    let active = inflight;
    let failed = false;
    const start = performance.now();
    const end = start + ms;
    const one = () => {
      const t0 = performance.now();
      call().then(
        () => {
          const t1 = performance.now();
          if (lat && n < lat.length) lat[n] = t1 - t0;
          n++;
          if (t1 < end) one();
          else if (--active === 0) resolve({ n, secs: (t1 - start) / 1000, lat: lat?.subarray(0, Math.min(n, lat.length)) });
        },
        (e) => {
          if (!failed) reject(e);
          failed = true;
        },
      );
    };
    for (let i = 0; i < inflight; i++) one();
  });
}

// ---------------------------------------------------------------------------------------------
// role: minimal server (b)

async function minimalServer() {
  const { Redis } = require('ioredis');
  const redis = new Redis({ host: REDIS_HOST, port: Number(REDIS_PORT), lazyConnect: true });
  await redis.connect();
  const prefix = '/v1.0/state/statestore/';
  const server = http.createServer((req, res) => {
    const key = `${APP_ID}||${req.url.slice(prefix.length)}`;
    redis.hgetallBuffer(key).then(
      (h) => {
        const data = h.data;
        if (data === undefined) return void res.writeHead(204).end();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': data.length, etag: h.version.toString('latin1') });
        res.end(data);
      },
      (e) => void res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e.message)),
    );
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// role: load generator for b, c, d

function loadGenerator() {
  let agent;
  let agentKey = '';
  const agentFor = (port, inflight) => {
    const k = `${port}/${inflight}`;
    if (k !== agentKey) {
      agent?.destroy();
      agent = new http.Agent({ keepAlive: true, maxSockets: inflight, maxFreeSockets: inflight, scheduling: 'fifo' });
      agentKey = k;
    }
    return agent;
  };
  const get = (port, path, a, want) => () =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent: a }, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => {
          if (res.statusCode === 200 && bytes === want) resolve();
          else reject(new Error(`GET ${path}: HTTP ${res.statusCode}, ${bytes} bytes`));
        });
      });
      req.on('error', reject);
    });
  process.on('message', async (m) => {
    try {
      if (m.cmd === 'check') {
        const r = await new Promise((resolve, reject) => {
          http.get({ host: '127.0.0.1', port: m.port, path: m.path, agent: false }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          }).on('error', reject);
        });
        process.send({ id: m.id, ...r });
        return;
      }
      const a = agentFor(m.port, m.inflight);
      const cpu0 = process.cpuUsage();
      const r = await drive(get(m.port, m.path, a, m.bytes), m.inflight, m.ms, m.record);
      const cpu = process.cpuUsage(cpu0);
      const sockets = Object.values(a.sockets).reduce((s, l) => s + l.length, 0) + Object.values(a.freeSockets).reduce((s, l) => s + l.length, 0);
      process.send({ id: m.id, n: r.n, secs: r.secs, ...(r.lat ? pcts(r.lat) : {}), cpuUs: cpu.user + cpu.system, sockets });
    } catch (e) {
      process.send({ id: m.id, error: String(e?.message ?? e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

// ---------------------------------------------------------------------------------------------
// main: processes, measurement, report




function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function redisCpuUs(redis) {
  const info = await redis.info('cpu');
  const v = (k) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return (v('used_cpu_user') + v('used_cpu_sys')) * 1e6;
}

/** Spawns a dist app; keeps the tail of its output for error messages. */
function startApp(name, appArgs, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist/apps', name, 'main.js'), ...appArgs], {
    cwd: WORK,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (d) => (tail = (tail + d.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })));
  child.tail = () => tail;
  return child;
}


/** Polls until `GET path` answers 200; ms since `t0`. */
async function waitReady(child, port, path, t0, timeoutMs = 30_000) {
  let exited = false;
  child.exited.then(() => (exited = true));
  while (performance.now() - t0 < timeoutMs) {
    if (exited) throw new Error(`process exited before answering:\n${child.tail()}`);
    if ((await httpStatus(port, path)) === 200) return performance.now() - t0;
    await sleep(5);
  }
  throw new Error(`no 200 from ${path} within ${timeoutMs} ms:\n${child.tail()}`);
}

async function stopApp(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(t);
}

function redisComponentYaml() {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: "${REDIS_HOST}:${REDIS_PORT}"
`;
}


async function main() {
  const { Redis } = require('ioredis');
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(join(WORK, 'resources'), { recursive: true });
  writeFileSync(join(WORK, 'resources/statestore.yaml'), redisComponentYaml());
  const resources = join(WORK, 'resources');

  const redis = new Redis({ host: REDIS_HOST, port: Number(REDIS_PORT), lazyConnect: true });
  await redis.connect();
  const seed = async () => {
    await redis.del(STORED_KEY);
    await redis.hset(STORED_KEY, 'data', VALUE, 'version', VERSION);
  };
  await seed();

  const load0 = loadavg();
  console.log(`node ${process.version}, ${cpus().length} cpus, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`${DURATION_MS / 1000}s per point after ${WARMUP_MS / 1000}s warm-up, ${ROUNDS} rounds, in flight ${INFLIGHT.join('/')}, value ${VALUE.length} B`);

  // --- processes -----------------------------------------------------------------------------
  const loader = fork(fileURLToPath(import.meta.url), ['--role=load'], { stdio: 'inherit' });
  await new Promise((r) => loader.once('message', r));
  let seq = 0;
  const ask = (m) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const on = (r) => {
        if (r.id !== id) return;
        loader.off('message', on);
        if (r.error) reject(new Error(r.error));
        else resolve(r);
      };
      loader.on('message', on);
      loader.send({ ...m, id });
    });

  const targets = [];
  const apps = [];
  let minimal;
  if (ONLY.includes('direct')) targets.push({ name: 'a. direct ioredis HGETALL', kind: 'direct', pids: [] });
  if (ONLY.includes('minimal')) {
    const execArgv = args['minimal-node-args'] ? args['minimal-node-args'].split(' ') : [];
    const child = fork(fileURLToPath(import.meta.url), ['--role=minimal'], { stdio: 'inherit', execArgv });
    const { port } = await new Promise((r) => child.once('message', r));
    targets.push({ name: 'b. minimal node:http + ioredis', kind: 'http', port, pids: [['server', child.pid]] });
    apps.push(child);
    minimal = child;
  }
  const aioNodeArgs = args['aio-node-args'] ? args['aio-node-args'].split(' ') : [];
  let aio;
  if (ONLY.includes('all-in-one')) {
    const [p, g] = [await freePort(), await freePort()];
    const t0 = performance.now();
    aio = startApp('all-in-one', ['--app-id', APP_ID, '--dapr-http-port', String(p), '--dapr-grpc-port', String(g), '--resources-path', resources], aioNodeArgs);
    await waitReady(aio, p, '/v1.0/metadata', t0);
    await sleep(1000);
    aio.rssAfterStartKb = rssKb(aio.pid);
    targets.push({ name: 'c. all-in-one (state.redis)', kind: 'http', port: p, pids: [['runtime', aio.pid]] });
    apps.push(aio);
  }
  let svc;
  let gw;
  if (ONLY.includes('split')) {
    const [sp, p, g] = [await freePort(), await freePort(), await freePort()];
    svc = startApp('state-svc', ['--port', String(sp), '--resources-path', resources]);
    // state-svc has no HTTP API: wait for its port, then for the gateway's metadata.
    for (let i = 0; ; i++) {
      const ok = await new Promise((r) => net.connect(sp, '127.0.0.1').once('connect', function () { this.destroy(); r(true); }).once('error', () => r(false)));
      if (ok) break;
      if (i > 3000 || svc.exitCode !== null) throw new Error(`state-svc did not listen:\n${svc.tail()}`);
      await sleep(10);
    }
    gw = startApp('gateway', ['--app-id', APP_ID, '--dapr-http-port', String(p), '--dapr-grpc-port', String(g), '--state-svc-address', `127.0.0.1:${sp}`]);
    await waitReady(gw, p, '/v1.0/metadata', performance.now());
    targets.push({ name: 'd. split gateway -> state-svc', kind: 'http', port: p, pids: [['gateway', gw.pid], ['state-svc', svc.pid]] });
    apps.push(svc, gw);
  }

  // Same answer everywhere before measuring anything.
  for (const t of targets.filter((x) => x.kind === 'http')) {
    const r = await ask({ cmd: 'check', port: t.port, path: PATH });
    if (r.status !== 200 || r.body !== VALUE.toString('utf8')) throw new Error(`${t.name}: unexpected answer ${r.status} ${r.body}`);
    t.check = `${r.headers['content-type']}, etag ${r.headers.etag ?? '-'}`;
  }

  // --- measurement ---------------------------------------------------------------------------
  const direct = async (inflight, ms, record) => {
    const call = () =>
      redis.hgetallBuffer(STORED_KEY).then((h) => {
        if (h.data?.length !== VALUE.length) throw new Error('direct: wrong value');
      });
    const cpu0 = process.cpuUsage();
    const r = await drive(call, inflight, ms, record);
    const cpu = process.cpuUsage(cpu0);
    return { n: r.n, secs: r.secs, ...(r.lat ? pcts(r.lat) : {}), cpuUs: cpu.user + cpu.system, sockets: 1 };
  };
  const run = (t, inflight, ms, record) =>
    t.kind === 'direct' ? direct(inflight, ms, record) : ask({ cmd: 'run', port: t.port, path: PATH, inflight, ms, record, bytes: VALUE.length });

  const results = []; // {target, inflight, round, rate, p50, p90, p99, cpu: {client, ...pids, redis}}
  for (let round = 1; round <= ROUNDS; round++) {
    await seed();
    console.log(`\nround ${round}/${ROUNDS} (load average ${loadavg()[0].toFixed(2)})`);
    for (const t of targets) {
      for (const inflight of INFLIGHT) {
        await run(t, inflight, WARMUP_MS, false);
        const before = t.pids.map(([, pid]) => procCpuUs(pid));
        const r0 = await redisCpuUs(redis);
        const r = await run(t, inflight, DURATION_MS, true);
        const r1 = await redisCpuUs(redis);
        const after = t.pids.map(([, pid]) => procCpuUs(pid));
        if (r.sockets !== (t.kind === 'direct' ? 1 : inflight)) throw new Error(`${t.name}: ${r.sockets} sockets for ${inflight} in flight`);
        const cpu = { client: r.cpuUs / r.n };
        t.pids.forEach(([name], i) => (cpu[name] = (after[i] - before[i]) / r.n));
        cpu.redis = (r1 - r0) / r.n;
        const row = { target: t.name, inflight, round, rate: r.n / r.secs, p50: r.p50, p90: r.p90, p99: r.p99, cpu };
        results.push(row);
        const cpuText = Object.entries(cpu).map(([k, v]) => `${k} ${f1(v)}`).join(', ');
        console.log(`  ${t.name.padEnd(32)} ${String(inflight).padStart(2)} in flight ${String(Math.round(row.rate)).padStart(6)}/s  p50 ${f3(row.p50)}  p90 ${f3(row.p90)}  p99 ${f3(row.p99)} ms  CPU µs/req: ${cpuText}`);
      }
    }
  }
  const load1 = loadavg();

  // --- idle RSS after warm-up ---------------------------------------------------------------
  await sleep(2000);
  const rss = [];
  if (aio) rss.push(['all-in-one (state.redis), after start + 1 s idle', aio.rssAfterStartKb]);
  if (aio) rss.push(['all-in-one (state.redis), after the load rounds + 2 s idle', rssKb(aio.pid)]);
  if (gw) rss.push(['split gateway, after the load rounds + 2 s idle', rssKb(gw.pid)]);
  if (svc) rss.push(['state-svc, after the load rounds + 2 s idle', rssKb(svc.pid)]);
  if (minimal) rss.push(['minimal node:http + ioredis server, same', rssKb(minimal.pid)]);

  loader.disconnect();
  for (const c of apps) {
    if (c.exited) await stopApp(c);
    else c.disconnect();
  }

  // --- start-up time ---------------------------------------------------------------------------
  const starts = [];
  if (!args['skip-startup']) {
    for (const [label, extra] of [
      ['embedded defaults (state.sqlite)', ['--data-dir', join(WORK, 'data')]],
      ['state.redis', ['--resources-path', resources]],
    ]) {
      rmSync(join(WORK, 'data'), { recursive: true, force: true });
      const times = [];
      const rssReady = [];
      for (let i = 0; i < STARTS; i++) {
        const [p, g] = [await freePort(), await freePort()];
        const t0 = performance.now();
        const child = startApp('all-in-one', ['--app-id', APP_ID, '--dapr-http-port', String(p), '--dapr-grpc-port', String(g), ...extra]);
        times.push(await waitReady(child, p, '/v1.0/metadata', t0));
        await sleep(1000);
        rssReady.push(rssKb(child.pid));
        await stopApp(child);
      }
      starts.push({ label, times, rssReady });
      console.log(`start-up, ${label}: ${times.map((t) => t.toFixed(0)).join(', ')} ms; RSS 1 s after ready ${rssReady.map((k) => (k / 1024).toFixed(1)).join(', ')} MiB`);
    }
  }
  await redis.quit();

  // --- report ----------------------------------------------------------------------------------
  const agg = [];
  for (const t of targets) {
    for (const inflight of INFLIGHT) {
      const rows = results.filter((r) => r.target === t.name && r.inflight === inflight);
      const cpu = {};
      for (const k of Object.keys(rows[0].cpu)) cpu[k] = median(rows.map((r) => r.cpu[k]));
      const rates = rows.map((r) => r.rate);
      agg.push({
        target: t.name,
        inflight,
        rate: median(rates),
        spread: (Math.max(...rates) - Math.min(...rates)) / median(rates),
        rates,
        p50: median(rows.map((r) => r.p50)),
        p90: median(rows.map((r) => r.p90)),
        p99: median(rows.map((r) => r.p99)),
        cpu,
      });
    }
  }
  const at = (prefix, inflight) => agg.find((a) => a.target.startsWith(prefix) && a.inflight === inflight);

  console.log(`\nload average: before ${load0.map((x) => x.toFixed(2)).join(' ')}, after the rounds ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`\nMedian of ${ROUNDS} rounds (each column its own median; "spread" = (max-min)/median of req/s)\n`);
  console.log('| path | in flight | req/s | spread | p50 ms | p90 ms | p99 ms | CPU µs/req |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const a of agg) {
    const cpuText = Object.entries(a.cpu).map(([k, v]) => `${k} ${f1(v)}`).join(', ');
    console.log(`| ${a.target} | ${a.inflight} | ${Math.round(a.rate)} | ${(a.spread * 100).toFixed(0)}% | ${f3(a.p50)} | ${f3(a.p90)} | ${f3(a.p99)} | ${cpuText} |`);
  }

  const verdict = (ok) => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'FAIL');
  const aio16 = at('c.', 16);
  const min16 = at('b.', 16);
  const split16 = at('d.', 16);
  const aio1 = at('c.', 1);
  const dir1 = at('a.', 1);
  console.log('\n| ratio | value | target | result |\n|---|---:|---|---|');
  if (aio16 && min16) {
    const v = aio16.rate / min16.rate;
    console.log(`| all-in-one / minimal server, req/s at 16 in flight | ${v.toFixed(2)} | >= 0.8 | ${verdict(v >= 0.8)} |`);
  }
  if (aio1 && dir1) {
    const v = aio1.p50 - dir1.p50;
    console.log(`| all-in-one p50 - direct read p50, 1 in flight | ${v.toFixed(3)} ms | <= 0.2 ms | ${verdict(v <= 0.2)} |`);
  }
  if (split16 && aio16) {
    const v = split16.rate / aio16.rate;
    console.log(`| split / all-in-one, req/s at 16 in flight | ${v.toFixed(2)} | >= 0.5 | ${verdict(v >= 0.5)} |`);
  }
  const min1 = at('b.', 1);
  if (min1 && dir1 && aio1) {
    console.log(`| (context) minimal server p50 - direct read p50, 1 in flight | ${(min1.p50 - dir1.p50).toFixed(3)} ms | | |`);
    console.log(`| (context) all-in-one p50 - minimal server p50, 1 in flight | ${(aio1.p50 - min1.p50).toFixed(3)} ms | | |`);
  }

  if (rss.length || starts.length) console.log('\n| all-in-one | value |\n|---|---:|');
  for (const [label, kb] of rss) console.log(`| idle RSS, ${label} | ${(kb / 1024).toFixed(1)} MiB |`);
  for (const s of starts) {
    console.log(`| spawn -> GET /v1.0/metadata 200, ${s.label}, median of ${s.times.length} | ${median(s.times).toFixed(0)} ms (${Math.round(Math.min(...s.times))}-${Math.round(Math.max(...s.times))}) |`);
    console.log(`| idle RSS 1 s after ready, ${s.label}, median of ${s.rssReady.length} | ${(median(s.rssReady) / 1024).toFixed(1)} MiB |`);
  }
  for (const t of targets.filter((x) => x.check)) console.log(`(${t.name}: ${t.check})`);
}

if (args.role === 'minimal') minimalServer();
else if (args.role === 'load') loadGenerator();
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
