import { TopicEventBulkRequest, TopicEventRequest } from '@tessera/contracts';
import { readDelivered } from './cloudevents';
import type { DeliveredEvent } from './cloudevents';
import { buildBulkHttpBody, buildGrpcBulkRequest, buildGrpcTopicEvent, buildHttpDelivery } from './delivery-messages';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function read(data: string | Uint8Array, contentType = '', opts: { metadata?: Record<string, string>; rawPayload?: boolean } = {}): DeliveredEvent {
  const r = readDelivered({
    data: typeof data === 'string' ? Buffer.from(data) : data,
    contentType,
    metadata: opts.metadata ?? {},
    topic: 'orders',
    pubsubName: 'ps',
    rawPayload: opts.rawPayload ?? false,
  });
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

const CE = `{"specversion":"1.0","id":"e1","source":"app1","type":"com.dapr.event.sent","datacontenttype":"application/json","topic":"orders","pubsubname":"ps","time":"2026-01-01T00:00:00Z","traceid":"${TP}","traceparent":"${TP}","tracestate":"k=v","myext":{"n":1},"data":{"big":123456789012345678901234567890,"s":"x"}}`;

describe('buildHttpDelivery (spec 3.4)', () => {
  it('sends the CloudEvent JSON as received, with metadata headers, pubsubName and the CE trace', () => {
    const ev = read(CE, 'application/cloudevents+json');
    const d = buildHttpDelivery(ev, { pubsubName: 'ps', path: '/orders', metadata: { partition: '3', traceparent: 'stale', 'Content-Length': '99', 'content-type': 'x/y' } });
    expect(d.path).toBe('/orders');
    expect(d.contentType).toBe('application/cloudevents+json');
    expect(Buffer.from(d.body).toString()).toBe(CE);
    expect(d.headers).toEqual({ partition: '3', pubsubName: 'ps', traceparent: TP, tracestate: 'k=v' });
  });
  it('drops headers HTTP cannot carry and connection-level ones', () => {
    const d = buildHttpDelivery(read('{"id":"1"}'), {
      pubsubName: 'ps',
      path: 'p',
      metadata: { 'bad name': 'x', 'ok-name': 'line\nbreak', 'uni': 'ā', Connection: 'close', 'Transfer-Encoding': 'chunked', Host: 'h', __key: 'k1', 'x-latin1': 'café' },
    });
    expect(d.headers).toEqual({ __key: 'k1', 'x-latin1': 'café', pubsubName: 'ps' });
  });
  it('a binary-mode CloudEvent goes out as its bytes with its content type', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const metadata = { ce_id: 'b1', ce_datacontenttype: 'image/png' };
    const d = buildHttpDelivery(read(bytes, 'application/octet-stream', { metadata }), { pubsubName: 'ps', path: '/p', metadata });
    expect(d.body).toBe(bytes);
    expect(d.contentType).toBe('image/png');
    expect(d.headers['ce_id']).toBe('b1');
  });
  it('a raw payload goes out inside the synthesised CloudEvent', () => {
    const d = buildHttpDelivery(read('hello', 'text/plain', { rawPayload: true, metadata: { traceparent: TP } }), { pubsubName: 'ps', path: '/p' });
    const ce = JSON.parse(Buffer.from(d.body).toString());
    expect(ce).toMatchObject({ data_base64: Buffer.from('hello').toString('base64'), datacontenttype: 'application/octet-stream', topic: 'orders' });
    expect(d.contentType).toBe('application/cloudevents+json');
    expect(d.headers['traceparent']).toBe(TP);
  });
});

