// Masking of secrets before they reach a log line: values of fields whose name looks secret
// (password, token, secret, connectionString, API/access/private keys, credentials,
// authorization) and the password part of URLs with user info (amqp://user:pass@host).
// Callers redact component metadata and request headers before logging them; the logger does
// not do it on every call.

export const REDACTED = '***';

const SECRET_NAME =
  /pass(word|wd|phrase)|token|secret|connection_?string|conn_?str|api_?key|access_?key|private_?key|client_?key|sas_?key|account_?key|credential|authorization|^auth$|cookie/i;

const NOT_SECRET = /ref$|secret_?store$/i;

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/gi;

/** True when a field of this name holds a secret. */
export function isSecretName(name: string): boolean {
  // secretKeyRef / secretStore name where a secret lives, not the secret itself.
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name);
}

/** Replaces the password in `scheme://user:password@host` URLs inside a string. */
export function redactUrlCredentials(s: string): string {
  return s.replace(URL_USERINFO, `$1:${REDACTED}@`);
}

/**
 * A copy of `value` in which secret-named fields are replaced by `***` (nested objects and arrays
 * included) and URL passwords inside strings are masked. Does not modify its argument. Fields
 * named in `extraNames` are treated as secret too (case-insensitive). A `{name, value}` pair (a
 * Dapr metadata entry or header) whose name is secret has its value masked.
 */
export function redact<T>(value: T, extraNames: readonly string[] = []): T {
  const extra = new Set(extraNames.map((n) => n.toLowerCase()));
  return walk(value, extra, 0) as T;
}

function walk(v: unknown, extra: ReadonlySet<string>, depth: number): unknown {
  if (typeof v === 'string') return redactUrlCredentials(v);
  if (v === null || typeof v !== 'object' || depth > 16) return v;
  if (Array.isArray(v)) return v.map((x) => walk(x, extra, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
  const out: Record<string, unknown> = {};
  // A Dapr metadata entry {name: "redisPassword", value: "..."}: the name says the value is secret.
  const entryName = (v as { name?: unknown }).name;
  const secretEntry = typeof entryName === 'string' && (isSecretName(entryName) || extra.has(entryName.toLowerCase()));
  for (const [k, x] of Object.entries(v)) {
    if (secretEntry && k === 'value' && x !== undefined && x !== null && x !== '') {
      out[k] = REDACTED;
      continue;
    }
    out[k] =
      (isSecretName(k) || extra.has(k.toLowerCase())) && x !== undefined && x !== null && x !== ''
        ? REDACTED
        : walk(x, extra, depth + 1);
  }
  return out;
}
