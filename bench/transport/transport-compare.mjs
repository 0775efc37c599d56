// Internal transport comparison: what one loopback connection can carry for a small unary
// request/response, with @grpc/grpc-js, node:http keep-alive and a minimal length-prefixed
// multiplexed protocol over one net.Socket. Plain node, no TypeScript.
//
//   node bench/transport/transport-compare.mjs [--duration=3] [--only=grpc,http,framed] [--inflight=1,16,64]
//
// The servers run in a forked child process, the clients here, so client and server each get one
// of the machine's cores as they would in split mode (gateway process -> state-svc process).
// Every server echoes the request body; the body is 48 bytes of binary (about an encoded
// GetStateRequest), so what is measured is the per-call cost of each transport.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');

const args = Object.fromEntries(
  process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => {
    const [k, v] = a.slice(2).split('=');
    return [k, v ?? 'true'];
  }),
);
const DURATION_MS = Number(args.duration ?? 3) * 1000;
const WARMUP_MS = Math.min(500, DURATION_MS / 4);
const INFLIGHT = (args.inflight ?? '1,16,64').split(',').map(Number);
const ONLY = new Set((args.only ?? 'grpc,http,framed').split(','));
const BODY = Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 37 + 0x80) & 0xff));

// ---------------------------------------------------------------------------------------------
// servers (child process)

const identity = (b) => b;
const ECHO_SERVICE = {
  echo: {
    path: '/bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

const FRAME_REQ = 1;
const FRAME_RES = 2;

async function serve() {
  const ports = {};

  const server = new grpc.Server({ 'grpc.max_concurrent_streams': 1024, 'grpc.enable_channelz': 0 });
  server.addService(ECHO_SERVICE, { echo: (call, cb) => cb(null, call.request) });
  ports.grpc = await new Promise((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );

  const hs = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  });
  hs.keepAliveTimeout = 60_000;
  await new Promise((r) => hs.listen(0, '127.0.0.1', r));
  ports.http = hs.address().port;

  // framed: u32 length (of what follows), u32 request id, u8 type, payload
  const ns = net.createServer((sock) => {
    sock.setNoDelay(true);
    const out = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      if (out.length === 1) sock.write(out[0]);
      else sock.write(Buffer.concat(out));
      out.length = 0;
    };
    readFrames(sock, (id, type, payload) => {
      const f = Buffer.allocUnsafe(9 + payload.length);
      f.writeUInt32BE(5 + payload.length, 0);
      f.writeUInt32BE(id, 4);
      f[8] = FRAME_RES;
      payload.copy(f, 9);
      out.push(f);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  });
  await new Promise((r) => ns.listen(0, '127.0.0.1', r));
  ports.framed = ns.address().port;

  process.send({ ports });
  process.on('message', (m) => m === 'cpu' && process.send({ cpu: process.cpuUsage() }));
  process.on('disconnect', () => process.exit(0));
}

function readFrames(sock, onFrame) {
  let buf = null;
  sock.on('data', (chunk) => {
    buf = buf === null || buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off - 4 < len) break;
      const id = buf.readUInt32BE(off + 4);
      const type = buf[off + 8];
      onFrame(id, type, buf.subarray(off + 9, off + 4 + len));
      off += 4 + len;
    }
    buf = off === buf.length ? null : buf.subarray(off);
  });
}

// ---------------------------------------------------------------------------------------------
// clients

function grpcClient(port, options, channels = 1) {
  const Ctor = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const clients = Array.from({ length: channels }, () => new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options));
  const method = ECHO_SERVICE.echo.path;
  let rr = 0;
  const md = new grpc.Metadata(); // one shared, empty metadata: no per-call metadata work
  return {
    call(cb) {
      const c = clients[rr++ % channels];
      c.makeUnaryRequest(method, identity, identity, BODY, md, cb);
    },
    close() {
      for (const c of clients) c.close();
    },
  };
}

function httpClient(port, maxSockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const opts = {
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/echo',
    agent,
    headers: { 'content-type': 'application/octet-stream', 'content-length': BODY.length },
  };
  return {
    call(cb) {
      const req = http.request(opts, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => cb(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      });
      req.on('error', cb);
      req.end(BODY);
    },
    close() {
      agent.destroy();
    },
  };
}

