// Metadata, health and shutdown routes (spec/http-api.md sections 11-13).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '@tessera/contracts';
import type { CallContext, MetadataApi, RuntimeLifecycle } from '@tessera/contracts';
import { first } from './query';
import type { Query } from './query';
import { sendError, sendJson, sendNoContent, sendUnknownError } from './reply';

export function registerRuntimeRoutes(
  app: FastifyInstance,
  metadata: MetadataApi,
  lifecycle: RuntimeLifecycle,
  appId: string,
  ctxOf: (req: FastifyRequest, reply: FastifyReply) => CallContext,
): void {
  app.get('/v1.0/metadata', async (req, reply) => {
    try {
      const m = await metadata.getMetadata(ctxOf(req, reply));
      return sendJson(reply, 200, {
        id: m.id,
        runtimeVersion: m.runtimeVersion,
        enabledFeatures: m.enabledFeatures,
        actors: [],
        components: m.components,
        extended: m.extended,
        subscriptions: (m.subscriptions ?? []).map((x) => ({
          pubsubname: x.pubsubname,
          topic: x.topic,
          metadata: x.metadata,
          rules: x.rules,
          deadLetterTopic: x.deadLetterTopic,
          type: x.type,
        })),
        httpEndpoints: [],
        appConnectionProperties: m.appConnectionProperties ?? {},
        actorRuntime: { runtimeStatus: 'DISABLED', activeActors: [], hostReady: false, placement: '' },
      });
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  });

  app.put<{ Params: { key: string }; Body: Buffer | undefined }>('/v1.0/metadata/:key', async (req, reply) => {
    try {
      await metadata.setMetadata(req.params.key, req.body ? req.body.toString('utf8') : '', ctxOf(req, reply));
      return sendNoContent(reply);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  });

  app.get<{ Querystring: Query }>('/v1.0/healthz', async (req, reply) => {
    const wanted = first(req.query['appid']);
    if (wanted !== undefined && wanted !== appId) return sendError(reply, CommonErrors.healthAppIdNotMatch());
    const pending = lifecycle.notReady();
    if (pending.length > 0) return sendError(reply, CommonErrors.healthNotReady(pending));
    return sendNoContent(reply);
  });

  app.get('/v1.0/healthz/outbound', async (_req, reply) => {
    if (!lifecycle.outboundReady()) return sendError(reply, CommonErrors.outboundHealthNotReady());
    return sendNoContent(reply);
  });

  const shutdown = async (req: FastifyRequest, reply: FastifyReply) => {
    const force = String(req.headers['dapr-force-shutdown'] ?? '').toLowerCase() === 'true';
    await sendNoContent(reply);
    setImmediate(() => lifecycle.shutdown(force));
    return reply;
  };
  app.post('/v1.0/shutdown', shutdown);
  app.put('/v1.0/shutdown', shutdown);
}
