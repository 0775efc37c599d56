import type { ApiError, BulkPublishRequest } from '@tessera/contracts';
import {
  buildEnvelope,
  contentClass,
  isExpired,
  isProtobufCloudEvent,
  parseBulkEntries,
  parsePublishMetadata,
  readDelivered,
} from './cloudevents';
import type { DeliveredEvent, EnvelopeInput } from './cloudevents';
import { compactJson, memberText, objectMembers } from './cloudevents-json';

const NOW = new Date('2026-03-01T10:20:30.456Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const TP2 = '00-11111111111111111111111111111111-2222222222222222-01';

function caught(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected a throw');
}

function env(over: Partial<EnvelopeInput> & { body?: string | Uint8Array }): { text: string; ce: Record<string, unknown>; contentType: string } {
  const { body, ...rest } = over;
  const out = buildEnvelope({
    pubsubName: 'ps',
    topic: 'orders',
    data: typeof body === 'string' ? Buffer.from(body) : (body ?? new Uint8Array(0)),
    contentType: 'application/json',
    appId: 'app1',
    nativeTtl: false,
    now: NOW,
    ...rest,
  });
  const text = Buffer.from(out.data).toString('utf8');
  return { text, ce: JSON.parse(text) as Record<string, unknown>, contentType: out.contentType };
}

describe('parsePublishMetadata', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('rawPayload=%s is true', (v) => {
    expect(parsePublishMetadata({ rawPayload: v }, 'ps', 't', 'app').rawPayload).toBe(true);
  });
  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False', ''])('rawPayload=%j is false', (v) => {
    expect(parsePublishMetadata({ rawPayload: v }, 'ps', 't', 'app').rawPayload).toBe(false);
  });
  it('matches the rawPayload key case-insensitively', () => {
    expect(parsePublishMetadata({ RAWPAYLOAD: 'true' }, 'ps', 't', 'app').rawPayload).toBe(true);
  });
  it.each(['yes', 'on', 'tRuE', '2'])('rawPayload=%s is ERR_PUBSUB_REQUEST_METADATA (400)', (v) => {
    const e = caught(() => parsePublishMetadata({ rawPayload: v }, 'ps', 't', 'app'));
    expect(e.code).toBe('ERR_PUBSUB_REQUEST_METADATA');
    expect(e.httpStatus).toBe(400);
    expect(e.message).toContain(`'${v}'`);
  });
  it('takes a positive integer ttlInSeconds and still passes it to the component', () => {
    const md = parsePublishMetadata({ ttlInSeconds: '30' }, 'ps', 't', 'app');
    expect(md.ttlInSeconds).toBe(30);
    expect(md.componentMetadata).toEqual({ ttlInSeconds: '30' });
  });
  it.each(['0', '-5', 'abc', '1.5', ''])('ignores ttlInSeconds=%j for the envelope (daprd ignores it) but passes it on', (v) => {
    const md = parsePublishMetadata({ ttlInSeconds: v }, 'ps', 't', 'app');
    expect(md.ttlInSeconds).toBeUndefined();
    expect(md.componentMetadata).toEqual({ ttlInSeconds: v });
  });
  it('collects cloudevent.* overrides case-insensitively and keeps them from the component', () => {
    const md = parsePublishMetadata(
      {
        'cloudevent.id': 'my-id',
        'CloudEvent.Source': 'src',
        'cloudevent.TYPE': 'my.type',
        'cloudevent.subject': 'subj',
        'cloudevent.traceid': 'tid',
        'cloudevent.traceparent': TP,
        'cloudevent.tracestate': 'k=v',
        'cloudevent.unknown': 'x',
        'cloudevent.id2': 'y',
        partitionKey: 'p1',
        rawPayload: 'false',
      },
      'ps',
      't',
      'app',
    );
    expect(md.overrides).toEqual({ id: 'my-id', source: 'src', type: 'my.type', subject: 'subj', traceid: 'tid', traceparent: TP, tracestate: 'k=v' });
    expect(md.componentMetadata).toEqual({ partitionKey: 'p1' });
  });
  it('treats an empty override as absent', () => {
    expect(parsePublishMetadata({ 'cloudevent.id': '' }, 'ps', 't', 'app').overrides).toEqual({});
  });
});

