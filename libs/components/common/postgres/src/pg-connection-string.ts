// Shared by every PostgreSQL component (state, lock, configuration), as components-contrib's
// common/component/postgresql is: one reading of connection strings for all of them.
// libpq connection strings, both forms Dapr users write: the URL
// (`postgres://user:pw@host:5432/db?sslmode=require`) and keyword/value
// (`host=localhost user=postgres port=5432 database=test`). Both are read into libpq keywords
// first and then mapped to one node-postgres config, so the two forms mean exactly the same thing
// (sslmode included - pg's own URL parser gives `require` a different meaning than libpq).
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { PoolConfig } from 'pg';
import { ComponentConfigError } from '@tessera/spi';

export type Keywords = Record<string, string>;

export function parseConnectionString(cs: string): Keywords {
  const s = cs.trim();
  return /^postgres(?:ql)?:\/\//i.test(s) ? parseUrl(s) : parseKeywordValue(s);
}

/** `postgresql://[user[:password]@][host][:port][,...][/dbname][?param=value&...]` */
function parseUrl(s: string): Keywords {
  const out: Keywords = {};
  let rest = s.replace(/^postgres(?:ql)?:\/\//i, '');
  const q = rest.indexOf('?');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  if (slash >= 0 && slash < rest.length - 1) out['dbname'] = decode(rest.slice(slash + 1));
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    out['user'] = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    if (colon >= 0) out['password'] = decode(userinfo.slice(colon + 1));
  }
  const hostlist = at >= 0 ? authority.slice(at + 1) : authority;
  if (hostlist !== '') {
    const hosts: string[] = [];
    const ports: string[] = [];
    for (const h of hostlist.split(',')) {
      const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(h);
      if (!m) throw new ComponentConfigError('connectionString', `a valid PostgreSQL URL (bad host "${h}")`);
      hosts.push(decode((m[1] ?? '').replace(/^\[(.*)\]$/, '$1')));
      ports.push(m[2] ?? '');
    }
    if (hosts.some((h) => h !== '')) out['host'] = hosts.join(',');
    if (ports.some((p) => p !== '')) out['port'] = ports.join(',');
  }
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) throw new ComponentConfigError('connectionString', `key=value query parameters, got "${pair}"`);
    out[decode(pair.slice(0, eq))] = decode(pair.slice(eq + 1));
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ComponentConfigError('connectionString', 'valid percent-encoding in the URL');
  }
}

/** `key=value key2='quoted \' value'`, whitespace around `=` allowed (libpq rules). */
function parseKeywordValue(s: string): Keywords {
  const out: Keywords = {};
  let i = 0;
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  while (true) {
    ws();
    if (i >= s.length) break;
    const keyStart = i;
    while (i < s.length && s[i] !== '=' && !/\s/.test(s[i] as string)) i++;
    const key = s.slice(keyStart, i);
    ws();
    if (s[i] !== '=' || key === '') {
      throw new ComponentConfigError('connectionString', `"key=value" pairs or a postgres:// URL; missing "=" after "${key}"`);
    }
    i++;
    ws();
    let value = '';
    if (s[i] === "'") {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s[i] as string;
        if (c === '\\' && i + 1 < s.length) {
          value += s[i + 1];
          i += 2;
        } else if (c === "'") {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw new ComponentConfigError('connectionString', `a closing quote for the value of "${key}"`);
    } else {
      while (i < s.length && !/\s/.test(s[i] as string)) {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        value += s[i];
        i++;
      }
    }
    out[key] = value;
  }
  return out;
}

/** Keywords that are not server settings and never go into `-c` options. */
const CLIENT_KEYWORDS = new Set([
  'host', 'hostaddr', 'port', 'user', 'password', 'dbname', 'database', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey',
  'sslpassword', 'connect_timeout', 'application_name', 'options', 'target_session_attrs', 'passfile', 'sslnegotiation',
  'fallback_application_name', 'keepalives', 'keepalives_idle', 'channel_binding', 'gssencmode', 'sslsni',
]);

/**
 * node-postgres pool settings for libpq keywords. Only the first of several hosts is used.
 * `sslmode` disable/allow/prefer connect without TLS (node-postgres cannot fall back), require
 * encrypts without verifying, verify-ca checks the chain, verify-full also the host name.
 * Keywords pgx treats as server settings (e.g. search_path) are sent as `-c name=value`.
 */
export function toPoolConfig(kw: Keywords): PoolConfig & { poolMaxConns?: number } {
  const cfg: PoolConfig & { poolMaxConns?: number } = {};
  const first = (v: string | undefined): string | undefined => (v === undefined ? undefined : v.split(',')[0]);
  const host = kw['hostaddr'] || first(kw['host']);
  if (host) cfg.host = host;
  const port = first(kw['port']);
  if (port) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ComponentConfigError('connectionString', `a port in 1..65535, got "${port}"`);
    cfg.port = n;
  }
  if (kw['user'] !== undefined) cfg.user = kw['user'];
  if (kw['password'] !== undefined) cfg.password = kw['password'];
  const database = kw['dbname'] ?? kw['database'];
  if (database !== undefined) cfg.database = database;
  const app = kw['application_name'] ?? kw['fallback_application_name'];
  if (app !== undefined) cfg.application_name = app;
  if (kw['connect_timeout'] !== undefined) {
    const n = Number(kw['connect_timeout']);
    if (!Number.isFinite(n)) throw new ComponentConfigError('connectionString', `connect_timeout in seconds, got "${kw['connect_timeout']}"`);
    if (n > 0) cfg.connectionTimeoutMillis = Math.max(2, n) * 1000;
  }
  const ssl = sslOptions(kw);
  if (ssl) cfg.ssl = ssl;

  const options: string[] = kw['options'] ? [kw['options']] : [];
  for (const [k, v] of Object.entries(kw)) {
    if (k.startsWith('pool_')) {
      if (k === 'pool_max_conns') {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new ComponentConfigError('connectionString', `pool_max_conns >= 1, got "${v}"`);
        cfg.poolMaxConns = n;
      }
      continue;
    }
    if (CLIENT_KEYWORDS.has(k)) continue;
    options.push(`-c ${k}=${v.replace(/\\/g, '\\\\').replace(/ /g, '\\ ')}`);
  }
  if (options.length > 0) cfg.options = options.join(' ');
  return cfg;
}

function sslOptions(kw: Keywords): ConnectionOptions | undefined {
  const mode = (kw['sslmode'] ?? 'prefer').toLowerCase();
  const files: ConnectionOptions = {};
  const read = (name: string): Buffer => {
    try {
      return readFileSync(kw[name] as string);
    } catch (e) {
      throw new ComponentConfigError('connectionString', `a readable file for ${name} (${(e as Error).message})`);
    }
  };
  if (kw['sslrootcert'] && kw['sslrootcert'] !== 'system') files.ca = read('sslrootcert');
  if (kw['sslcert']) files.cert = read('sslcert');
  if (kw['sslkey']) files.key = read('sslkey');
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return undefined;
    case 'require':
      // libpq: with a root certificate, require behaves like verify-ca.
      return files.ca ? { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { ...files, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...files, rejectUnauthorized: true };
    default:
      throw new ComponentConfigError('connectionString', `sslmode disable|allow|prefer|require|verify-ca|verify-full, got "${mode}"`);
  }
}
