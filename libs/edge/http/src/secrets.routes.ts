// Dapr secrets HTTP API (spec/http-api.md section 6) mapped onto SecretsApi. Routes only:
// decoding, encoding and status codes; the logic (stores, scopes, errors) lives behind SecretsApi.
// Bodies are JSON objects with keys sorted, as daprd's encoder writes Go maps. Other methods on
// these paths fall through to the catch-all, as in daprd. Without a SecretsApi the paths answer
// 501 naming the block.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '@tessera/contracts';
import type { CallContext, SecretsApi } from '@tessera/contracts';
import { metadataFromQuery } from './query';
import type { Query } from './query';
import { sendError, sendRawJson, sendUnknownError } from './reply';

type Req = FastifyRequest<{ Params: { storeName: string; key?: string }; Querystring: Query }>;

function sorted<T>(o: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as T;
  return out;
}

export function registerSecretsRoutes(app: FastifyInstance, secrets: SecretsApi | undefined, ctxOf: (req: FastifyRequest, reply: FastifyReply) => CallContext): void {
  if (!secrets) {
    app.all('/v1.0/secrets/*', async (req, reply) => sendError(reply, CommonErrors.unimplemented('secrets', `${req.method} ${req.url.split('?')[0]}`)));
    return;
  }

  const getSecret = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const res = await secrets.getSecret(
        { storeName: req.params.storeName, key: req.params.key ?? '', metadata: metadataFromQuery(req.query) },
        ctxOf(req, reply),
      );
      return sendRawJson(reply, 200, Buffer.from(JSON.stringify(sorted(res.data))));
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const bulk = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const res = await secrets.getBulkSecret({ storeName: req.params.storeName, metadata: metadataFromQuery(req.query) }, ctxOf(req, reply));
      const out: Record<string, Record<string, string>> = {};
      for (const name of Object.keys(res.data).sort()) out[name] = sorted(res.data[name]?.secrets ?? {});
      return sendRawJson(reply, 200, Buffer.from(JSON.stringify(out)));
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  app.get('/v1.0/secrets/:storeName/bulk', bulk);
  app.get('/v1.0/secrets/:storeName/:key', getSecret);
}
