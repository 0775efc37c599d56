// Reachability probes for the real backends that component suites run against (Redis, Postgres,
// RabbitMQ, Mosquitto, NATS JetStream on loopback by default). A suite asks for a skip reason
// while jest registers tests, which is synchronous, so each probe runs in a short-lived child
// process (spawnSync) that exits 0/1: Redis and Postgres through their own driver (connect, send
// one command), the brokers with a plain TCP connect (NATS: its INFO line must announce
// JetStream). The drivers are loaded by the child, so this lib never imports ioredis or pg itself.
//
// REDIS_URL / POSTGRES_URL / RABBITMQ_URL / MQTT_URL / NATS_URL override the defaults; this file
// is the only reader of those variables.
import { spawn, spawnSync } from 'node:child_process';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const DEFAULT_MQTT_URL = 'tcp://127.0.0.1:1883';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

const CONNECT_TIMEOUT_MS = 2000;
/** Headroom over the connect timeout for starting node and loading the driver. */
const PROCESS_TIMEOUT_MS = CONNECT_TIMEOUT_MS + 1500;

type Backend = 'redis' | 'postgres';

const PROBE = `
const [kind, url, from, timeoutMs] = process.argv.slice(1);
const load = (name) => require(require.resolve(name, { paths: [from, process.cwd()] }));
const fail = (e) => { process.stderr.write(String((e && e.message) || e)); process.exit(1); };
setTimeout(() => fail('no answer within ' + timeoutMs + ' ms'), Number(timeoutMs));
try {
  if (kind === 'redis') {
    const mod = load('ioredis');
    const Redis = mod.Redis || mod.default || mod;
    const c = new Redis(url, { lazyConnect: true, connectTimeout: Number(timeoutMs), maxRetriesPerRequest: 0,
      retryStrategy: () => null, enableOfflineQueue: false });
    c.on('error', () => {});
    c.connect().then(() => c.ping()).then(() => { c.disconnect(); process.exit(0); }, fail);
  } else {
    const pg = load('pg');
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: Number(timeoutMs) });
    c.on('error', () => {});
    c.connect().then(() => c.query('select 1')).then(() => c.end()).then(() => process.exit(0), fail);
  }
} catch (e) { fail(e); }
`;

/** Hides a password in a connection URL before it goes into a test title or log. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

function probeArgs(kind: Backend, url: string): string[] {
  return ['-e', PROBE, kind, url, __dirname, String(CONNECT_TIMEOUT_MS)];
}

function reason(kind: Backend, url: string, detail: string): string {
  const env = kind === 'redis' ? 'REDIS_URL' : 'POSTGRES_URL';
  return `${kind} unreachable at ${redact(url)} (${detail.trim() || 'probe failed'}); set ${env} to point at a reachable server`;
}

const cache = new Map<string, string | undefined>();

function probeSync(kind: Backend, url: string): string | undefined {
  const id = `${kind} ${url}`;
  if (cache.has(id)) return cache.get(id);
  const r = spawnSync(process.execPath, probeArgs(kind, url), { encoding: 'utf8', timeout: PROCESS_TIMEOUT_MS });
  let out: string | undefined;
  if (r.error) out = reason(kind, url, r.error.message);
  else if (r.status !== 0) out = reason(kind, url, r.stderr || `probe exited with ${r.status ?? r.signal}`);
  cache.set(id, out);
  return out;
}

function probeAsync(kind: Backend, url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, probeArgs(kind, url), { stdio: ['ignore', 'ignore', 'pipe'], timeout: PROCESS_TIMEOUT_MS });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e) => resolve(reason(kind, url, e.message)));
    child.on('close', (code, signal) => resolve(code === 0 ? undefined : reason(kind, url, stderr || `probe exited with ${code ?? signal}`)));
  });
}

/** The Redis URL suites should use: REDIS_URL or the loopback default. */
export function testRedisUrl(): string {
  return process.env['REDIS_URL'] || DEFAULT_REDIS_URL;
}

/** The Postgres connection string suites should use: POSTGRES_URL or the loopback default. */
export function testPostgresUrl(): string {
  return process.env['POSTGRES_URL'] || DEFAULT_POSTGRES_URL;
}

/** Resolves to undefined when Redis answers PING, else to a skip reason. */
export function redisAvailable(url: string = testRedisUrl()): Promise<string | undefined> {
  return probeAsync('redis', url);
}

/** Resolves to undefined when Postgres answers `select 1`, else to a skip reason. */
export function postgresAvailable(connStr: string = testPostgresUrl()): Promise<string | undefined> {
  return probeAsync('postgres', connStr);
}

