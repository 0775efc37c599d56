// CloudEvent envelopes (spec/http-api.md 3.1, 3.2, 3.4; semantics.md 1): pure functions, no I/O.
//
// Publish side
//   parsePublishMetadata(metadata, pubsubName, topic, appId): PublishMetadata
//     Splits request metadata into `rawPayload` (Go strconv.ParseBool values; anything else throws
//     PubSubErrors.requestMetadata), `ttlInSeconds` (a positive integer, else ignored as daprd does),
//     `overrides` (keys `cloudevent.<attr>`, case-insensitive, empty values ignored) and
//     `componentMetadata` (everything else, ttlInSeconds included; rawPayload and cloudevent.*
//     removed, as the SPI promises components).
//   buildEnvelope(input): { data, contentType }   throws PubSubErrors.cloudEventCreate
//     The bytes to hand the component: `application/cloudevents+json`, either the publisher's own
//     CloudEvent (Content-Type application/cloudevents+json) with topic/pubsubname overwritten and
//     time/trace/defaults added when absent, or a new envelope around the data. JSON data keeps
//     its exact text (numbers are never re-encoded). `expiration` only with a TTL the component
//     cannot apply itself (!nativeTtl).
//   parseBulkEntries(req, opts): PreparedBulkEntry[]   throws PubSubErrors.eventsSer / requestMetadata
//     Bulk publish (gRPC message, or the HTTP edge's parsed body): entry ids required and unique,
//     entry metadata over request metadata, each entry wrapped unless its rawPayload is true.
//
// Delivery side
//   readDelivered({ data, contentType, metadata, topic, pubsubName, rawPayload }): ReadResult
//     A broker message as the router and the app see it: a JSON CloudEvent (content type empty or
//     anything but application/octet-stream), a binary-mode CloudEvent (application/octet-stream,
//     attributes in `ce_*` metadata, bytes delivered as they are) or, for rawPayload subscriptions,
//     a CloudEvent synthesised around the bytes. A message that is not a JSON object answers
//     { ok: false, reason } (the caller retries or dead-letters it); nothing here throws.
//   isExpired(event, now): boolean   `expiration` (RFC 3339) strictly before now.
import { randomUUID } from 'node:crypto';
import { PubSubErrors } from '@tessera/contracts';
import type { BulkPublishRequest } from '@tessera/contracts';
import { compactJson, objectMembers, writeObject } from './cloudevents-json';

export const CLOUDEVENT_CONTENT_TYPE = 'application/cloudevents+json';
export const DEFAULT_EVENT_TYPE = 'com.dapr.event.sent';
export const DEFAULT_EVENT_SOURCE = 'Dapr';
export const SPEC_VERSION = '1.0';

/** `cloudevent.*` publish metadata that replaces generated attributes. */
export interface CloudEventOverrides {
  readonly id?: string;
  readonly source?: string;
  readonly type?: string;
  readonly subject?: string;
  readonly traceid?: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export interface PublishMetadata {
  readonly rawPayload: boolean;
  /** Set only for a valid positive integer. */
  readonly ttlInSeconds?: number;
  readonly overrides: CloudEventOverrides;
  /** What the component receives (ttlInSeconds included; rawPayload and cloudevent.* removed). */
  readonly componentMetadata: Record<string, string>;
}

const OVERRIDE_KEYS = new Set(['id', 'source', 'type', 'subject', 'traceid', 'traceparent', 'tracestate']);
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export function parsePublishMetadata(
  metadata: Readonly<Record<string, string>>,
  pubsubName: string,
  _topic: string,
  appId: string,
): PublishMetadata {
  let rawPayload = false;
  let ttlInSeconds: number | undefined;
  const overrides: Record<string, string> = {};
  const componentMetadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    const lower = key.toLowerCase();
    if (lower === 'rawpayload') {
      if (value === '') continue;
      if (GO_TRUE.has(value)) rawPayload = true;
      else if (GO_FALSE.has(value)) rawPayload = false;
      else throw PubSubErrors.requestMetadata(pubsubName, `rawPayload value must be a valid boolean: actual is '${value}'`, appId);
      continue;
    }
    if (lower.startsWith('cloudevent.')) {
      const attr = lower.slice('cloudevent.'.length);
      if (OVERRIDE_KEYS.has(attr) && value !== '') overrides[attr] = value;
      continue;
    }
    if (lower === 'ttlinseconds') {
      const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
      if (Number.isSafeInteger(n) && n > 0) ttlInSeconds = n;
    }
    componentMetadata[key] = value;
  }
  return { rawPayload, ...(ttlInSeconds !== undefined ? { ttlInSeconds } : {}), overrides, componentMetadata };
}

