// Dapr pub/sub HTTP API (spec/http-api.md 3.1, 3.2) mapped onto PubSubApi. Routes only: the topic
// is the rest of the path (it may contain `/`), the body is the event data with its Content-Type,
// `metadata.*` query parameters are request metadata. The CloudEvent envelope is built by the
// block. Bulk bodies are JSON arrays of entries whose `event` is converted to bytes by content
// type; JSON events keep their exact text (big numbers are not rounded through a JS number).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors, PubSubErrors, isApiError } from '@tessera/contracts';
import type { BulkPublishRequestEntry, CallContext, PubSubApi } from '@tessera/contracts';
import type { Json } from './json-body';
import { isObject } from './json-body';
import { metadataFromQuery } from './query';
import type { Query } from './query';
import { JSON_TYPE, sendError, sendNoContent, sendUnknownError } from './reply';

type Req = FastifyRequest<{ Params: { pubsubName: string; '*'?: string }; Querystring: Query; Body: Buffer | undefined }>;

const EMPTY = Buffer.alloc(0);

/** Content-type classes of spec 3.1 (case-insensitive, parameters ignored). */
function classOf(contentType: string): 'cloudevent' | 'json' | 'text' | 'binary' | 'other' {
  const base = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (base === 'application/cloudevents+json') return 'cloudevent';
  if (base === 'application/json') return 'json';
  if (base.startsWith('text/') || base === 'application/xml') return 'text';
  if (base === 'application/octet-stream') return 'binary';
  return 'other';
}

/** A member by Go's encoding/json rules: the exact name first, else a case-insensitive match (`entryID`). */
function member(o: { [k: string]: Json }, name: string): Json | undefined {
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

/** Index just past the JSON value starting at `i` (whitespace already skipped). */
function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') {
    for (let j = i + 1; j < s.length; j++) {
      const d = s[j];
      if (d === '\\') j++;
      else if (d === '"') return j + 1;
    }
    return s.length;
  }
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') {
        j = skipValue(s, j) - 1;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return s.length;
  }
  let j = i;
  while (j < s.length && !',}] \t\r\n'.includes(s[j] as string)) j++;
  return j;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && ' \t\r\n'.includes(s[i] as string)) i++;
  return i;
}

/** The raw text of each array element's top-level `event` member (body already known to be valid JSON). */
function rawEvents(s: string): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  let i = skipWs(s, 0);
  if (s[i] !== '[') return out;
  i = skipWs(s, i + 1);
  while (i < s.length && s[i] !== ']') {
    if (s[i] !== '{') {
      out.push(undefined);
      i = skipValue(s, i);
    } else {
      let raw: string | undefined;
      i = skipWs(s, i + 1);
      while (i < s.length && s[i] !== '}') {
        const keyEnd = skipValue(s, i);
        const key = JSON.parse(s.slice(i, keyEnd)) as string;
        i = skipWs(s, keyEnd);
        i = skipWs(s, i + 1); // ':'
        const end = skipValue(s, i);
        // Go matches `event` case-insensitively; an exact `event` wins over e.g. `Event`
        if (key === 'event' || (raw === undefined && key.toLowerCase() === 'event')) raw = s.slice(i, end);
        i = skipWs(s, end);
        if (s[i] === ',') i = skipWs(s, i + 1);
      }
      out.push(raw);
      i++;
    }
    i = skipWs(s, i);
    if (s[i] === ',') i = skipWs(s, i + 1);
  }
  return out;
}