describe('buildGrpcTopicEvent (OnTopicEvent)', () => {
  it('maps attributes, exact JSON data and the remaining attributes as extensions', () => {
    const req = buildGrpcTopicEvent(read(CE), { pubsubName: 'ps', topic: 'orders', path: '/orders' });
    expect(req).toMatchObject({ id: 'e1', source: 'app1', type: 'com.dapr.event.sent', specVersion: '1.0', dataContentType: 'application/json', topic: 'orders', pubsubName: 'ps', path: '/orders' });
    expect(req.data.toString()).toBe('{"big":123456789012345678901234567890,"s":"x"}');
    expect(req.extensions).toEqual({ topic: 'orders', pubsubname: 'ps', time: '2026-01-01T00:00:00Z', traceid: TP, traceparent: TP, tracestate: 'k=v', myext: { n: 1 } });
  });
  it('encodes on the wire and decodes back (extensions as a Struct)', () => {
    const req = buildGrpcTopicEvent(read(CE), { pubsubName: 'ps', topic: 'orders', path: 'p' });
    const back = TopicEventRequest.decode(TopicEventRequest.encode(req).finish());
    expect(back.id).toBe('e1');
    expect(back.data.toString()).toBe(req.data.toString());
    expect(back.extensions).toEqual(req.extensions);
  });
  it('data_base64 is decoded', () => {
    const req = buildGrpcTopicEvent(read('{"id":"1","datacontenttype":"application/octet-stream","data_base64":"AAEC"}'), { pubsubName: 'ps', topic: 't', path: '' });
    expect([...req.data]).toEqual([0, 1, 2]);
    expect(req.extensions).toEqual({});
  });
  it('text content types send the string bytes, without JSON quotes', () => {
    expect(buildGrpcTopicEvent(read('{"id":"1","datacontenttype":"text/plain","data":"hi there"}'), { pubsubName: 'ps', topic: 't', path: '' }).data.toString()).toBe('hi there');
  });
  it.each([
    ['application/json', '"hi"', '"hi"'],
    ['application/cloudevents+json', '{"a" : 1}', '{"a":1}'],
    ['application/json; charset=utf-8', '[1, 2]', '[1,2]'],
    ['', '{"a":1}', '{"a":1}'],
    ['text/plain', '{"a":1}', '{"a":1}'],
    ['application/json', 'null', 'null'],
  ])('datacontenttype %j with data %s -> %s', (ct, data, expected) => {
    const ev = read(`{"id":"1"${ct !== '' ? `,"datacontenttype":"${ct}"` : ''},"data":${data}}`);
    expect(buildGrpcTopicEvent(ev, { pubsubName: 'ps', topic: 't', path: '' }).data.toString()).toBe(expected);
  });
  it('no data -> empty bytes', () => {
    expect(buildGrpcTopicEvent(read('{"id":"1"}'), { pubsubName: 'ps', topic: 't', path: '' }).data.length).toBe(0);
  });
  it('a raw payload carries its bytes and the synthesised attributes', () => {
    const bytes = new Uint8Array([7, 8]);
    const req = buildGrpcTopicEvent(read(bytes, '', { rawPayload: true }), { pubsubName: 'ps', topic: 'orders', path: 'p' });
    expect([...req.data]).toEqual([7, 8]);
    expect(req).toMatchObject({ source: 'Dapr', type: 'com.dapr.event.sent', specVersion: '1.0', dataContentType: 'application/octet-stream' });
    expect(req.extensions).toEqual({ topic: 'orders', pubsubname: 'ps' });
  });
  it('a binary-mode CloudEvent carries its bytes and ce_* attributes', () => {
    const req = buildGrpcTopicEvent(read(new Uint8Array([5]), 'application/octet-stream', { metadata: { ce_id: 'b', ce_type: 't', ce_source: 's', ce_specversion: '1.0', ce_custom: 'c' } }), {
      pubsubName: 'ps',
      topic: 'x',
      path: '',
    });
    expect(req).toMatchObject({ id: 'b', type: 't', source: 's', specVersion: '1.0', dataContentType: 'application/octet-stream' });
    expect([...req.data]).toEqual([5]);
    expect(req.extensions).toEqual({ custom: 'c' });
  });
  it('stringifies non-string core attributes', () => {
    expect(buildGrpcTopicEvent(read('{"id":42}'), { pubsubName: 'ps', topic: 't', path: '' }).id).toBe('42');
  });
});