/** The content-type classes of spec 3.1 (case-insensitive, parameters ignored). */
export type ContentClass = 'cloudevent' | 'json' | 'text' | 'binary' | 'ce-protobuf' | 'other';

export function contentClass(contentType: string, data?: Uint8Array): ContentClass {
  const base = baseType(contentType);
  if (base === 'application/cloudevents+json') return 'cloudevent';
  if (base === 'application/json') return 'json';
  if (base.startsWith('text/') || base === 'application/xml') return 'text';
  if (base === 'application/octet-stream') return 'binary';
  if (base === 'application/cloudevents+protobuf') return 'ce-protobuf';
  if (base === 'application/x-protobuf' && data !== undefined && isProtobufCloudEvent(data)) return 'ce-protobuf';
  return 'other';
}

function baseType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

export interface EnvelopeInput {
  readonly pubsubName: string;
  readonly topic: string;
  readonly data: Uint8Array;
  /** The request's content type; '' means text/plain. */
  readonly contentType: string;
  readonly overrides?: CloudEventOverrides;
  /** Publishing app id: the default `source`. */
  readonly appId: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly ttlInSeconds?: number;
  /** The component expires messages itself: no `expiration` attribute. */
  readonly nativeTtl: boolean;
  readonly now?: Date;
}

export interface Envelope {
  readonly data: Uint8Array;
  readonly contentType: string;
}