describe('contentClass (spec 3.1 classes)', () => {
  it.each([
    ['application/cloudevents+json', 'cloudevent'],
    ['Application/CloudEvents+JSON; charset=utf-8', 'cloudevent'],
    ['application/json', 'json'],
    ['APPLICATION/JSON ; charset=utf-8', 'json'],
    ['application/problem+json', 'other'],
    ['text/plain', 'text'],
    ['text/html; charset=utf-8', 'text'],
    ['application/xml', 'text'],
    ['application/octet-stream', 'binary'],
    ['application/cloudevents+protobuf', 'ce-protobuf'],
    ['application/x-protobuf', 'other'],
    ['image/png', 'other'],
  ])('%s -> %s', (ct, cls) => {
    expect(contentClass(ct)).toBe(cls);
  });
});

describe('buildEnvelope: a new CloudEvent around the data', () => {
  it('builds every generated attribute of the 3.1 table', () => {
    const { ce, contentType } = env({ body: '{"a":1}', traceparent: TP, tracestate: 'k=v' });
    expect(contentType).toBe('application/cloudevents+json');
    expect(ce['id']).toMatch(UUID);
    expect(ce).toEqual({
      specversion: '1.0',
      id: ce['id'],
      source: 'app1',
      type: 'com.dapr.event.sent',
      datacontenttype: 'application/json',
      time: '2026-03-01T10:20:30Z',
      topic: 'orders',
      pubsubname: 'ps',
      traceid: TP,
      traceparent: TP,
      tracestate: 'k=v',
      data: { a: 1 },
    });
  });
  it('gives every event its own id', () => {
    expect(env({ body: '1' }).ce['id']).not.toBe(env({ body: '1' }).ce['id']);
  });
  it('leaves out trace fields, subject and expiration when there are none', () => {
    const { ce } = env({ body: '1' });
    for (const k of ['traceid', 'traceparent', 'tracestate', 'subject', 'expiration', 'data_base64']) expect(ce).not.toHaveProperty(k);
  });
  it('uses "Dapr" as source without an app id', () => {
    expect(env({ body: '1', appId: '' }).ce['source']).toBe('Dapr');
  });
  it('keeps JSON numbers exactly, big integers and decimals included', () => {
    const body = '{"id":12345678901234567890123,"price":0.10000000000000000001,"e":1E+400,"list":[9007199254740993]}';
    const { text } = env({ body });
    expect(memberText(text, 'data')).toBe(body);
  });
  it('compacts JSON data whitespace but not inside strings', () => {
    const { text, ce } = env({ body: ' {\n  "a" : [ 1 , 2 ],\t"s": "x  y\\n" }\n' });
    expect(memberText(text, 'data')).toBe('{"a":[1,2],"s":"x  y\\n"}');
    expect(ce['data']).toEqual({ a: [1, 2], s: 'x  y\n' });
  });
  it.each([
    ['{"a": 1', 'unparsable'],
    ['', 'empty'],
  ])('JSON data that does not parse (%s) becomes the raw string', (body) => {
    expect(env({ body }).ce['data']).toBe(body);
  });
  it('JSON scalars stay scalars', () => {
    expect(env({ body: '"hi"' }).ce['data']).toBe('hi');
    expect(env({ body: 'true' }).ce['data']).toBe(true);
    expect(env({ body: 'null' }).ce['data']).toBeNull();
  });
  it('keeps the content type as given, parameters included', () => {
    const { ce } = env({ body: '{"a":1}', contentType: 'application/json; charset=utf-8' });
    expect(ce['datacontenttype']).toBe('application/json; charset=utf-8');
    expect(ce['data']).toEqual({ a: 1 });
  });
  it.each(['text/plain', 'text/html', 'application/xml', 'application/problem+json', 'image/png'])('%s data is the body as a string', (ct) => {
    const { ce } = env({ body: '{"a":1}', contentType: ct });
    expect(ce['data']).toBe('{"a":1}');
    expect(ce['datacontenttype']).toBe(ct);
  });
  it('an empty content type means text/plain', () => {
    const { ce } = env({ body: '{"a":1}', contentType: '' });
    expect(ce['datacontenttype']).toBe('text/plain');
    expect(ce['data']).toBe('{"a":1}');
  });
  it('binary data goes to data_base64', () => {
    const data = new Uint8Array([0, 255, 1, 128]);
    const { ce } = env({ body: data, contentType: 'application/octet-stream' });
    expect(ce['data_base64']).toBe(Buffer.from(data).toString('base64'));
    expect(ce).not.toHaveProperty('data');
    expect(ce['datacontenttype']).toBe('application/octet-stream');
  });
  it('CloudEvent protobuf goes to data_base64', () => {
    const { ce } = env({ body: new Uint8Array([1, 2, 3]), contentType: 'application/cloudevents+protobuf' });
    expect(ce['data_base64']).toBe('AQID');
  });
  it('application/x-protobuf goes to data_base64 only when it parses as a CloudEvent', () => {
    const ceProto = protoCe({ 1: 'id1', 2: 'src', 3: '1.0', 4: 'type' }, [72, 0x96, 0x01]);
    expect(isProtobufCloudEvent(ceProto)).toBe(true);
    expect(env({ body: ceProto, contentType: 'application/x-protobuf' }).ce['data_base64']).toBe(Buffer.from(ceProto).toString('base64'));
    const notCe = protoCe({ 1: 'id1', 2: 'src' }, []);
    expect(isProtobufCloudEvent(notCe)).toBe(false);
    expect(isProtobufCloudEvent(Buffer.from('hello world'))).toBe(false);
    expect(env({ body: 'plain', contentType: 'application/x-protobuf' }).ce['data']).toBe('plain');
  });
  it('applies the cloudevent.* overrides', () => {
    const { ce } = env({ body: '1', overrides: { id: 'my-id', source: 'my-src', type: 'my.type', subject: 'subj' } });
    expect(ce).toMatchObject({ id: 'my-id', source: 'my-src', type: 'my.type', subject: 'subj' });
  });
  it('trace: override traceparent wins over override traceid, which wins over the publish span', () => {
    expect(env({ body: '1', traceparent: TP, overrides: { traceparent: TP2, traceid: 'x' } }).ce).toMatchObject({ traceid: TP2, traceparent: TP2 });
    expect(env({ body: '1', traceparent: TP, overrides: { traceid: TP2 } }).ce).toMatchObject({ traceid: TP2, traceparent: TP2 });
    expect(env({ body: '1', traceparent: TP, tracestate: 'a=1', overrides: { tracestate: 'b=2' } }).ce).toMatchObject({ traceid: TP, tracestate: 'b=2' });
  });
  it('adds expiration (now + TTL, RFC 3339 UTC) when the component has no native TTL', () => {
    expect(env({ body: '1', ttlInSeconds: 90 }).ce['expiration']).toBe('2026-03-01T10:22:00Z');
  });
  it('leaves expiration to a component with native TTL', () => {
    expect(env({ body: '1', ttlInSeconds: 90, nativeTtl: true }).ce).not.toHaveProperty('expiration');
  });
  it('refuses a TTL beyond the calendar with ERR_PUBSUB_CLOUD_EVENTS_SER', () => {
    const e = caught(() => env({ body: '1', ttlInSeconds: 9e15 }));
    expect(e.code).toBe('ERR_PUBSUB_CLOUD_EVENTS_SER');
  });
});

