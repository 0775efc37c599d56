// The state transport as built (libs/transport/state), measured on loopback:
//   A. StateTransportClient -> StateTransportServer (state-svc process, fake StateApi):
//      GetState calls/s, p50/p99, CPU per call on each side, with 1, 16 and 64 calls in flight.
//   B. the split-mode ratio: a minimal HTTP gateway (node:http, GET /v1.0/state/{store}/{key})
//      answering from an in-process StateApi (all-in-one) vs through the transport to state-svc
//      (split), driven with 16 requests in flight over keep-alive.
// The fake StateApi answers at once with a 100-byte value, so the transport's cost is as visible
// as it can be (a real backend adds the same Redis time to both modes and narrows the gap).
//
//   node bench/transport/state-transport-bench.mjs [--duration=3]
//
// The TypeScript lib is bundled with esbuild into tmp/ first. Three processes (load generator,
// gateway, state-svc) share the 2 cores in part B; all-in-one runs the same load generator.
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const bundle = join(root, 'tmp/bench/transport-state.cjs');
const args = Object.fromEntries(
  process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => {
    const [k, v] = a.slice(2).split('=');
    return [k, v ?? 'true'];
  }),
);
const DURATION_MS = Number(args.duration ?? 3) * 1000;
const WARMUP_MS = Math.min(500, DURATION_MS / 4);
const VALUE = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 53 + 0x80) & 0xff));
const CTX = { appId: 'bench', namespace: '' };

function fakeApi() {
  const res = { data: VALUE, etag: '1', metadata: {} };
  return {
    getState: async () => res,
    getBulkState: async () => ({ items: [] }),
    saveState: async () => undefined,
    deleteState: async () => undefined,
    deleteBulkState: async () => undefined,
    executeStateTransaction: async () => undefined,
    queryState: async () => ({ results: [], token: '', metadata: {} }),
    listComponents: async () => [],
  };
}

