// Issue #3: service invocation app -> runtime A -> runtime B -> app B, against the app called
// directly. In one run, at an OPEN-LOOP constant rate (default 1,000 requests/s over 16 keep-alive
// connections, 1 KB bodies), latency p50/p90/p99 and the latency Tessera adds, for:
//   a. direct         the load process POSTs straight to the callee app (node:http echo server)
//   b. Tessera HTTP   the load process, standing in for app A, POSTs to runtime A's
//                     /v1.0/invoke/B/method/echo; A resolves B through name resolution (SQLite
//                     file under the shared TESSERA_HOME), calls B's internal port, B calls the app
//   c. Tessera gRPC   (unless --no-grpc) Dapr's InvokeService on runtime A's gRPC port: one
//                     @grpc/grpc-js channel, the client generated at run time by
//                     @grpc/proto-loader from libs/contracts/proto (as DaprClient does), verb POST
//   d. direct gRPC    (reference, unless --no-grpc) the same client and call, InvokeService answered
//                     by a @grpc/grpc-js echo server in the callee app's process: what grpc-js costs
//                     at both ends with no runtime in between. Not the target's baseline (that is a,
//                     direct HTTP): it tells the client's and a gRPC server's share of c from ours.
//
// Open loop: a worker thread ticks on a fixed timetable (Atomics.wait, sub-millisecond) and the
// load process sends request i at start + i / rate whatever the state of earlier requests. The
// latency of a request is measured from its SCHEDULED send time to the end of its response, so time
// spent waiting for a free connection or behind a stalled event loop is counted (no coordinated
// omission). "send lag" (actual send - scheduled) shows the load generator's own share.
// Each run is one timetable: --warmup seconds not recorded, then --duration seconds recorded; the
// recorded requests' completions give the achieved rate. Paths alternate within a round (the order
// reverses every other round); the table gives the median of --rounds rounds, each column its own
// median. Before the first round every path runs once for --prewarm seconds, unrecorded (the
// runtimes' CPU per request keeps falling for ~10 s after start while V8 optimises the hot path).
// CPU µs/req is user + system time (/proc, 10 ms ticks) of each process over the recorded window
// divided by the requests completed in it.
//
//   node tools/build.mjs && node bench/invoke.bench.mjs [--rate=1000] [--conns=16] [--bytes=1024]
//     [--duration=10] [--warmup=2] [--rounds=3] [--prewarm=5] [--no-grpc] [--only=direct,http,grpc,grpc-direct]
//     [--rt-node-args="--cpu-prof --cpu-prof-dir=tmp/prof"] [--load-node-args=...] [--dump=<dir>] [--dist=<dir>]
// --dump writes <dir>/<path>-round<n>.csv: every recorded request's scheduled time, latency, lag.
// --dist runs the runtimes from another build directory (relative to the repo root; default dist).
//
// Writes tmp/bench/invoke/ (TESSERA_HOME, data dirs, runtime-a.log and runtime-b.log: the
// runtimes' output, e.g. for --rt-node-args=--trace-gc). Numbers are printed, never asserted.
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { fork, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { args, sleep, pcts, median, f3, f1, procCpuUs, freePort, httpStatus } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(join(root, 'package.json'));
const RATE = Number(args.rate ?? 1000);
const CONNS = Number(args.conns ?? 16);
const BYTES = Number(args.bytes ?? 1024);
const DURATION_MS = Number(args.duration ?? 10) * 1000;
const WARMUP_MS = Number(args.warmup ?? 2) * 1000;
const ROUNDS = Number(args.rounds ?? 3);
const PREWARM_MS = Number(args.prewarm ?? 5) * 1000;
const ONLY = (args.only ?? (args['no-grpc'] ? 'direct,http' : 'direct,http,grpc,grpc-direct')).split(',');
const DRAIN_MS = 5000; // a request not answered this long after the last send counts as an error
const WORK = join(root, 'tmp/bench/invoke');
/** The runtime bundle: dist/ as tools/build.mjs writes it, or another build (--dist=<dir>, e.g. a baseline). */
const DIST = args.dist ? join(root, args.dist) : join(root, 'dist');
const PROTO_DIR = join(root, 'libs/contracts/proto');
const CALLEE = 'B';
const METHOD = 'echo';
const CONTENT_TYPE = 'application/octet-stream';

/** The request body: BYTES of printable, deterministic bytes. */
function body() {
  const b = Buffer.alloc(BYTES);
  for (let i = 0; i < BYTES; i++) b[i] = 33 + ((i * 7) % 90);
  return b;
}

// ---------------------------------------------------------------------------------------------
// shared helpers

const now = () => performance.timeOrigin + performance.now(); // ms, comparable across threads





/** The Dapr gRPC service definition, generated at run time as DaprClient does. */
function daprService() {
  const grpc = require('@grpc/grpc-js');
  const pl = require('@grpc/proto-loader');
  const def = pl.loadSync('dapr/proto/runtime/v1/dapr.proto', { includeDirs: [PROTO_DIR], longs: String, enums: Number, defaults: false });
  return { grpc, Dapr: grpc.loadPackageDefinition(def).dapr.proto.runtime.v1.Dapr };
}

// ---------------------------------------------------------------------------------------------
// role: the callee app (node:http echo server; with --grpc-echo also a grpc-js server answering
// Dapr's InvokeService with the request's data, for the direct gRPC reference path)

function grpcEchoServer() {
  const { grpc, Dapr } = daprService();
  const server = new grpc.Server();
  server.addService(Dapr.service, {
    InvokeService: (call, cb) => cb(null, { data: call.request.message?.data, contentType: call.request.message?.contentType ?? CONTENT_TYPE }),
  });
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

function appServer() {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const b = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? CONTENT_TYPE, 'content-length': b.length });
      res.end(b);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', async () => {
    const grpcPort = args['grpc-echo'] ? await grpcEchoServer() : undefined;
    process.send({ port: server.address().port, grpcPort });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// role: the open-loop load generator

// The ticker: sleeps until each scheduled send time (Atomics.wait has sub-ms resolution, unlike
// setTimeout's 1 ms) and posts the index; stops when flag[0] is set.
const TICKER = `
const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.sab);
const now = () => performance.timeOrigin + performance.now();
for (let i = 0; i < workerData.total; i++) {
  const wait = workerData.start + i * workerData.interval - now();
  if (wait > 0) Atomics.wait(flag, 0, 0, wait);
  if (Atomics.load(flag, 0) !== 0) break;
  parentPort.postMessage(i);
}
parentPort.postMessage(-1);
`;

function loadGenerator() {
  const BODY = body();
  /** One grpc-js channel per runtime gRPC port, kept across runs. */
  const grpcClients = new Map();

  const httpSender = (port, path, agent) => (onDone) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': CONTENT_TYPE, 'content-length': BODY.length } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const b = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          onDone(res.statusCode === 200 && BODY.equals(b) ? undefined : `HTTP ${res.statusCode}, ${b.length} bytes`);
        });
        res.on('error', (e) => onDone(String(e.message)));
      },
    );
    req.on('error', (e) => onDone(String(e.message)));
    req.end(BODY);
  };

  const grpcSender = (port, callee = CALLEE) => {
    let grpcClient = grpcClients.get(port);
    if (grpcClient === undefined) {
      const { grpc, Dapr } = daprService();
      grpcClient = new Dapr(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      grpcClients.set(port, grpcClient);
    }
    const request = { id: callee, message: { method: METHOD, data: { typeUrl: '', value: BODY }, contentType: CONTENT_TYPE, httpExtension: { verb: 3 /* POST */ } } };
    return (onDone) => {
      grpcClient.InvokeService(request, (err, res) => {
        if (err) onDone(`gRPC ${err.code}: ${err.details}`);
        else onDone(res?.data?.value && BODY.equals(res.data.value) ? undefined : `gRPC OK with ${res?.data?.value?.length ?? 0} bytes`);
      });
    };
  };

  /** One open-loop run; resolves with the recorded figures. */
  const run = async (m) => {
    let agent;
    let send;
    if (m.kind === 'grpc') send = grpcSender(m.port, m.callee);
    else {
      agent = new http.Agent({ keepAlive: true, maxSockets: m.conns, maxFreeSockets: m.conns, scheduling: 'fifo' });
      send = httpSender(m.port, m.path, agent);
    }
    // Open every connection first (HTTP: m.conns sockets; gRPC: the channel), and check answers.
    const prime = await Promise.all(Array.from({ length: m.kind === 'grpc' ? 4 : m.conns }, () => new Promise((r) => send(r))));
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
    let measDone = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let lastMeasEnd = 0;
    let cpu0;
    let proc0;
    let tWindow = 0;
    const start = now() + 50;
    const sab = new SharedArrayBuffer(4);
    const flag = new Int32Array(sab);
    let allDone;
    const finished = new Promise((r) => (allDone = r));
    let tickerDone;
    const ticked = new Promise((r) => (tickerDone = r));
    const onTick = (i) => {
      if (i < 0) return void tickerDone();
      const due = start + i * interval;
      if (i === warmN) {
        cpu0 = process.cpuUsage();
        proc0 = m.pids.map(([, pid]) => procCpuUs(pid));
        tWindow = due;
      }
      const rec = i >= warmN ? i - warmN : -1;
      if (rec >= 0) lag[rec] = now() - due;
      inFlight++;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      send((err) => {
        const t = now();
        inFlight--;
        done++;
        if (rec >= 0) {
          measDone++;
          if (t > lastMeasEnd) lastMeasEnd = t;
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
    const timeout = sleep(DRAIN_MS).then(() => 'timeout');
    const how = await Promise.race([finished, timeout]);
    // CPU window: from the first recorded send to the last recorded answer (or now, after a timeout).
    const tEnd = how === 'timeout' ? now() : lastMeasEnd;
    const cpu = process.cpuUsage(cpu0);
    const procCpu = m.pids.map(([, pid], i) => procCpuUs(pid) - proc0[i]);
    if (how === 'timeout') {
      const missing = measN - measDone;
      errorCount += missing;
      errors.set(`no answer within ${DRAIN_MS} ms of the last send`, missing);
    }
    Atomics.store(flag, 0, 1);
    let sockets = 0;
    if (agent) {
      sockets = Object.values(agent.sockets).reduce((s, l) => s + l.length, 0) + Object.values(agent.freeSockets).reduce((s, l) => s + l.length, 0);
      agent.destroy();
    }
    const ok = lat.filter((x) => Number.isFinite(x));
    if (m.dump) {
      // One line per recorded request: absolute scheduled send time (ms since the epoch), latency
      // from it (ms, empty = error), send lag (ms).
      const lines = Array.from(lat, (l, i) => `${(tWindow + i * interval).toFixed(3)},${Number.isFinite(l) ? l.toFixed(3) : ''},${lag[i].toFixed(3)}`);
      writeFileSync(m.dump, `scheduled_ms,latency_ms,lag_ms\n${lines.join('\n')}\n`);
    }
    const secs = (tEnd - tWindow) / 1000;
    const cpuPerReq = { load: (cpu.user + cpu.system) / Math.max(1, measDone) };
    m.pids.forEach(([name], i) => (cpuPerReq[name] = procCpu[i] / Math.max(1, measDone)));
    return {
      scheduled: measN,
      completed: ok.length,
      errors: errorCount,
      errorKinds: [...errors.entries()].map(([k, v]) => `${v}x ${k}`).join('; '),
      rate: ok.length / secs,
      ...pcts(ok),
      lag: pcts(lag.filter((x) => Number.isFinite(x))),
      maxInFlight,
      sockets,
      cpu: cpuPerReq,
    };
  };

  process.on('message', async (m) => {
    try {
      process.send({ id: m.id, ...(await run(m)) });
    } catch (e) {
      process.send({ id: m.id, error: String(e?.stack ?? e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

// ---------------------------------------------------------------------------------------------
// main: processes, measurement, report

/** Spawns the all-in-one runtime; keeps the tail of its output for error messages. */
function startRuntime(appArgs, env, nodeArgs = [], logFile = undefined, dist = DIST) {
  const child = spawn(process.execPath, [...nodeArgs, join(dist, 'apps/all-in-one/main.js'), ...appArgs], {
    cwd: WORK,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const log = logFile ? createWriteStream(logFile) : undefined;
  const keep = (d) => {
    tail = (tail + d.toString()).slice(-4000);
    log?.write(d);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })));
  child.tail = () => tail;
  return child;
}


async function waitHealthy(child, port, timeoutMs = 30_000) {
  const t0 = performance.now();
  let exited = false;
  child.exited.then(() => (exited = true));
  while (performance.now() - t0 < timeoutMs) {
    if (exited) throw new Error(`runtime exited before it was healthy:\n${child.tail()}`);
    if ((await httpStatus(port, '/v1.0/healthz')) === 204) return performance.now() - t0;
    await sleep(20);
  }
  throw new Error(`no 204 from /v1.0/healthz within ${timeoutMs} ms:\n${child.tail()}`);
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(t);
}

/** POSTs the body once (no agent) and checks the echo. */
function checkOnce(port, path) {
  const BODY = body();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': CONTENT_TYPE, 'content-length': BODY.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        if (res.statusCode === 200 && BODY.equals(b)) resolve(`${res.statusCode}, ${b.length} B echoed, ${res.headers['content-type']}`);
        else reject(new Error(`POST ${path} on ${port}: HTTP ${res.statusCode}, ${b.length} bytes: ${b.toString('utf8').slice(0, 300)}`));
      });
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

/** Every child process, killed if main() fails. */
const children = [];

async function main() {
  rmSync(WORK, { recursive: true, force: true });
  const home = join(WORK, 'home');
  mkdirSync(home, { recursive: true });
  if (args.dump) mkdirSync(args.dump, { recursive: true });
  const load0 = loadavg();
  console.log(`node ${process.version}, ${cpus().length} cpus, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(
    `open loop ${RATE} req/s over ${CONNS} keep-alive connections, ${BYTES} B bodies, ${WARMUP_MS / 1000}s warm-up + ${DURATION_MS / 1000}s recorded per run, ${ROUNDS} rounds, paths ${ONLY.join(',')}`,
  );

  // --- processes -----------------------------------------------------------------------------
  const app = fork(fileURLToPath(import.meta.url), ['--role=app', ...(ONLY.includes('grpc-direct') ? ['--grpc-echo'] : [])], { stdio: 'inherit' });
  children.push(app);
  const { port: appPort, grpcPort: appGrpcPort } = await new Promise((r) => app.once('message', r));

  const rtNodeArgs = args['rt-node-args'] ? args['rt-node-args'].split(' ') : [];
  const env = { TESSERA_HOME: home };
  /** Runtime B (callee `callee`, in front of the echo app) then runtime A, from the build in `dist`. */
  const startPair = async (callee, caller, suffix, dist) => {
    const [bHttp, bGrpc, bMetrics, aHttp, aGrpc, aMetrics] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const rtB = startRuntime(
      ['--app-id', callee, '--app-port', String(appPort), '--dapr-http-port', String(bHttp), '--dapr-grpc-port', String(bGrpc), '--metrics-port', String(bMetrics), '--data-dir', join(WORK, `data-b${suffix}`)],
      env,
      rtNodeArgs,
      join(WORK, `runtime-b${suffix}.log`),
      dist,
    );
    children.push(rtB);
    // One after the other: two runtimes starting at the same moment on a fresh name-resolution file
    // can fail with "sqlite name resolver: database is locked" (seen once while writing this bench).
    await waitHealthy(rtB, bHttp);
    const rtA = startRuntime(
      ['--app-id', caller, '--dapr-http-port', String(aHttp), '--dapr-grpc-port', String(aGrpc), '--metrics-port', String(aMetrics), '--data-dir', join(WORK, `data-a${suffix}`)],
      env,
      rtNodeArgs,
      join(WORK, `runtime-a${suffix}.log`),
      dist,
    );
    children.push(rtA);
    await waitHealthy(rtA, aHttp);
    return { rtA, rtB, aHttp, aGrpc, callee };
  };
  const pair = await startPair(CALLEE, 'A', '', DIST);
  const { rtA, rtB, aHttp, aGrpc } = pair;
  // --baseline-dist: a second pair of runtimes from another build (callee B0, caller A0) in front
  // of the same echo app, measured as paths b0 / c0 in the same rounds: before/after in one run.
  const base = args['baseline-dist'] ? await startPair(`${CALLEE}0`, 'A0', '0', join(root, args['baseline-dist'])) : undefined;

  const invokePath = `/v1.0/invoke/${CALLEE}/method/${METHOD}`;
  console.log(`direct: ${await checkOnce(appPort, `/${METHOD}`)}`);
  console.log(`through Tessera: ${await checkOnce(aHttp, invokePath)}`);
  if (base) console.log(`through the baseline build (${args['baseline-dist']}): ${await checkOnce(base.aHttp, `/v1.0/invoke/${base.callee}/method/${METHOD}`)}`);

  // --load-node-args: node/V8 flags for the load process only (e.g. --trace-gc-nvp to see its own GC).
  const loadNodeArgs = args['load-node-args'] !== undefined ? args['load-node-args'].split(' ').filter(Boolean) : [];
  const loader = fork(fileURLToPath(import.meta.url), ['--role=load'], { stdio: 'inherit', execArgv: [...process.execArgv, ...loadNodeArgs] });
  children.push(loader);
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

  const pids = [['app', app.pid], ['runtime A', rtA.pid], ['runtime B', rtB.pid]];
  const basePids = base ? [['app', app.pid], ['runtime A', base.rtA.pid], ['runtime B', base.rtB.pid]] : undefined;
  const paths = [
    { key: 'direct', name: 'a. direct app -> app (HTTP)', kind: 'http', port: appPort, path: `/${METHOD}` },
    { key: 'http', name: 'b. app -> runtime A -> runtime B -> app (HTTP API)', kind: 'http', port: aHttp, path: invokePath },
    { key: 'grpc', name: 'c. app -> runtime A -> runtime B -> app (gRPC API)', kind: 'grpc', port: aGrpc },
    { key: 'grpc-direct', name: 'd. direct gRPC app -> app (reference)', kind: 'grpc', port: appGrpcPort },
  ].filter((p) => ONLY.includes(p.key));
  for (const p of paths) p.pids = pids;
  if (base) {
    const basePath = `/v1.0/invoke/${base.callee}/method/${METHOD}`;
    const extra = [
      { key: 'http0', of: 'http', name: 'b0. as b, baseline build', kind: 'http', port: base.aHttp, path: basePath, pids: basePids },
      { key: 'grpc0', of: 'grpc', name: 'c0. as c, baseline build', kind: 'grpc', port: base.aGrpc, callee: base.callee, pids: basePids },
    ].filter((p) => ONLY.includes(p.of));
    // each baseline path right after the path it is the baseline of
    for (const e of extra) paths.splice(paths.findIndex((p) => p.key === e.of) + 1, 0, e);
  }

  // --- measurement ---------------------------------------------------------------------------
  // Once, before the rounds: each path at the target rate for --prewarm seconds, not recorded, so
  // that every round (the first included) meets JIT-compiled, steady-state processes.
  if (PREWARM_MS > 0) {
    for (const p of paths) await ask({ kind: p.kind, port: p.port, path: p.path, callee: p.callee, rate: RATE, conns: CONNS, ms: 500, warmupMs: PREWARM_MS, pids: p.pids });
    console.log(`pre-warmed every path for ${PREWARM_MS / 1000}s at ${RATE}/s`);
  }
  const results = [];
  const loads = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? paths : [...paths].reverse();
    const l = loadavg()[0];
    loads.push(l);
    console.log(`\nround ${round}/${ROUNDS} (load average ${l.toFixed(2)})`);
    for (const p of order) {
      const dump = args.dump ? join(args.dump, `${p.key}-round${round}.csv`) : undefined;
      const r = await ask({ kind: p.kind, port: p.port, path: p.path, callee: p.callee, rate: RATE, conns: CONNS, ms: DURATION_MS, warmupMs: WARMUP_MS, pids: p.pids, dump });
      results.push({ path: p.key, round, ...r });
      const cpuText = Object.entries(r.cpu).map(([k, v]) => `${k} ${f1(v)}`).join(', ');
      console.log(
        `  ${p.name.padEnd(52)} ${String(Math.round(r.rate)).padStart(5)}/s  err ${r.errors}  p50 ${f3(r.p50)}  p90 ${f3(r.p90)}  p99 ${f3(r.p99)}  max ${f3(r.max)} ms` +
          `  | lag p50 ${f3(r.lag.p50)} p99 ${f3(r.lag.p99)} ms, max in flight ${r.maxInFlight}, ${p.kind === 'http' ? `${r.sockets} sockets` : '1 channel'}  | CPU µs/req: ${cpuText}` +
          (r.errors ? `\n    errors: ${r.errorKinds}` : ''),
      );
    }
  }
  const load1 = loadavg();

  loader.disconnect();
  await stopChild(rtA);
  await stopChild(rtB);
  if (base) {
    await stopChild(base.rtA);
    await stopChild(base.rtB);
  }
  app.disconnect();

  // --- report ----------------------------------------------------------------------------------
  const agg = paths.map((p) => {
    const rows = results.filter((r) => r.path === p.key);
    const cpu = {};
    for (const k of Object.keys(rows[0].cpu)) cpu[k] = median(rows.map((r) => r.cpu[k]));
    return {
      ...p,
      rate: median(rows.map((r) => r.rate)),
      errors: rows.reduce((s, r) => s + r.errors, 0),
      scheduled: rows.reduce((s, r) => s + r.scheduled, 0),
      p50: median(rows.map((r) => r.p50)),
      p90: median(rows.map((r) => r.p90)),
      p99: median(rows.map((r) => r.p99)),
      max: Math.max(...rows.map((r) => r.max)),
      lag50: median(rows.map((r) => r.lag.p50)),
      lag99: median(rows.map((r) => r.lag.p99)),
      rows,
      cpu,
    };
  });

  console.log(`\nload average: before ${load0.map((x) => x.toFixed(2)).join(' ')}, at round starts ${loads.map((x) => x.toFixed(2)).join(' / ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`\nMedian of ${ROUNDS} rounds (each column its own median; errors summed over the rounds; max = worst of the rounds)\n`);
  console.log('| path | achieved req/s | errors | p50 ms | p90 ms | p99 ms | max ms | send lag p50 / p99 ms | CPU µs/req |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const a of agg) {
    const cpu = Object.entries(a.cpu)
      .filter(([k]) => (a.key !== 'direct' && a.key !== 'grpc-direct') || k === 'load' || k === 'app')
      .map(([k, v]) => `${k} ${f1(v)}`)
      .join(', ');
    console.log(`| ${a.name} | ${Math.round(a.rate)} | ${a.errors} / ${a.scheduled} | ${f3(a.p50)} | ${f3(a.p90)} | ${f3(a.p99)} | ${f3(a.max)} | ${f3(a.lag50)} / ${f3(a.lag99)} | ${cpu} |`);
  }
  const direct = agg.find((a) => a.key === 'direct');
  /** Per-round (a - base) of column k, then their median, and the per-round list. */
  const added = (a, base, k) => {
    const diffs = a.rows.map((r) => r[k] - (base.rows.find((x) => x.round === r.round)?.[k] ?? NaN));
    return { med: median(diffs), per: diffs.map(f3).join(' / ') };
  };
  const addedRow = (a, base, target) => {
    const [p50, p90, p99] = ['p50', 'p90', 'p99'].map((k) => added(a, base, k));
    const verdict = target ? `<= 1.0 ms | ${p90.med <= 1.0 ? 'PASS' : 'FAIL'}` : '- | (reference)';
    return `| ${a.name} | ${f3(p50.med)} (${p50.per}) | ${f3(p90.med)} (${p90.per}) | ${f3(p99.med)} (${p99.per}) | ${verdict} |`;
  };
  if (direct) {
    console.log('\nAdded latency (through Tessera - direct), per round then the median of the per-round differences:\n');
    console.log('| path | added p50 ms | added p90 ms | added p99 ms | p90 target | result |');
    console.log('|---|---:|---:|---:|---|---|');
    for (const a of agg.filter((x) => x.key !== 'direct')) console.log(addedRow(a, direct, a.key !== 'grpc-direct'));
    const pairs = agg.filter((a) => a.of !== undefined).map((b0) => [agg.find((a) => a.key === b0.of), b0]).filter(([a]) => a !== undefined);
    if (pairs.length > 0) {
      console.log('\nThis build against the baseline build, same rounds (this - baseline; negative = faster):\n');
      console.log('| path | p50 ms | p90 ms | p99 ms | runtime A CPU µs/req | runtime B CPU µs/req |');
      console.log('|---|---:|---:|---:|---:|---:|');
      for (const [a, b0] of pairs) {
        const [p50, p90, p99] = ['p50', 'p90', 'p99'].map((k) => added(a, b0, k));
        const cpu = (k) => `${f1(a.cpu[k])} vs ${f1(b0.cpu[k])}`;
        console.log(`| ${a.name} | ${f3(p50.med)} (${p50.per}) | ${f3(p90.med)} (${p90.per}) | ${f3(p99.med)} (${p99.per}) | ${cpu('runtime A')} | ${cpu('runtime B')} |`);
      }
    }
  }
  const grpcPath = agg.find((a) => a.key === 'grpc');
  const grpcDirect = agg.find((a) => a.key === 'grpc-direct');
  if (grpcPath && grpcDirect) {
    console.log('\nThe gRPC path over the direct gRPC reference (c - d: what the runtimes add to a gRPC call; the grpc-js client costs the same in both):\n');
    console.log('| path | added p50 ms | added p90 ms | added p99 ms | p90 target | result |');
    console.log('|---|---:|---:|---:|---|---|');
    console.log(addedRow(grpcPath, grpcDirect, false));
  }
  const short = agg.filter((a) => a.rate < RATE * 0.98);
  if (short.length) console.log(`\nWARNING: below the ${RATE} req/s target rate: ${short.map((a) => `${a.key} ${Math.round(a.rate)}/s`).join(', ')} (the machine did not keep up)`);
}

if (args.role === 'app') appServer();
else if (args.role === 'load') loadGenerator();
else {
  // Interrupted (Ctrl-C, kill): take the runtimes and the other children down too.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      process.exit(130);
    });
  }
  main().catch((e) => {
    console.error(e);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    process.exit(1);
  });
}