/** Synchronous form for describe time: undefined when reachable, else a skip reason. */
export function redisSkipReason(url: string = testRedisUrl()): string | undefined {
  return probeSync('redis', url);
}

/** Synchronous form for describe time: undefined when reachable, else a skip reason. */
export function postgresSkipReason(connStr: string = testPostgresUrl()): string | undefined {
  return probeSync('postgres', connStr);
}

/** The RabbitMQ URL suites should use: RABBITMQ_URL or the loopback default (guest/guest). */
export function testRabbitMqUrl(): string {
  return process.env['RABBITMQ_URL'] || DEFAULT_RABBITMQ_URL;
}

/** The MQTT broker URL suites should use: MQTT_URL or the loopback default (Mosquitto). */
export function testMqttUrl(): string {
  return process.env['MQTT_URL'] || DEFAULT_MQTT_URL;
}

/** The NATS URL suites should use: NATS_URL or the loopback default (a server with JetStream). */
export function testNatsUrl(): string {
  return process.env['NATS_URL'] || DEFAULT_NATS_URL;
}

/** Host and port of a broker URL; `defaultPort` when the URL names none. */
export function urlHostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u.port || defaultPort) };
}

// argv: host port timeoutMs check. check 'connect': a connection is accepted; 'nats-jetstream':
// the server's first line is NATS's INFO and announces JetStream.
const TCP_PROBE = `
const [host, port, timeoutMs, check] = process.argv.slice(1);
const fail = (m) => { process.stderr.write(String(m)); process.exit(1); };
const s = require('node:net').connect(Number(port), host);
s.setTimeout(Number(timeoutMs), () => fail('no answer within ' + timeoutMs + ' ms'));
s.on('error', (e) => fail(e.message));
if (check === 'nats-jetstream') {
  s.once('data', (d) => {
    const t = d.toString();
    if (!t.startsWith('INFO')) fail('not a NATS server');
    if (!/"jetstream":\\s*true/.test(t)) fail('JetStream is not enabled');
    process.exit(0);
  });
} else {
  s.once('connect', () => process.exit(0));
}
`;

type TcpCheck = 'connect' | 'nats-jetstream';

function tcpProbeSync(name: string, host: string, port: number, check: TcpCheck, hint: string | undefined): string | undefined {
  const id = `tcp ${check} ${name} ${host} ${port} ${hint ?? ''}`;
  if (cache.has(id)) return cache.get(id);
  const r = spawnSync(process.execPath, ['-e', TCP_PROBE, host, String(port), String(CONNECT_TIMEOUT_MS), check], { encoding: 'utf8', timeout: PROCESS_TIMEOUT_MS });
  let out: string | undefined;
  if (r.status !== 0) {
    const detail = (r.stderr || r.error?.message || `probe exited with ${r.status ?? r.signal}`).trim() || 'probe failed';
    out = `${name} unreachable at ${host}:${port} (${detail})${hint ? `; ${hint}` : ''}`;
  }
  cache.set(id, out);
  return out;
}

/**
 * Synchronous TCP probe for describe time: undefined when something on host:port accepts a
 * connection, else a skip reason naming `name` (and ending with `hint`, e.g. which variable to set).
 */
export function tcpSkipReason(name: string, host: string, port: number, hint?: string): string | undefined {
  return tcpProbeSync(name, host, port, 'connect', hint);
}

/** Synchronous form for describe time: undefined when RabbitMQ's port answers, else a skip reason. */
export function rabbitMqSkipReason(url: string = testRabbitMqUrl()): string | undefined {
  const { host, port } = urlHostPort(url, 5672);
  return tcpSkipReason('rabbitmq', host, port, 'set RABBITMQ_URL to a reachable broker');
}

/** Synchronous form for describe time: undefined when the MQTT broker's port answers, else a skip reason. */
export function mqttSkipReason(url: string = testMqttUrl()): string | undefined {
  const { host, port } = urlHostPort(url, 1883);
  return tcpSkipReason('mqtt broker', host, port, 'set MQTT_URL to a reachable broker');
}

/** Synchronous form for describe time: undefined when a NATS server with JetStream answers, else a skip reason. */
export function natsJetStreamSkipReason(url: string = testNatsUrl()): string | undefined {
  const { host, port } = urlHostPort(url, 4222);
  return tcpProbeSync('nats', host, port, 'nats-jetstream', 'set NATS_URL to a server with JetStream');
}
