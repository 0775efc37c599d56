// Dapr's Redis Streams layout (components.md 5.5), shared by publish and consume:
//   XADD <topic> [MAXLEN ~ n | MINID ~ <now - streamTTL>] * data <payload> [metadata <JSON>] [contentType <type>]
// `data` holds the payload bytes untouched and `metadata` the publish metadata as a JSON object
// of strings, exactly as Dapr writes them, so Dapr and Tessera sidecars read each other's
// streams. `contentType` is Tessera's own addition: Dapr reads only `data` and `metadata` and
// ignores other fields, so the content type rides in a field of its own rather than inside the
// metadata JSON (which Dapr would hand to the app as if it were publish metadata).

export const FIELD_DATA = 'data';
export const FIELD_METADATA = 'metadata';
export const FIELD_CONTENT_TYPE = 'contentType';

export interface XaddInput {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly contentType?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface TrimSettings {
  readonly maxLenApprox: number;
  readonly streamTtlMs: number;
}

/** Arguments of XADD (after the command name) for one message. */
export function xaddArgs(msg: XaddInput, trim: TrimSettings, nowMs: number): Array<string | Buffer> {
  const args: Array<string | Buffer> = [msg.topic];
  if (trim.maxLenApprox > 0) args.push('MAXLEN', '~', String(trim.maxLenApprox));
  else if (trim.streamTtlMs > 0) args.push('MINID', '~', String(Math.max(0, Math.floor(nowMs - trim.streamTtlMs))));
  args.push('*', FIELD_DATA, Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength));
  if (Object.keys(msg.metadata).length > 0) args.push(FIELD_METADATA, JSON.stringify(msg.metadata));
  if (msg.contentType !== undefined && msg.contentType !== '') args.push(FIELD_CONTENT_TYPE, msg.contentType);
  return args;
}

export interface StreamEntry {
  readonly data: Uint8Array;
  readonly contentType?: string;
  readonly metadata: Record<string, string>;
}

/**
 * Reads an entry's field list (`[name, value, name, value, ...]`). Undefined when it carries no
 * `data` field (not a pub/sub message). Unparseable metadata is reported through `onBadMetadata`
 * and the message is still delivered without it.
 */
export function parseEntryFields(fields: readonly Buffer[], onBadMetadata?: (raw: string) => void): StreamEntry | undefined {
  let data: Buffer | undefined;
  let metadataRaw: string | undefined;
  let contentType: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = (fields[i] as Buffer).toString('utf8');
    const value = fields[i + 1] as Buffer;
    if (name === FIELD_DATA) data = value;
    else if (name === FIELD_METADATA) metadataRaw = value.toString('utf8');
    else if (name === FIELD_CONTENT_TYPE) contentType = value.toString('utf8');
  }
  if (data === undefined) return undefined;
  const metadata: Record<string, string> = {};
  if (metadataRaw !== undefined && metadataRaw !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadataRaw);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
        if (v === null || v === undefined) continue;
        metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
    } else if (parsed !== null) {
      onBadMetadata?.(metadataRaw);
    }
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), metadata, ...(contentType ? { contentType } : {}) };
}