describe('buildEnvelope: the publisher sends a CloudEvent', () => {
  const ct = 'application/cloudevents+json';
  it('overwrites topic and pubsubname and adds time, trace and defaults when absent', () => {
    const { ce } = env({ contentType: ct, body: '{"id":"e1","topic":"other","pubsubname":"x","data":{"n":1}}', traceparent: TP, tracestate: 'k=v' });
    expect(ce).toEqual({
      id: 'e1',
      topic: 'orders',
      pubsubname: 'ps',
      data: { n: 1 },
      specversion: '1.0',
      source: 'Dapr',
      type: 'com.dapr.event.sent',
      time: '2026-03-01T10:20:30Z',
      traceid: TP,
      traceparent: TP,
      tracestate: 'k=v',
    });
  });
  it('keeps what the publisher set: time, source, type, specversion, extensions, tracestate', () => {
    const body = '{"specversion":"1.0","id":"e1","source":"s","type":"t","time":"2020-01-01T00:00:00Z","myext":"v","tracestate":"mine=1"}';
    const { ce } = env({ contentType: ct, body, tracestate: 'k=v' });
    expect(ce).toMatchObject({ source: 's', type: 't', time: '2020-01-01T00:00:00Z', myext: 'v', tracestate: 'mine=1' });
  });
  it('does not touch traceparent when the event has a traceid', () => {
    const { ce } = env({ contentType: ct, body: `{"id":"e1","traceid":"abc","traceparent":"${TP2}"}`, traceparent: TP });
    expect(ce).toMatchObject({ traceid: 'abc', traceparent: TP2 });
  });
  it('replaces traceparent when the event has no traceid', () => {
    const { ce } = env({ contentType: ct, body: `{"id":"e1","traceparent":"${TP2}"}`, traceparent: TP });
    expect(ce).toMatchObject({ traceid: TP, traceparent: TP });
  });
  it('adds an id to an event that has none', () => {
    expect(env({ contentType: ct, body: '{}' }).ce['id']).toMatch(UUID);
  });
  it('ignores cloudevent.* overrides (the event is the publisher\'s)', () => {
    expect(env({ contentType: ct, body: '{"id":"e1"}', overrides: { id: 'x', type: 'y' } }).ce).toMatchObject({ id: 'e1', type: 'com.dapr.event.sent' });
  });
  it('keeps big numbers in data exactly', () => {
    const { text } = env({ contentType: ct, body: '{"id":"e1","data":{"big":123456789012345678901234567890}}' });
    expect(memberText(text, 'data')).toBe('{"big":123456789012345678901234567890}');
  });
  it('adds expiration with a TTL', () => {
    expect(env({ contentType: ct, body: '{"id":"e1"}', ttlInSeconds: 10 }).ce['expiration']).toBe('2026-03-01T10:20:40Z');
  });
  it.each(['not json', '[1,2]', '"str"', 'null'])('refuses %j with ERR_PUBSUB_CLOUD_EVENTS_SER (500)', (body) => {
    const e = caught(() => env({ contentType: ct, body }));
    expect(e.code).toBe('ERR_PUBSUB_CLOUD_EVENTS_SER');
    expect(e.httpStatus).toBe(500);
  });
});

