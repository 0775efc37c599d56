// Dapr state HTTP API (spec/http-api.md section 2) mapped onto StateApi. Routes only: decoding,
// encoding and status codes; the logic lives behind StateApi.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CommonErrors,
  StateOptions_StateConcurrency,
  StateOptions_StateConsistency,
} from '@tessera/contracts';
import type { CallContext, StateApi, StateItem, StateOptions, TransactionalStateOperation } from '@tessera/contracts';
import { expectObject, isObject, optString, optStringMap, parseJsonBody } from './json-body';
import type { Json } from './json-body';
import { first, metadataFromQuery } from './query';
import type { Query } from './query';
import { JSON_TYPE, sendNoContent, sendRawJson, sendUnknownError } from './reply';

type Req = FastifyRequest<{ Params: { storeName: string; key?: string }; Querystring: Query; Body: Buffer | undefined }>;

function concurrency(v: string | undefined): StateOptions_StateConcurrency {
  if (v === 'first-write') return StateOptions_StateConcurrency.CONCURRENCY_FIRST_WRITE;
  if (v === 'last-write') return StateOptions_StateConcurrency.CONCURRENCY_LAST_WRITE;
  return StateOptions_StateConcurrency.CONCURRENCY_UNSPECIFIED;
}

function consistency(v: string | undefined): StateOptions_StateConsistency {
  if (v === 'strong') return StateOptions_StateConsistency.CONSISTENCY_STRONG;
  if (v === 'eventual') return StateOptions_StateConsistency.CONSISTENCY_EVENTUAL;
  return StateOptions_StateConsistency.CONSISTENCY_UNSPECIFIED;
}

function options(v: Json | undefined, field: string): StateOptions | undefined {
  if (v === undefined || v === null) return undefined;
  const o = expectObject(v, field);
  return {
    concurrency: concurrency(optString(o['concurrency'], `${field}.concurrency`)),
    consistency: consistency(optString(o['consistency'], `${field}.consistency`)),
  };
}

/** One `{key,value,etag,metadata,options}` item; `value` is re-encoded to JSON bytes. */
function stateItem(v: Json | undefined, field: string, queryMeta: Record<string, string>): StateItem {
  const o = expectObject(v, field);
  const key = optString(o['key'], `${field}.key`) ?? '';
  const value = o['value'];
  const etag = optString(o['etag'], `${field}.etag`);
  const meta = optStringMap(o['metadata'], `${field}.metadata`);
  return {
    key,
    value: Buffer.from(value === undefined ? 'null' : JSON.stringify(value), 'utf8'),
    etag: etag ? { value: etag } : undefined,
    metadata: meta ? { ...meta, ...queryMeta } : queryMeta,
    options: options(o['options'], `${field}.options`),
  };
}

