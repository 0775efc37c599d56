// Dapr output bindings HTTP API (spec/http-api.md 4.1) mapped onto BindingsApi. Routes only:
// `POST|PUT /v1.0/bindings/{name}` with a `{"data":<any>,"metadata":{…},"operation":"…"}` body
// decoded as daprd's Go decoder does (unknown fields ignored; `metadata` values and `operation`
// must be strings; `null` is an empty request). `data` is JSON-marshalled again, as Go marshals a
// decoded value, before the component sees it: a JSON string arrives with its quotes, an absent
// `data` as `null`. The answer: 200 with the component's raw bytes (Content-Type application/json)
// and its metadata as `metadata.<k>` headers, or 204 when the component returned nothing.
// Other methods fall through to the catch-all, as in daprd.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BindingsErrors, CommonErrors, goJsonMarshal } from '@tessera/contracts';
import type { BindingsApi, CallContext } from '@tessera/contracts';
import { isObject } from './json-body';
import type { Json } from './json-body';
import { JSON_TYPE, sendError, sendUnknownError } from './reply';

type Req = FastifyRequest<{ Params: { name: string }; Body: Buffer | undefined }>;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

interface OutputBindingRequest {
  readonly data: Buffer;
  readonly metadata: Record<string, string>;
  readonly operation: string;
}

/** The body as daprd's json.Unmarshal into OutputBindingRequest reads it. */
export function decodeOutputBindingRequest(body: Buffer | undefined): OutputBindingRequest {
  let parsed: Json;
  try {
    parsed = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8')) as Json;
  } catch (e) {
    throw BindingsErrors.malformed(body === undefined || body.length === 0 ? 'unexpected end of JSON input' : (e as Error).message);
  }
  if (parsed === null) return { data: Buffer.from('null'), metadata: {}, operation: '' };
  if (!isObject(parsed)) throw BindingsErrors.malformed(`json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type http.OutputBindingRequest`);
  const metadata: Record<string, string> = {};
  const md = parsed['metadata'];
  if (md !== undefined && md !== null) {
    if (!isObject(md)) throw BindingsErrors.malformed(`json: cannot unmarshal ${Array.isArray(md) ? 'array' : typeof md} into Go struct field OutputBindingRequest.metadata of type map[string]string`);
    for (const [k, v] of Object.entries(md)) {
      if (typeof v !== 'string') throw BindingsErrors.malformed(`json: cannot unmarshal ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v} into Go struct field OutputBindingRequest.metadata of type string`);
      metadata[k] = v;
    }
  }
  const op = parsed['operation'];
  if (op !== undefined && op !== null && typeof op !== 'string') {
    throw BindingsErrors.malformed(`json: cannot unmarshal ${Array.isArray(op) ? 'array' : typeof op} into Go struct field OutputBindingRequest.operation of type string`);
  }
  return { data: Buffer.from(goJsonMarshal(parsed['data']), 'utf8'), metadata, operation: typeof op === 'string' ? op : '' };
}

export function registerBindingsRoutes(app: FastifyInstance, bindings: BindingsApi | undefined, ctxOf: (req: FastifyRequest, reply: FastifyReply) => CallContext): void {
  if (!bindings) {
    app.all('/v1.0/bindings/*', async (req, reply) => sendError(reply, CommonErrors.unimplemented('bindings', `${req.method} ${req.url.split('?')[0]}`)));
    return;
  }
  const handler = async (req: Req, reply: FastifyReply) => {
    try {
      const body = decodeOutputBindingRequest(req.body);
      const res = await bindings.invoke({ name: req.params.name, data: body.data, metadata: body.metadata, operation: body.operation }, ctxOf(req, reply));
      const md = Object.entries(res.metadata ?? {});
      if (res.data.length === 0 && md.length === 0) return reply.code(204).send();
      for (const [k, v] of md) {
        const name = `metadata.${k}`;
        if (HEADER_NAME.test(name) && HEADER_VALUE.test(v)) void reply.header(name, v);
      }
      const raw: Uint8Array = res.data;
      const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      return reply.code(200).header('content-type', JSON_TYPE).send(data);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };
  app.post('/v1.0/bindings/:name', handler);
  app.put('/v1.0/bindings/:name', handler);
}