describe('parseBulkEntries (spec 3.2)', () => {
  const req = (entries: BulkPublishRequest['entries'], metadata: Record<string, string> = {}): BulkPublishRequest => ({ pubsubName: 'ps', topic: 'orders', entries, metadata });
  const entry = (entryId: string, event: string, contentType: string, metadata: Record<string, string> = {}) => ({ entryId, event: Buffer.from(event), contentType, metadata });
  const opts = { appId: 'app1', nativeTtl: false, now: NOW, traceparent: TP };

  it('wraps each entry by its own content type', () => {
    const out = parseBulkEntries(req([entry('1', '{"a":12345678901234567890}', 'application/json'), entry('2', 'hello', 'text/plain'), entry('3', '\u0001', 'application/octet-stream')]), opts);
    expect(out.map((o) => o.entryId)).toEqual(['1', '2', '3']);
    expect(out.every((o) => o.contentType === 'application/cloudevents+json')).toBe(true);
    const texts = out.map((o) => Buffer.from(o.data).toString());
    expect(memberText(texts[0] as string, 'data')).toBe('{"a":12345678901234567890}');
    expect(JSON.parse(texts[1] as string)).toMatchObject({ data: 'hello', datacontenttype: 'text/plain', traceparent: TP, source: 'app1' });
    expect(JSON.parse(texts[2] as string)).toMatchObject({ data_base64: 'AQ==' });
  });
  it('overlays entry metadata on request metadata and strips rawPayload / cloudevent.*', () => {
    const out = parseBulkEntries(
      req([entry('1', '1', 'application/json', { k: 'entry', 'cloudevent.id': 'own' }), entry('2', '2', 'application/json')], { k: 'req', other: 'o', ttlInSeconds: '60' }),
      opts,
    );
    expect(out[0]?.metadata).toEqual({ k: 'entry', other: 'o', ttlInSeconds: '60' });
    expect(out[1]?.metadata).toEqual({ k: 'req', other: 'o', ttlInSeconds: '60' });
    const ce0 = JSON.parse(Buffer.from(out[0]?.data ?? []).toString());
    expect(ce0).toMatchObject({ id: 'own', expiration: '2026-03-01T10:21:30Z' });
  });
  it('passes raw entries through untouched, per entry', () => {
    const out = parseBulkEntries(req([entry('1', 'raw-bytes', 'text/plain', { rawPayload: 'true' }), entry('2', 'x', 'text/plain')]), opts);
    expect(Buffer.from(out[0]?.data ?? []).toString()).toBe('raw-bytes');
    expect(out[0]?.contentType).toBe('text/plain');
    expect(out[0]?.metadata).toEqual({});
    expect(JSON.parse(Buffer.from(out[1]?.data ?? []).toString())['data']).toBe('x');
  });
  it('request-level rawPayload applies unless an entry says otherwise', () => {
    const out = parseBulkEntries(req([entry('1', 'a', 'text/plain'), entry('2', 'b', 'text/plain', { rawPayload: 'false' })], { rawPayload: 'true' }), opts);
    expect(Buffer.from(out[0]?.data ?? []).toString()).toBe('a');
    expect(JSON.parse(Buffer.from(out[1]?.data ?? []).toString())['data']).toBe('b');
  });
  it('refuses a missing entryId with ERR_PUBSUB_EVENTS_SER (400)', () => {
    const e = caught(() => parseBulkEntries(req([entry('1', 'a', 'text/plain'), entry('', 'b', 'text/plain')]), opts));
    expect(e.code).toBe('ERR_PUBSUB_EVENTS_SER');
    expect(e.httpStatus).toBe(400);
    expect(e.message).toContain('entry 1');
  });
  it('refuses a duplicate entryId with ERR_PUBSUB_EVENTS_SER', () => {
    const e = caught(() => parseBulkEntries(req([entry('x', 'a', 'text/plain'), entry('x', 'b', 'text/plain')]), opts));
    expect(e.code).toBe('ERR_PUBSUB_EVENTS_SER');
    expect(e.message).toContain('duplicated');
  });
  it('refuses a bad rawPayload in entry metadata with ERR_PUBSUB_REQUEST_METADATA', () => {
    expect(caught(() => parseBulkEntries(req([entry('1', 'a', 'text/plain', { rawPayload: 'maybe' })]), opts)).code).toBe('ERR_PUBSUB_REQUEST_METADATA');
  });
  it('refuses an entry CloudEvent that is not JSON with ERR_PUBSUB_CLOUD_EVENTS_SER', () => {
    expect(caught(() => parseBulkEntries(req([entry('1', 'nope', 'application/cloudevents+json')]), opts)).code).toBe('ERR_PUBSUB_CLOUD_EVENTS_SER');
  });
  it('an empty request gives no entries', () => {
    expect(parseBulkEntries(req([]), opts)).toEqual([]);
  });
});