function framedClient(port) {
  const sock = net.connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  const pending = new Map();
  let nextId = 1;
  const out = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (out.length === 1) sock.write(out[0]);
    else sock.write(Buffer.concat(out));
    out.length = 0;
  };
  readFrames(sock, (id, _type, payload) => {
    const cb = pending.get(id);
    pending.delete(id);
    if (cb) cb(null, payload);
  });
  return {
    ready: new Promise((r) => sock.once('connect', r)),
    call(cb) {
      const id = nextId++ >>> 0;
      const f = Buffer.allocUnsafe(9 + BODY.length);
      f.writeUInt32BE(5 + BODY.length, 0);
      f.writeUInt32BE(id, 4);
      f[8] = FRAME_REQ;
      BODY.copy(f, 9);
      pending.set(id, cb);
      out.push(f);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    close() {
      sock.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// load loop: `inflight` independent callers, each issuing its next call when the last returns

function load(client, inflight, ms, record) {
  return new Promise((resolve, reject) => {
    const lat = record ? new Float64Array(4_000_000) : null;
    let n = 0;
    let active = inflight;
    const end = performance.now() + ms;
    const start = performance.now();
    const one = () => {
      const t0 = performance.now();
      client.call((err) => {
        if (err) return reject(err);
        const t1 = performance.now();
        if (lat && n < lat.length) lat[n] = t1 - t0;
        n++;
        if (t1 < end) one();
        else if (--active === 0) resolve({ n, secs: (t1 - start) / 1000, lat: lat?.subarray(0, Math.min(n, lat.length)) });
      });
    };
    for (let i = 0; i < inflight; i++) one();
  });
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

let child;
const serverCpu = () =>
  new Promise((r) => {
    const on = (m) => m.cpu && (child.off('message', on), r(m.cpu));
    child.on('message', on);
    child.send('cpu');
  });
const cpuMs = (u) => (u.user + u.system) / 1000;

async function measure(name, make, inflight) {
  const client = await make(inflight);
  if (client.ready) await client.ready;
  await load(client, inflight, WARMUP_MS, false);
  const s0 = await serverCpu();
  const c0 = process.cpuUsage();
  const { n, secs, lat } = await load(client, inflight, DURATION_MS, true);
  const clientCpu = process.cpuUsage(c0);
  const s1 = await serverCpu();
  client.close();
  const sorted = lat.slice().sort();
  const row = {
    transport: name,
    inflight,
    'calls/s': Math.round(n / secs),
    'p50 ms': pct(sorted, 50).toFixed(3),
    'p99 ms': pct(sorted, 99).toFixed(3),
    // CPU microseconds spent per call by each side: the cost that bounds throughput on 2 cores
    'client us/call': ((cpuMs(clientCpu) * 1000) / n).toFixed(1),
    'server us/call': (((cpuMs(s1) - cpuMs(s0)) * 1000) / n).toFixed(1),
  };
  console.log(
    `${name.padEnd(34)} inflight=${String(inflight).padStart(2)}  ${String(row['calls/s']).padStart(7)} calls/s  p50 ${row['p50 ms']} ms  p99 ${row['p99 ms']} ms  cpu/call client ${row['client us/call']} us server ${row['server us/call']} us`,
  );
  return row;
}

async function main() {
  child = fork(new URL(import.meta.url).pathname, ['--server'], { stdio: 'inherit' });
  const { ports } = await new Promise((r) => child.once('message', r));
  const TUNED = {
    'grpc.enable_channelz': 0,
    'grpc.enable_retries': 0,
    'grpc.max_concurrent_streams': 1024,
    'grpc.use_local_subchannel_pool': 1,
    'grpc.service_config_disable_resolution': 1,
  };
  const scenarios = [];
  if (ONLY.has('grpc')) {
    scenarios.push(['grpc-js, 1 channel, defaults', () => grpcClient(ports.grpc, {})]);
    scenarios.push(['grpc-js, 1 channel, tuned', () => grpcClient(ports.grpc, TUNED)]);
    scenarios.push(['grpc-js, 4 channels rr, tuned', () => grpcClient(ports.grpc, TUNED, 4)]);
  }
  if (ONLY.has('http')) scenarios.push(['node:http keep-alive (maxSockets=N)', (n) => httpClient(ports.http, n)]);
  if (ONLY.has('framed')) scenarios.push(['framed, 1 net.Socket', () => framedClient(ports.framed)]);

  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cpus, ${DURATION_MS / 1000}s per row, body ${BODY.length} B echo`);
  const rows = [];
  for (const [name, make] of scenarios) for (const n of INFLIGHT) rows.push(await measure(name, make, n));
  if (args.markdown) {
    console.log('\n| transport | in flight | calls/s | p50 ms | p99 ms | client CPU us/call | server CPU us/call |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(
        `| ${r.transport} | ${r.inflight} | ${r['calls/s']} | ${r['p50 ms']} | ${r['p99 ms']} | ${r['client us/call']} | ${r['server us/call']} |`,
      );
    }
  }
  child.disconnect();
}

if (args.server) serve();
else main().catch((e) => {
  console.error(e);
  process.exit(1);
});