/** Parses a bulk publish body into entries (spec 3.2); every problem is ERR_PUBSUB_EVENTS_SER. */
export function parseBulkBody(body: Buffer | undefined, pubsub: string, topic: string, appId: string): BulkPublishRequestEntry[] {
  const fail = (why: string) => PubSubErrors.eventsSer(pubsub, topic, why, appId);
  const text = body?.toString('utf8') ?? '';
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (e) {
    throw fail(`error when unmarshaling the request body: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw fail('error when unmarshaling the request body: expected a JSON array of entries');
  const raws = rawEvents(text);
  const seen = new Set<string>();
  return parsed.map((item, idx) => {
    if (!isObject(item)) throw fail(`entry ${idx} is not a JSON object`);
    const entryId = member(item, 'entryId');
    if (typeof entryId !== 'string' || entryId === '') throw fail(`entryId is missing in entry ${idx}`);
    if (seen.has(entryId)) throw fail(`entryId ${entryId} is duplicated`);
    seen.add(entryId);
    const ct = member(item, 'contentType');
    if (ct !== undefined && ct !== null && typeof ct !== 'string') throw fail(`contentType of entry ${entryId} must be a string`);
    const contentType = typeof ct === 'string' ? ct : '';
    const md = member(item, 'metadata');
    const metadata: Record<string, string> = {};
    if (md !== undefined && md !== null) {
      if (!isObject(md)) throw fail(`metadata of entry ${entryId} must be a JSON object`);
      for (const [k, v] of Object.entries(md)) {
        if (typeof v !== 'string') throw fail(`metadata ${k} of entry ${entryId} must be a string`);
        metadata[k] = v;
      }
    }
    const event = member(item, 'event');
    let bytes: Buffer;
    switch (classOf(contentType)) {
      case 'binary':
        if (typeof event !== 'string') throw fail(`event of entry ${entryId} must be a base64 string for ${contentType}`);
        bytes = Buffer.from(event, 'base64');
        break;
      case 'text':
        if (typeof event !== 'string') throw fail(`event of entry ${entryId} must be a JSON string for ${contentType}`);
        bytes = Buffer.from(event, 'utf8');
        break;
      case 'json':
      case 'cloudevent':
        bytes = Buffer.from(raws[idx] ?? JSON.stringify(event ?? null), 'utf8');
        break;
      default:
        throw fail(`unsupported content type ${contentType === '' ? '(none)' : contentType} in entry ${entryId}`);
    }
    return { entryId, event: bytes, contentType, metadata };
  });
}

export function registerPubSubRoutes(app: FastifyInstance, pubsub: PubSubApi | undefined, ctxOf: (req: FastifyRequest, reply: FastifyReply) => CallContext): void {
  if (!pubsub) {
    for (const path of ['/v1.0/publish/*', '/v1.0-alpha1/publish/*']) {
      app.all(path, async (req, reply) => sendError(reply, CommonErrors.unimplemented('publish and subscribe', `${req.method} ${req.url.split('?')[0]}`)));
    }
    return;
  }

  const publish = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const ct = req.headers['content-type'];
      await pubsub.publish(
        {
          pubsubName: req.params.pubsubName,
          topic: req.params['*'] ?? '',
          data: req.body ?? EMPTY,
          dataContentType: typeof ct === 'string' ? ct : '',
          metadata: metadataFromQuery(req.query),
        },
        ctxOf(req, reply),
      );
      return sendNoContent(reply);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const bulk = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    const ctx = ctxOf(req, reply);
    const pubsubName = req.params.pubsubName;
    const topic = req.params['*'] ?? '';
    try {
      const res = await pubsub.bulkPublish(
        { pubsubName, topic, entries: parseBulkBody(req.body, pubsubName, topic, ctx.appId), metadata: metadataFromQuery(req.query) },
        ctx,
      );
      if (res.failedEntries.length === 0) return sendNoContent(reply);
      const failed = res.failedEntries.map((f) => ({ entryId: f.entryId, error: f.error }));
      const err = PubSubErrors.publish(topic, pubsubName, failed.map((f) => f.error).find((x) => x !== '') ?? 'publish failed', ctx.appId);
      return reply
        .code(500)
        .header('content-type', JSON_TYPE)
        .header('metadata.error', err.message)
        .send(JSON.stringify({ failedEntries: failed, errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE' }));
    } catch (e) {
      if (isApiError(e)) return sendError(reply, e);
      return sendUnknownError(reply, e);
    }
  };

  for (const prefix of ['/v1.0/publish/bulk', '/v1.0-alpha1/publish/bulk']) {
    app.post(`${prefix}/:pubsubName/*`, bulk);
    app.put(`${prefix}/:pubsubName/*`, bulk);
    app.post(`${prefix}/:pubsubName`, bulk);
    app.put(`${prefix}/:pubsubName`, bulk);
  }
  app.post('/v1.0/publish/:pubsubName/*', publish);
  app.put('/v1.0/publish/:pubsubName/*', publish);
  app.post('/v1.0/publish/:pubsubName', publish);
  app.put('/v1.0/publish/:pubsubName', publish);
}