describe('readDelivered (spec 3.4)', () => {
  const base = { metadata: {}, topic: 'orders', pubsubName: 'ps', rawPayload: false };
  const read = (data: string | Uint8Array, contentType: string, over: Partial<typeof base> = {}) =>
    readDelivered({ ...base, ...over, data: typeof data === 'string' ? Buffer.from(data) : data, contentType });
  const ok = (r: ReturnType<typeof readDelivered>): DeliveredEvent => {
    if (!r.ok) throw new Error(r.reason);
    return r.event;
  };

  it.each(['application/cloudevents+json', '', 'application/json', 'text/plain'])('reads a JSON CloudEvent (content type %j)', (ct) => {
    const text = `{"id":"e1","type":"t","data":{"big":123456789012345678901234},"traceparent":"${TP}","tracestate":"a=b"}`;
    const data = Buffer.from(text);
    const ev = ok(read(data, ct));
    expect(ev.mode).toBe('structured');
    expect(ev.fields).toMatchObject({ id: 'e1', type: 't' });
    expect(ev.body).toBe(data);
    expect(ev.json).toBe(text);
    expect(ev.contentType).toBe('application/cloudevents+json');
    expect(ev).toMatchObject({ traceparent: TP, tracestate: 'a=b' });
  });
  it('falls back to traceid for the trace', () => {
    expect(ok(read(`{"id":"e1","traceid":"${TP}"}`, '')).traceparent).toBe(TP);
  });
  it.each([
    ['not json', 'not JSON'],
    ['[1,2]', 'expected a JSON object'],
    ['"a string"', 'expected a JSON object'],
    ['null', 'expected a JSON object'],
    ['', 'not JSON'],
  ])('answers a failure for %j, never throws', (body, why) => {
    const r = read(body, '');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(why);
  });
  it('reads a binary-mode CloudEvent from ce_* metadata and keeps the bytes', () => {
    const data = new Uint8Array([9, 8, 7]);
    const ev = ok(
      read(data, 'application/octet-stream', {
        metadata: { ce_id: 'b1', ce_type: 'bin.type', CE_Source: 'src', ce_specversion: '1.0', ce_expiration: '2020-01-01T00:00:00Z', ce_traceparent: TP, partition: '3' },
      }),
    );
    expect(ev.mode).toBe('binary');
    expect(ev.fields).toEqual({ id: 'b1', type: 'bin.type', source: 'src', specversion: '1.0', expiration: '2020-01-01T00:00:00Z', traceparent: TP });
    expect(ev.body).toBe(data);
    expect(ev.payload).toBe(data);
    expect(ev.contentType).toBe('application/octet-stream');
    expect(ev.traceparent).toBe(TP);
    expect(isExpired(ev, NOW)).toBe(true);
  });
  it('binary mode delivers with ce_datacontenttype when given', () => {
    expect(ok(read('x', 'application/octet-stream', { metadata: { ce_datacontenttype: 'text/plain' } })).contentType).toBe('text/plain');
  });
  it('synthesises a CloudEvent around a raw payload, with trace from broker metadata', () => {
    const data = Buffer.from('{"not":"parsed"}');
    const r1 = ok(read(data, 'text/plain', { rawPayload: true, metadata: { traceparent: TP, TraceState: 'x=y' } }));
    const r2 = ok(read(data, 'text/plain', { rawPayload: true }));
    expect(r1.mode).toBe('raw');
    expect(r1.fields).toEqual({
      specversion: '1.0',
      id: r1.fields['id'],
      source: 'Dapr',
      type: 'com.dapr.event.sent',
      datacontenttype: 'application/octet-stream',
      topic: 'orders',
      pubsubname: 'ps',
      traceid: TP,
      traceparent: TP,
      tracestate: 'x=y',
      data_base64: data.toString('base64'),
    });
    expect(r1.fields['id']).toMatch(UUID);
    expect(r2.fields['id']).not.toBe(r1.fields['id']);
    expect(JSON.parse(Buffer.from(r1.body).toString())).toEqual(r1.fields);
    expect(r1.contentType).toBe('application/cloudevents+json');
    expect(r1.payload).toBe(data);
    expect(r1.traceparent).toBe(TP);
    expect(r2.fields).not.toHaveProperty('traceparent');
  });
});