function cpuReporter() {
  process.on('message', (m) => m === 'cpu' && process.send({ cpu: process.cpuUsage() }));
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// child roles

async function svc() {
  const { StateTransportServer } = createRequire(import.meta.url)(bundle);
  const server = new StateTransportServer(fakeApi());
  const { port } = await server.listen('127.0.0.1', 0);
  cpuReporter();
  process.send({ port });
}

async function gateway(mode, svcPort) {
  const { StateTransportClient } = createRequire(import.meta.url)(bundle);
  const api = mode === 'split' ? new StateTransportClient(`127.0.0.1:${svcPort}`) : fakeApi();
  const PREFIX = '/v1.0/state/';
  const hs = http.createServer((req, res) => {
    const rest = req.url.slice(PREFIX.length);
    const slash = rest.indexOf('/');
    const getReq = { storeName: rest.slice(0, slash), key: rest.slice(slash + 1), consistency: 0, metadata: {} };
    api.getState(getReq, { appId: 'bench', namespace: '', traceparent: req.headers.traceparent }).then(
      (r) => {
        if (r.data.length === 0) {
          res.writeHead(204).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': r.data.length, etag: r.etag });
        res.end(r.data);
      },
      (e) => {
        const body = JSON.stringify({ errorCode: e.code, message: e.message });
        res.writeHead(e.httpStatus ?? 500, { 'content-type': 'application/json' }).end(body);
      },
    );
  });
  hs.keepAliveTimeout = 60_000;
  await new Promise((r) => hs.listen(0, '127.0.0.1', r));
  cpuReporter();
  process.send({ port: hs.address().port });
}

// ---------------------------------------------------------------------------------------------
// load generation (main process)

function load(call, inflight, ms, record) {
  return new Promise((resolve, reject) => {
    const lat = record ? new Float64Array(4_000_000) : null;
    let n = 0;
    let active = inflight;
    const start = performance.now();
    const end = start + ms;
    const one = () => {
      const t0 = performance.now();
      call().then(() => {
        const t1 = performance.now();
        if (lat && n < lat.length) lat[n] = t1 - t0;
        n++;
        if (t1 < end) one();
        else if (--active === 0) resolve({ n, secs: (t1 - start) / 1000, lat: lat?.subarray(0, Math.min(n, lat.length)) });
      }, reject);
    };
    for (let i = 0; i < inflight; i++) one();
  });
}

const cpuOf = (child) =>
  new Promise((r) => {
    const on = (m) => m.cpu && (child.off('message', on), r(m.cpu));
    child.on('message', on);
    child.send('cpu');
  });
const us = (a, b) => b.user + b.system - a.user - a.system;

async function measure(label, call, inflight, children) {
  await load(call, inflight, WARMUP_MS, false);
  const before = await Promise.all(children.map(([, c]) => cpuOf(c)));
  const self0 = process.cpuUsage();
  const { n, secs, lat } = await load(call, inflight, DURATION_MS, true);
  const self = process.cpuUsage(self0);
  const after = await Promise.all(children.map(([, c]) => cpuOf(c)));
  const sorted = lat.slice().sort();
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(3);
  const cpu = [`load-gen ${((self.user + self.system) / n).toFixed(1)}`]
    .concat(children.map(([name], i) => `${name} ${(us(before[i], after[i]) / n).toFixed(1)}`))
    .join(', ');
  const row = { label, inflight, rate: Math.round(n / secs), p50: pct(50), p99: pct(99), cpu };
  console.log(`${label.padEnd(44)} inflight=${String(inflight).padStart(2)} ${String(row.rate).padStart(7)}/s  p50 ${row.p50} ms  p99 ${row.p99} ms  CPU us/call: ${cpu}`);
  return row;
}

function start(role, extra = []) {
  const child = fork(fileURLToPath(import.meta.url), [`--role=${role}`, ...extra], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('message', (m) => resolve([child, m.port])));
}

async function main() {
  mkdirSync(dirname(bundle), { recursive: true });
  const esbuild = createRequire(import.meta.url)('esbuild');
  await esbuild.build({
    entryPoints: [join(root, 'libs/transport/state/src/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    tsconfig: join(root, 'tsconfig.base.json'),
    logLevel: 'warning',
  });
  const { StateTransportClient } = createRequire(import.meta.url)(bundle);
  console.log(`node ${process.version}, ${cpus().length} cpus, ${DURATION_MS / 1000}s per row, GetState with a ${VALUE.length} B value`);
  const rows = [];

  // A. the transport alone
  const [svcA, svcPortA] = await start('svc');
  const client = new StateTransportClient(`127.0.0.1:${svcPortA}`);
  await client.connect();
  const get = { storeName: 'statestore', key: 'bench-key', consistency: 0, metadata: {} };
  for (const n of [1, 16, 64]) {
    rows.push(await measure('StateTransportClient -> state-svc', () => client.getState(get, CTX), n, [['state-svc', svcA]]));
  }
  await client.close();
  svcA.disconnect();

  // B. HTTP gateway, all-in-one vs split
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const httpGet = (port) => () =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/v1.0/state/statestore/bench-key', agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
    });
  const [gwA, gwPortA] = await start('gateway', ['--mode=all-in-one']);
  const aio = await measure('HTTP GET state, all-in-one gateway', httpGet(gwPortA), 16, [['gateway', gwA]]);
  gwA.disconnect();
  const [svcB, svcPortB] = await start('svc');
  const [gwB, gwPortB] = await start('gateway', ['--mode=split', `--svc=${svcPortB}`]);
  const split = await measure('HTTP GET state, split gateway -> state-svc', httpGet(gwPortB), 16, [
    ['gateway', gwB],
    ['state-svc', svcB],
  ]);
  gwB.disconnect();
  svcB.disconnect();
  agent.destroy();
  rows.push(aio, split);
  console.log(`split / all-in-one = ${(split.rate / aio.rate).toFixed(2)}`);

  if (args.markdown) {
    console.log('\n| path | in flight | calls/s | p50 ms | p99 ms | CPU µs per call |\n|---|---:|---:|---:|---:|---|');
    for (const r of rows) console.log(`| ${r.label} | ${r.inflight} | ${r.rate} | ${r.p50} | ${r.p99} | ${r.cpu} |`);
  }
}

if (args.role === 'svc') svc();
else if (args.role === 'gateway') gateway(args.mode, Number(args.svc));
else main().catch((e) => {
  console.error(e);
  process.exit(1);
});