/** Go's time.RFC3339 in UTC: seconds precision, `Z`. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function utf8(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}

function bytes(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function str(s: string): string {
  return JSON.stringify(s);
}

export function buildEnvelope(input: EnvelopeInput): Envelope {
  const now = input.now ?? new Date();
  const fail = (why: string) => PubSubErrors.cloudEventCreate(input.pubsubName, input.topic, why, input.appId);
  const expiration = expirationOf(input, now, fail);
  const cls = contentClass(input.contentType, input.data);
  const out = cls === 'cloudevent' ? passThrough(input, now, expiration, fail) : wrap(input, cls, now, expiration);
  return { data: bytes(out), contentType: CLOUDEVENT_CONTENT_TYPE };
}

function expirationOf(input: EnvelopeInput, now: Date, fail: (why: string) => Error): string | undefined {
  if (input.ttlInSeconds === undefined || input.nativeTtl) return undefined;
  const at = new Date(now.getTime() + input.ttlInSeconds * 1000);
  if (Number.isNaN(at.getTime())) throw fail(`ttlInSeconds ${input.ttlInSeconds} is out of range`);
  return rfc3339(at);
}

/** The publisher's own CloudEvent: topic/pubsubname overwritten, the rest kept as written. */
function passThrough(input: EnvelopeInput, now: Date, expiration: string | undefined, fail: (why: string) => Error): string {
  const text = utf8(input.data);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw fail(`the body is not a JSON CloudEvent: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('the body is not a JSON CloudEvent: expected a JSON object');
  const members = new Map(objectMembers(compactJson(text)) ?? []);
  const setIfAbsent = (k: string, v: string | undefined) => {
    if (v !== undefined && !members.has(k)) members.set(k, str(v));
  };
  setIfAbsent('id', randomUUID());
  setIfAbsent('specversion', SPEC_VERSION);
  setIfAbsent('source', DEFAULT_EVENT_SOURCE);
  setIfAbsent('type', DEFAULT_EVENT_TYPE);
  members.set('topic', str(input.topic));
  members.set('pubsubname', str(input.pubsubName));
  setIfAbsent('time', rfc3339(now));
  if (!members.has('traceid') && nonEmpty(input.traceparent)) {
    members.set('traceid', str(input.traceparent));
    members.set('traceparent', str(input.traceparent));
  }
  if (nonEmpty(input.tracestate)) setIfAbsent('tracestate', input.tracestate);
  if (expiration !== undefined) members.set('expiration', str(expiration));
  return writeObject(members);
}

function nonEmpty(s: string | undefined): s is string {
  return s !== undefined && s !== '';
}

/** A new envelope around the data (spec 3.1 table). */
function wrap(input: EnvelopeInput, cls: ContentClass, now: Date, expiration: string | undefined): string {
  const o = input.overrides ?? {};
  const contentType = input.contentType !== '' ? input.contentType : 'text/plain';
  const trace = o.traceparent ?? o.traceid ?? input.traceparent;
  const tracestate = o.tracestate ?? input.tracestate;
  const m: Array<[string, string]> = [
    ['specversion', str(SPEC_VERSION)],
    ['id', str(o.id ?? randomUUID())],
    ['source', str(o.source ?? (input.appId !== '' ? input.appId : DEFAULT_EVENT_SOURCE))],
    ['type', str(o.type ?? DEFAULT_EVENT_TYPE)],
    ['datacontenttype', str(contentType)],
  ];
  if (o.subject !== undefined) m.push(['subject', str(o.subject)]);
  m.push(['time', str(rfc3339(now))], ['topic', str(input.topic)], ['pubsubname', str(input.pubsubName)]);
  if (nonEmpty(trace)) m.push(['traceid', str(trace)], ['traceparent', str(trace)]);
  if (nonEmpty(tracestate)) m.push(['tracestate', str(tracestate)]);
  if (expiration !== undefined) m.push(['expiration', str(expiration)]);
  m.push(dataMember(input.data, input.contentType === '' ? 'text' : cls));
  return writeObject(m);
}

function dataMember(data: Uint8Array, cls: ContentClass): [string, string] {
  if (cls === 'binary' || cls === 'ce-protobuf') return ['data_base64', str(base64(data))];
  const text = utf8(data);
  if (cls === 'json') {
    try {
      JSON.parse(text);
      return ['data', compactJson(text)];
    } catch {
      return ['data', str(text)];
    }
  }
  return ['data', str(text)];
}

/**
 * True when `data` is a protobuf message shaped like io.cloudevents.v1.CloudEvent: it parses to
 * the end as protobuf and has non-empty id (1), source (2), spec_version (3) and type (4).
 */
export function isProtobufCloudEvent(data: Uint8Array): boolean {
  let i = 0;
  const seen = new Set<number>();
  const varint = (): number | undefined => {
    let v = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (i >= data.length) return undefined;
      const b = data[i++] as number;
      if (shift < 49) v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    return undefined;
  };
  while (i < data.length) {
    const tag = varint();
    if (tag === undefined) return false;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) return false;
    if (wire === 0) {
      if (varint() === undefined) return false;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (len === undefined || i + len > data.length) return false;
      if (field >= 1 && field <= 4 && len > 0) seen.add(field);
      i += len;
    } else return false;
    if (i > data.length) return false;
    if (field >= 1 && field <= 4 && wire !== 2) return false;
  }
  return seen.size === 4;
}

export interface PrepareBulkOptions {
  readonly appId: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly nativeTtl: boolean;
  readonly now?: Date;
}

export interface PreparedBulkEntry {
  readonly entryId: string;
  /** The envelope, or the event bytes as sent when the entry's rawPayload is true. */
  readonly data: Uint8Array;
  readonly contentType: string;
  /** Request metadata overlaid with the entry's own, without rawPayload / cloudevent.*. */
  readonly metadata: Record<string, string>;
}

/** Bulk publish entries ready for the component (spec 3.2). */
export function parseBulkEntries(req: BulkPublishRequest, opts: PrepareBulkOptions): PreparedBulkEntry[] {
  const seen = new Set<string>();
  const requestMd = req.metadata ?? {};
  for (const [idx, e] of req.entries.entries()) {
    if (e.entryId === '') throw PubSubErrors.eventsSer(req.pubsubName, req.topic, `entryId is missing in entry ${idx}`, opts.appId);
    if (seen.has(e.entryId)) throw PubSubErrors.eventsSer(req.pubsubName, req.topic, `entryId ${e.entryId} is duplicated`, opts.appId);
    seen.add(e.entryId);
  }
  return req.entries.map((e) => {
    const md = parsePublishMetadata({ ...requestMd, ...(e.metadata ?? {}) }, req.pubsubName, req.topic, opts.appId);
    const event = e.event ?? new Uint8Array(0);
    if (md.rawPayload) return { entryId: e.entryId, data: event, contentType: e.contentType, metadata: md.componentMetadata };
    const env = buildEnvelope({
      pubsubName: req.pubsubName,
      topic: req.topic,
      data: event,
      contentType: e.contentType,
      overrides: md.overrides,
      appId: opts.appId,
      traceparent: opts.traceparent,
      tracestate: opts.tracestate,
      ttlInSeconds: md.ttlInSeconds,
      nativeTtl: opts.nativeTtl,
      now: opts.now,
    });
    return { entryId: e.entryId, data: env.data, contentType: env.contentType, metadata: md.componentMetadata };
  });
}

// ---------------------------------------------------------------- delivery

export interface DeliveredInput {
  readonly data: Uint8Array;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The concrete topic the message came from. */
  readonly topic: string;
  readonly pubsubName: string;
  /** The subscription's `rawPayload` metadata is true. */
  readonly rawPayload: boolean;
}

/**
 * - `structured`: a JSON CloudEvent; `body` is the text as the broker delivered it.
 * - `binary`: a binary-mode CloudEvent; `fields` come from the `ce_*` metadata, `body` is the
 *   payload and `contentType` its type.
 * - `raw`: a CloudEvent synthesised around a raw payload (`data_base64`).
 */
export type DeliveredMode = 'structured' | 'binary' | 'raw';

export interface DeliveredEvent {
  readonly mode: DeliveredMode;
  /** The CloudEvent as a map (what CEL routing sees as `event`); JSON numbers as JS numbers. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** What an HTTP app receives as the body, and its Content-Type. */
  readonly body: Uint8Array;
  readonly contentType: string;
  /** structured and raw: the CloudEvent's JSON text (exact numbers). */
  readonly json?: string;
  /** binary and raw: the message bytes. */
  readonly payload?: Uint8Array;
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export type ReadResult = { readonly ok: true; readonly event: DeliveredEvent } | { readonly ok: false; readonly reason: string };

/** Finds a metadata value by case-insensitive key. */
export function metaGet(md: Readonly<Record<string, string>>, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(md, key)) return md[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(md)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function stringField(fields: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = fields[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function traced(fields: Readonly<Record<string, unknown>>): { traceparent?: string; tracestate?: string } {
  const traceparent = stringField(fields, 'traceparent') ?? stringField(fields, 'traceid');
  const tracestate = stringField(fields, 'tracestate');
  return { ...(traceparent !== undefined ? { traceparent } : {}), ...(tracestate !== undefined ? { tracestate } : {}) };
}

export function readDelivered(input: DeliveredInput): ReadResult {
  if (input.rawPayload) return { ok: true, event: synthesise(input) };
  if (baseType(input.contentType) === 'application/octet-stream') return { ok: true, event: binaryMode(input) };
  const text = utf8(input.data);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `the message is not JSON: ${(e as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'the message is not a CloudEvent: expected a JSON object' };
  }
  const fields = parsed as Record<string, unknown>;
  return {
    ok: true,
    event: { mode: 'structured', fields, body: input.data, contentType: CLOUDEVENT_CONTENT_TYPE, json: text, ...traced(fields) },
  };
}

/** Raw payload subscription: spec 3.4's synthesised CloudEvent. */
function synthesise(input: DeliveredInput): DeliveredEvent {
  const traceparent = metaGet(input.metadata, 'traceparent') || metaGet(input.metadata, 'traceid') || undefined;
  const tracestate = metaGet(input.metadata, 'tracestate') || undefined;
  const fields: Record<string, unknown> = {
    specversion: SPEC_VERSION,
    id: randomUUID(),
    source: DEFAULT_EVENT_SOURCE,
    type: DEFAULT_EVENT_TYPE,
    datacontenttype: 'application/octet-stream',
    topic: input.topic,
    pubsubname: input.pubsubName,
  };
  if (traceparent !== undefined) {
    fields['traceid'] = traceparent;
    fields['traceparent'] = traceparent;
  }
  if (tracestate !== undefined) fields['tracestate'] = tracestate;
  fields['data_base64'] = base64(input.data);
  const json = JSON.stringify(fields);
  return { mode: 'raw', fields, body: bytes(json), contentType: CLOUDEVENT_CONTENT_TYPE, json, payload: input.data, ...traced(fields) };
}

/** Binary-mode CloudEvent: attributes from `ce_<name>` metadata, payload untouched. */
function binaryMode(input: DeliveredInput): DeliveredEvent {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input.metadata)) {
    if (k.length > 3 && k.slice(0, 3).toLowerCase() === 'ce_') fields[k.slice(3).toLowerCase()] = v;
  }
  const contentType = stringField(fields, 'datacontenttype') ?? input.contentType;
  return { mode: 'binary', fields, body: input.data, contentType, payload: input.data, ...traced(fields) };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** True when the event carries an RFC 3339 `expiration` before `now` (ms or Date). */
export function isExpired(event: DeliveredEvent | Readonly<Record<string, unknown>>, now: number | Date): boolean {
  const fields = isDelivered(event) ? event.fields : event;
  const exp = fields['expiration'];
  if (typeof exp !== 'string' || !RFC3339.test(exp)) return false;
  const at = Date.parse(exp);
  if (Number.isNaN(at)) return false;
  return at < (typeof now === 'number' ? now : now.getTime());
}

function isDelivered(e: DeliveredEvent | Readonly<Record<string, unknown>>): e is DeliveredEvent {
  const d = e as Partial<DeliveredEvent>;
  return typeof d.mode === 'string' && d.fields !== undefined && typeof d.fields === 'object' && d.body instanceof Uint8Array;
}

/** A subscription's `rawPayload` metadata (case-insensitive key) is `true`. */
export function isRawPayload(metadata: Readonly<Record<string, string>>): boolean {
  return metaGet(metadata, 'rawPayload')?.toLowerCase() === 'true';
}
