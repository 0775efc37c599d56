// What the app channel sends an app for a delivered event (spec/http-api.md 3.4, 3.5;
// grpc-api.md OnTopicEvent / OnBulkTopicEvent). Pure builders over cloudevents.ts's
// DeliveredEvent; JSON CloudEvents go out with their exact text (numbers never re-encoded).
//
//   buildHttpDelivery(event, { pubsubName, path, metadata }): HttpDelivery
//     `POST /{path}`: body = the CloudEvent JSON (`application/cloudevents+json`), or for a
//     binary-mode CloudEvent the bytes with their own content type. Headers = the broker
//     message metadata (minus content-length, content-type and connection-level headers, and
//     minus names/values HTTP cannot carry) + `pubsubName` + traceparent/tracestate from the
//     CloudEvent (these win over metadata of the same name).
//   buildGrpcTopicEvent(event, { pubsubName, topic, path }): TopicEventRequest
//     id/source/type/spec_version/data_content_type from the CloudEvent; data = data_base64
//     decoded, or JSON content types -> the JSON text of `data`, or a string `data` -> its
//     bytes; extensions = every other attribute (topic, pubsubname, trace*, time, expiration,
//     custom extensions). Binary-mode / raw events carry their bytes as data.
//   buildBulkHttpBody(entries, { pubsubName, topic, metadata, id? }): Uint8Array
//     `{"id","type":"com.dapr.event.sent.bulk","topic","pubsubname","metadata","entries":[
//     {"entryId","event","contentType","metadata"}]}`; `event` is the CloudEvent (JSON), or for
//     a binary-mode entry the base64 of its bytes.
//   buildGrpcBulkRequest(entries, { pubsubName, topic, path, metadata, id? }): TopicEventBulkRequest
//     entries carry `cloud_event` (TopicEventCERequest, as buildGrpcTopicEvent) or, for
//     binary-mode entries, `bytes`.
import { randomUUID } from 'node:crypto';
import type { TopicEventBulkRequest, TopicEventBulkRequestEntry, TopicEventCERequest, TopicEventRequest } from '@tessera/contracts';
import { CLOUDEVENT_CONTENT_TYPE, contentClass } from './cloudevents';
import type { DeliveredEvent } from './cloudevents';
import { compactJson, memberText } from './cloudevents-json';

export const BULK_EVENT_TYPE = 'com.dapr.event.sent.bulk';

export interface HttpDeliveryOptions {
  readonly pubsubName: string;
  readonly path: string;
  /** The broker message metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface HttpDelivery {
  readonly path: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly headers: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Node refuses header values outside tab, 0x20-0x7e and 0x80-0xff.
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const NOT_FORWARDED = new Set([
  'content-length',
  'content-type',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'proxy-connection',
]);

export function buildHttpDelivery(event: DeliveredEvent, opts: HttpDeliveryOptions): HttpDelivery {
  const byLower = new Map<string, [string, string]>();
  const put = (name: string, value: string) => {
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) return;
    const lower = name.toLowerCase();
    if (NOT_FORWARDED.has(lower)) return;
    byLower.set(lower, [name, value]);
  };
  for (const [k, v] of Object.entries(opts.metadata ?? {})) put(k, v);
  put('pubsubName', opts.pubsubName);
  if (event.traceparent !== undefined) put('traceparent', event.traceparent);
  if (event.tracestate !== undefined) put('tracestate', event.tracestate);
  const headers: Record<string, string> = {};
  for (const [name, value] of byLower.values()) headers[name] = value;
  return { path: opts.path, body: event.body, contentType: event.contentType, headers };
}

export interface GrpcTopicEventOptions {
  readonly pubsubName: string;
  readonly topic: string;
  readonly path: string;
  /** Accepted for symmetry with HTTP; broker metadata is not part of TopicEventRequest. */
  readonly metadata?: Readonly<Record<string, string>>;
}

const CORE_ATTRIBUTES = new Set(['id', 'source', 'type', 'specversion', 'datacontenttype', 'data', 'data_base64']);

function attr(fields: Readonly<Record<string, unknown>>, key: string): string {
  const v = fields[key];
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : String(v);
}

function extensionsOf(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (CORE_ATTRIBUTES.has(k) || v === undefined || v instanceof Uint8Array) continue;
    out[k] = v;
  }
  return out;
}