describe('buildBulkHttpBody (spec 3.5)', () => {
  it('builds the bulk envelope with each entry\'s CloudEvent, exact numbers kept', () => {
    const body = buildBulkHttpBody(
      [
        { entryId: 'd1', event: read(CE), metadata: { partition: '1' } },
        { entryId: 'd2', event: read(new Uint8Array([1, 2]), 'application/octet-stream', { metadata: { ce_id: 'b' } }) },
      ],
      { pubsubName: 'ps', topic: 'orders', metadata: { m: 'v' }, id: 'bulk-1' },
    );
    const text = Buffer.from(body).toString();
    expect(text).toContain('"big":123456789012345678901234567890');
    const parsed = JSON.parse(text);
    expect(parsed).toEqual({
      id: 'bulk-1',
      type: 'com.dapr.event.sent.bulk',
      topic: 'orders',
      pubsubname: 'ps',
      metadata: { m: 'v' },
      entries: [
        { entryId: 'd1', event: JSON.parse(CE), contentType: 'application/cloudevents+json', metadata: { partition: '1' } },
        { entryId: 'd2', event: 'AQI=', contentType: 'application/octet-stream', metadata: {} },
      ],
    });
  });
  it('gives a fresh id by default and an empty entry list when there is nothing', () => {
    const a = JSON.parse(Buffer.from(buildBulkHttpBody([], { pubsubName: 'ps', topic: 't' })).toString());
    const b = JSON.parse(Buffer.from(buildBulkHttpBody([], { pubsubName: 'ps', topic: 't' })).toString());
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ entries: [], metadata: {} });
  });
  it('compacts a pretty-printed CloudEvent', () => {
    const text = Buffer.from(buildBulkHttpBody([{ entryId: 'x', event: read('{\n  "id": "p",\n  "data": {"a": 1}\n}') }], { pubsubName: 'ps', topic: 't' })).toString();
    expect(text).toContain('"event":{"id":"p","data":{"a":1}}');
  });
});

describe('buildGrpcBulkRequest (OnBulkTopicEvent)', () => {
  it('cloud_event entries for CloudEvents, bytes for binary mode; round-trips on the wire', () => {
    const req = buildGrpcBulkRequest(
      [
        { entryId: 'd1', event: read(CE), metadata: { k: 'v' } },
        { entryId: 'd2', event: read(new Uint8Array([9]), 'application/octet-stream', { metadata: { ce_id: 'b' } }) },
      ],
      { pubsubName: 'ps', topic: 'orders', path: '/bulk', metadata: { r: '1' }, id: 'B' },
    );
    expect(req).toMatchObject({ id: 'B', type: 'com.dapr.event.sent.bulk', topic: 'orders', pubsubName: 'ps', path: '/bulk', metadata: { r: '1' } });
    const [e1, e2] = req.entries;
    expect(e1?.contentType).toBe('application/cloudevents+json');
    expect(e1?.metadata).toEqual({ k: 'v' });
    expect(e1?.event?.$case).toBe('cloudEvent');
    if (e1?.event?.$case === 'cloudEvent') {
      expect(e1.event.value).toMatchObject({ id: 'e1', source: 'app1', specVersion: '1.0', dataContentType: 'application/json' });
      expect(e1.event.value.data.toString()).toBe('{"big":123456789012345678901234567890,"s":"x"}');
    }
    expect(e2?.event).toEqual({ $case: 'bytes', value: Buffer.from([9]) });
    expect(e2?.contentType).toBe('application/octet-stream');
    const back = TopicEventBulkRequest.decode(TopicEventBulkRequest.encode(req).finish());
    expect(back.entries.map((e) => e.entryId)).toEqual(['d1', 'd2']);
    expect(back.entries[0]?.event?.$case).toBe('cloudEvent');
  });
});