describe('isExpired', () => {
  const at = (expiration: unknown) => ({ id: '1', expiration });
  it('is true when expiration is before now', () => {
    expect(isExpired(at('2026-03-01T10:20:29Z'), NOW)).toBe(true);
    expect(isExpired(at('2026-03-01T11:20:29+01:00'), NOW.getTime())).toBe(true);
  });
  it('is false when expiration is now or later', () => {
    expect(isExpired(at('2026-03-01T10:20:31Z'), NOW)).toBe(false);
    expect(isExpired(at('2026-03-01T10:20:30.456Z'), NOW)).toBe(false);
  });
  it.each([undefined, '', 'yesterday', '2020-01-01', 5])('is false for expiration %j', (v) => {
    expect(isExpired(at(v), NOW)).toBe(false);
  });
  it('reads a DeliveredEvent too', () => {
    const r = readDelivered({ data: Buffer.from('{"id":"1","expiration":"2000-01-01T00:00:00Z"}'), contentType: '', metadata: {}, topic: 't', pubsubName: 'p', rawPayload: false });
    expect(r.ok && isExpired(r.event, NOW)).toBe(true);
  });
});

describe('cloudevents-json helpers', () => {
  it('lists top-level members with their raw text; a repeated key keeps its last value', () => {
    expect(objectMembers('{ "a" : 1 , "b":{"c":[1,{"d":"}"}]},"a":"x\\"y" }')).toEqual([
      ['a', '"x\\"y"'],
      ['b', '{"c":[1,{"d":"}"}]}'],
    ]);
    expect(objectMembers('[1]')).toBeUndefined();
    expect(objectMembers('{}')).toEqual([]);
  });
  it('compacts only outside strings', () => {
    expect(compactJson(' { "a b" : [ 1 ,\n 2 ] } ')).toBe('{"a b":[1,2]}');
    expect(compactJson('{"a":1}')).toBe('{"a":1}');
    expect(compactJson('{ "k" : "x\\" y" , "z\\\\" : [ "\\\\" , 1 ] }')).toBe('{"k":"x\\" y","z\\\\":["\\\\",1]}');
    const tricky = ' { "a" : "\\"\\\\ \\u0020" , "b" : [ 1 , { "c" : " } " } ] } ';
    expect(JSON.parse(compactJson(tricky))).toEqual(JSON.parse(tricky));
  });
});

/** A protobuf message with string fields (field number -> value), plus extra raw bytes. */
function protoCe(fields: Record<number, string>, extra: number[]): Uint8Array {
  const out: number[] = [];
  for (const [n, v] of Object.entries(fields)) {
    const b = Buffer.from(v);
    out.push((Number(n) << 3) | 2, b.length, ...b);
  }
  return new Uint8Array([...out, ...extra]);
}