/** The event's data bytes as OnTopicEvent carries them. */
function dataBytes(event: DeliveredEvent, dataContentType: string): Buffer {
  if (event.mode !== 'structured') return toBuffer(event.payload ?? event.body);
  const f = event.fields;
  const b64 = f['data_base64'];
  if (typeof b64 === 'string') return Buffer.from(b64, 'base64');
  if (!('data' in f) || f['data'] === undefined) return Buffer.alloc(0);
  const data = f['data'];
  const cls = contentClass(dataContentType);
  if (typeof data === 'string' && cls !== 'json' && cls !== 'cloudevent') return Buffer.from(data, 'utf8');
  const exact = event.json !== undefined ? memberText(event.json, 'data') : undefined;
  return Buffer.from(exact !== undefined ? compactJson(exact) : JSON.stringify(data), 'utf8');
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function ceRequest(event: DeliveredEvent): TopicEventCERequest {
  const f = event.fields;
  const dataContentType = attr(f, 'datacontenttype') || (event.mode === 'binary' ? event.contentType : '');
  return {
    id: attr(f, 'id'),
    source: attr(f, 'source'),
    type: attr(f, 'type'),
    specVersion: attr(f, 'specversion'),
    dataContentType,
    data: dataBytes(event, dataContentType),
    extensions: extensionsOf(f),
  };
}

export function buildGrpcTopicEvent(event: DeliveredEvent, opts: GrpcTopicEventOptions): TopicEventRequest {
  const ce = ceRequest(event);
  return {
    id: ce.id,
    source: ce.source,
    type: ce.type,
    specVersion: ce.specVersion,
    dataContentType: ce.dataContentType,
    data: ce.data,
    topic: opts.topic,
    pubsubName: opts.pubsubName,
    path: opts.path,
    extensions: ce.extensions,
  };
}

export interface BulkEntryInput {
  /** Unique within the bulk request (e.g. the delivery id). */
  readonly entryId: string;
  readonly event: DeliveredEvent;
  /** The broker message metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface BulkOptions {
  readonly pubsubName: string;
  readonly topic: string;
  /** Request-level metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Default: a random UUID. */
  readonly id?: string;
}

function entryEventJson(event: DeliveredEvent): { event: string; contentType: string } {
  if (event.mode === 'binary') return { event: JSON.stringify(toBuffer(event.body).toString('base64')), contentType: event.contentType };
  return { event: compactJson(event.json ?? JSON.stringify(event.fields)), contentType: CLOUDEVENT_CONTENT_TYPE };
}

export function buildBulkHttpBody(entries: readonly BulkEntryInput[], opts: BulkOptions): Uint8Array {
  const parts = entries.map((e) => {
    const { event, contentType } = entryEventJson(e.event);
    return `{"entryId":${JSON.stringify(e.entryId)},"event":${event},"contentType":${JSON.stringify(contentType)},"metadata":${JSON.stringify(e.metadata ?? {})}}`;
  });
  const text =
    `{"id":${JSON.stringify(opts.id ?? randomUUID())},"type":${JSON.stringify(BULK_EVENT_TYPE)},` +
    `"topic":${JSON.stringify(opts.topic)},"pubsubname":${JSON.stringify(opts.pubsubName)},` +
    `"metadata":${JSON.stringify(opts.metadata ?? {})},"entries":[${parts.join(',')}]}`;
  return Buffer.from(text, 'utf8');
}

export interface GrpcBulkOptions extends BulkOptions {
  readonly path: string;
}

export function buildGrpcBulkRequest(entries: readonly BulkEntryInput[], opts: GrpcBulkOptions): TopicEventBulkRequest {
  return {
    id: opts.id ?? randomUUID(),
    entries: entries.map((e): TopicEventBulkRequestEntry => {
      if (e.event.mode === 'binary') {
        return { entryId: e.entryId, event: { $case: 'bytes', value: toBuffer(e.event.body) }, contentType: e.event.contentType, metadata: { ...(e.metadata ?? {}) } };
      }
      return { entryId: e.entryId, event: { $case: 'cloudEvent', value: ceRequest(e.event) }, contentType: CLOUDEVENT_CONTENT_TYPE, metadata: { ...(e.metadata ?? {}) } };
    }),
    metadata: { ...(opts.metadata ?? {}) },
    topic: opts.topic,
    pubsubName: opts.pubsubName,
    type: BULK_EVENT_TYPE,
    path: opts.path,
  };
}