function isJsonText(data: Buffer): boolean {
  if (data.length === 0) return false;
  try {
    JSON.parse(data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Raw JSON stays raw in a bulk/query answer; binary values (gRPC writes) become base64 strings. */
function rawData(data: Buffer): string {
  return isJsonText(data) ? data.toString('utf8') : JSON.stringify(data.toString('base64'));
}

export function registerStateRoutes(app: FastifyInstance, state: StateApi, ctxOf: (req: FastifyRequest, reply: FastifyReply) => CallContext): void {
  const getState = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const res = await state.getState(
        {
          storeName: req.params.storeName,
          key: req.params.key ?? '',
          consistency: consistency(first(req.query['consistency'])),
          metadata: metadataFromQuery(req.query),
        },
        ctxOf(req, reply),
      );
      if (res.data.length === 0) return sendNoContent(reply);
      if (res.etag) reply.header('etag', res.etag);
      for (const k in res.metadata) reply.header(`metadata.${k}`, res.metadata[k]);
      return reply.code(200).header('content-type', JSON_TYPE).send(res.data);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const saveState = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const body = parseJsonBody(req.body);
      if (!Array.isArray(body)) throw CommonErrors.malformedRequest('failed deserializing HTTP body: expected a JSON array of state items');
      const queryMeta = metadataFromQuery(req.query);
      const states = body.map((item, i) => stateItem(item, `[${i}]`, queryMeta));
      await state.saveState({ storeName: req.params.storeName, states }, ctxOf(req, reply));
      return sendNoContent(reply);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const bulkGet = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const body = expectObject(parseJsonBody(req.body), 'body');
      const keysJson = body['keys'];
      if (keysJson !== undefined && keysJson !== null && !Array.isArray(keysJson)) {
        throw CommonErrors.malformedRequest('failed deserializing HTTP body: keys must be an array of strings', 'keys');
      }
      const keys = (keysJson ?? []).map((k, i) => {
        if (typeof k !== 'string') throw CommonErrors.malformedRequest(`failed deserializing HTTP body: keys[${i}] must be a string`, `keys[${i}]`);
        return k;
      });
      const parallelism = body['parallelism'];
      if (parallelism !== undefined && parallelism !== null && (typeof parallelism !== 'number' || !Number.isInteger(parallelism))) {
        throw CommonErrors.malformedRequest('failed deserializing HTTP body: parallelism must be an integer', 'parallelism');
      }
      const metadata = { ...(optStringMap(body['metadata'], 'metadata') ?? {}), ...metadataFromQuery(req.query) };
      const res = await state.getBulkState(
        { storeName: req.params.storeName, keys, parallelism: (parallelism as number | null) ?? 0, metadata },
        ctxOf(req, reply),
      );
      const parts = res.items.map((it) => {
        let s = `{"key":${JSON.stringify(it.key)}`;
        if (it.data.length > 0) s += `,"data":${rawData(it.data)}`;
        if (it.etag) s += `,"etag":${JSON.stringify(it.etag)}`;
        if (it.error) s += `,"error":${JSON.stringify(it.error)}`;
        if (Object.keys(it.metadata).length > 0) s += `,"metadata":${JSON.stringify(it.metadata)}`;
        return s + '}';
      });
      return sendRawJson(reply, 200, `[${parts.join(',')}]`);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const deleteState = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const ifMatch = req.headers['if-match'];
      const etag = Array.isArray(ifMatch) ? ifMatch[0] : ifMatch;
      await state.deleteState(
        {
          storeName: req.params.storeName,
          key: req.params.key ?? '',
          etag: etag ? { value: etag } : undefined,
          options: {
            concurrency: concurrency(first(req.query['concurrency'])),
            consistency: consistency(first(req.query['consistency'])),
          },
          metadata: metadataFromQuery(req.query),
        },
        ctxOf(req, reply),
      );
      return sendNoContent(reply);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const transaction = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const body = expectObject(parseJsonBody(req.body), 'body');
      const queryMeta = metadataFromQuery(req.query);
      const opsJson = body['operations'];
      if (opsJson !== undefined && opsJson !== null && !Array.isArray(opsJson)) {
        throw CommonErrors.malformedRequest('failed deserializing HTTP body: operations must be an array', 'operations');
      }
      const operations: TransactionalStateOperation[] = (opsJson ?? []).map((op, i) => {
        const o = expectObject(op, `operations[${i}]`);
        const operationType = optString(o['operation'], `operations[${i}].operation`) ?? '';
        const request = o['request'];
        if (!isObject(request)) {
          throw CommonErrors.malformedRequest(`failed deserializing HTTP body: operations[${i}].request must be an object`, `operations[${i}].request`);
        }
        return { operationType, request: stateItem(request, `operations[${i}].request`, queryMeta) };
      });
      const metadata = { ...(optStringMap(body['metadata'], 'metadata') ?? {}), ...queryMeta };
      await state.executeStateTransaction({ storeName: req.params.storeName, operations, metadata }, ctxOf(req, reply));
      return sendNoContent(reply);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const query = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const res = await state.queryState(
        { storeName: req.params.storeName, query: req.body ? req.body.toString('utf8') : '', metadata: metadataFromQuery(req.query) },
        ctxOf(req, reply),
      );
      if (res.results.length === 0) return sendNoContent(reply);
      const results = res.results.map((r) => {
        let s = `{"key":${JSON.stringify(r.key)}`;
        if (r.data.length > 0) s += `,"data":${rawData(r.data)}`;
        if (r.etag) s += `,"etag":${JSON.stringify(r.etag)}`;
        if (r.error) s += `,"error":${JSON.stringify(r.error)}`;
        return s + '}';
      });
      let out = `{"results":[${results.join(',')}]`;
      if (res.token) out += `,"token":${JSON.stringify(res.token)}`;
      if (Object.keys(res.metadata).length > 0) out += `,"metadata":${JSON.stringify(res.metadata)}`;
      return sendRawJson(reply, 200, out + '}');
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  app.get('/v1.0/state/:storeName/:key', getState);
  app.delete('/v1.0/state/:storeName/:key', deleteState);
  app.post('/v1.0/state/:storeName', saveState);
  app.put('/v1.0/state/:storeName', saveState);
  app.post('/v1.0/state/:storeName/bulk', bulkGet);
  app.put('/v1.0/state/:storeName/bulk', bulkGet);
  app.post('/v1.0/state/:storeName/transaction', transaction);
  app.put('/v1.0/state/:storeName/transaction', transaction);
  app.post('/v1.0-alpha1/state/:storeName/query', query);
  app.put('/v1.0-alpha1/state/:storeName/query', query);
}
