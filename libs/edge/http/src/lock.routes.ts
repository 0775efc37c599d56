// Dapr distributed lock HTTP API (spec/http-api.md 8) mapped onto LockApi. Routes only: protojson
// decoding of the body (daprd's UniversalHTTPHandler: unknown fields ignored, lowerCamel and
// snake_case names, int32 as number or string; an empty body is an empty message), the store name
// from the URL, and the answers: `{"success":bool}` and `{"status":N}` with every field present.
// Only POST is routed; other methods fall through to the catch-all, as in daprd.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '@tessera/contracts';
import type { ApiError, CallContext, LockApi } from '@tessera/contracts';
import { isObject } from './json-body';
import type { Json } from './json-body';
import { sendError, sendJson, sendUnknownError } from './reply';

type Req = FastifyRequest<{ Params: { storeName: string }; Body: Buffer | undefined }>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INTEGER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.0*)?(?:[eE][+-]?\d+)?$/;

function malformed(detail: string): ApiError {
  return CommonErrors.malformedRequest(`failed deserializing HTTP body: proto: ${detail}`);
}

/** The fields of a protojson body, by lowerCamel JSON name; the snake_case proto name is accepted too. */
function protoBody(body: Buffer | undefined): Record<string, Json> {
  if (!body || body.length === 0) return {};
  let parsed: Json;
  try {
    parsed = JSON.parse(body.toString('utf8')) as Json;
  } catch (e) {
    throw malformed(`syntax error: ${(e as Error).message}`);
  }
  if (!isObject(parsed)) throw malformed(`unexpected token ${JSON.stringify(parsed)}, expected a JSON object`);
  return parsed;
}

function field(o: Record<string, Json>, jsonName: string, protoName: string): Json | undefined {
  const a = o[jsonName];
  const b = jsonName === protoName ? undefined : o[protoName];
  if (a !== undefined && b !== undefined) throw malformed(`duplicate field ${protoName}`);
  return a ?? b;
}

function stringField(o: Record<string, Json>, jsonName: string, protoName: string): string {
  const v = field(o, jsonName, protoName);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw malformed(`invalid value for string field ${jsonName}: ${JSON.stringify(v)}`);
  return v;
}

function int32Field(o: Record<string, Json>, jsonName: string, protoName: string): number {
  const v = field(o, jsonName, protoName);
  if (v === undefined || v === null) return 0;
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && INTEGER_TEXT.test(v)) n = Number(v);
  if (n === undefined || !Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) {
    throw malformed(`invalid value for int32 field ${jsonName}: ${JSON.stringify(v)}`);
  }
  return n;
}

export function registerLockRoutes(app: FastifyInstance, lock: LockApi | undefined, ctxOf: (req: FastifyRequest, reply: FastifyReply) => CallContext): void {
  if (!lock) {
    for (const path of ['/v1.0-alpha1/lock/*', '/v1.0-alpha1/unlock/*']) {
      app.all(path, async (req, reply) => sendError(reply, CommonErrors.unimplemented('distributed lock', `${req.method} ${req.url.split('?')[0]}`)));
    }
    return;
  }

  app.post('/v1.0-alpha1/lock/:storeName', async (req: Req, reply: FastifyReply) => {
    try {
      const o = protoBody(req.body);
      stringField(o, 'storeName', 'store_name'); // type-checked as protojson would; the URL wins
      const res = await lock.tryLock(
        {
          storeName: req.params.storeName,
          resourceId: stringField(o, 'resourceId', 'resource_id'),
          lockOwner: stringField(o, 'lockOwner', 'lock_owner'),
          expiryInSeconds: int32Field(o, 'expiryInSeconds', 'expiry_in_seconds'),
        },
        ctxOf(req, reply),
      );
      return sendJson(reply, 200, { success: res.success });
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  });

  app.post('/v1.0-alpha1/unlock/:storeName', async (req: Req, reply: FastifyReply) => {
    try {
      const o = protoBody(req.body);
      stringField(o, 'storeName', 'store_name');
      const res = await lock.unlock(
        {
          storeName: req.params.storeName,
          resourceId: stringField(o, 'resourceId', 'resource_id'),
          lockOwner: stringField(o, 'lockOwner', 'lock_owner'),
        },
        ctxOf(req, reply),
      );
      return sendJson(reply, 200, { status: res.status });
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  });
}
