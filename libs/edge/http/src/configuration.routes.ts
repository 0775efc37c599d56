// Dapr configuration HTTP API (spec/http-api.md 7) mapped onto ConfigurationApi, under both the
// `v1.0` and `v1.0-alpha1` prefixes. Routes only: `key` query parameters (repeatable; none = every
// key) and `metadata.*`, the JSON shapes daprd writes (Go's encoding of its items: empty value,
// version and metadata omitted), the statuses. Subscriptions opened here are delivered to the app
// by the gateway (AppConfigurationSubscriptions), never by this edge.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors, ConfigurationErrors } from '@tessera/contracts';
import type { AppConfigurationSubscriptions, CallContext, ConfigurationApi, ConfigurationItem } from '@tessera/contracts';
import { metadataFromQuery } from './query';
import type { Query } from './query';
import { sendError, sendJson, sendNoContent, sendUnknownError } from './reply';

type Req = FastifyRequest<{ Params: { storeName: string; id?: string }; Querystring: Query }>;

const VERSIONS = ['v1.0', 'v1.0-alpha1'] as const;

/** Every `key` query parameter, in order ("?key=a&key=b"). */
function keysOf(q: Query): string[] {
  const v = q['key'];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Go's JSON of map[string]*configuration.Item (`omitempty` on every field). */
function itemsJson(items: Readonly<Record<string, ConfigurationItem>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(items)) {
    const item: Record<string, unknown> = {};
    if (v.value !== '') item['value'] = v.value;
    if (v.version !== '') item['version'] = v.version;
    if (Object.keys(v.metadata).length > 0) item['metadata'] = v.metadata;
    out[k] = item;
  }
  return out;
}

export function registerConfigurationRoutes(
  app: FastifyInstance,
  configuration: ConfigurationApi | undefined,
  toApp: AppConfigurationSubscriptions | undefined,
  ctxOf: (req: FastifyRequest, reply: FastifyReply) => CallContext,
): void {
  if (!configuration) {
    for (const v of VERSIONS) {
      app.all(`/${v}/configuration/*`, async (req, reply) => sendError(reply, CommonErrors.unimplemented('configuration', `${req.method} ${req.url.split('?')[0]}`)));
    }
    return;
  }

  const get = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const res = await configuration.get({ storeName: req.params.storeName, keys: keysOf(req.query), metadata: metadataFromQuery(req.query) }, ctxOf(req, reply));
      if (Object.keys(res.items).length === 0) return sendNoContent(reply);
      return sendJson(reply, 200, itemsJson(res.items));
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const subscribe = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const request = { storeName: req.params.storeName, keys: keysOf(req.query), metadata: metadataFromQuery(req.query) };
      const ctx = ctxOf(req, reply);
      if (!toApp) {
        // daprd checks the store before the app channel
        const visible = await configuration.listComponents(ctx);
        if (visible.length === 0) throw ConfigurationErrors.notConfigured();
        if (!visible.some((c) => c.name === request.storeName)) throw ConfigurationErrors.notFound(request.storeName);
        throw ConfigurationErrors.appChannelNil();
      }
      const id = await toApp.subscribe(request, ctx);
      return sendJson(reply, 200, { id });
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  const unsubscribe = async (req: Req, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const request = { storeName: req.params.storeName, id: req.params.id ?? '' };
      const res = toApp ? await toApp.unsubscribe(request, ctxOf(req, reply)) : await configuration.unsubscribe(request, ctxOf(req, reply));
      if (!res.ok) return sendJson(reply, 500, { ok: false, message: res.message });
      return sendJson(reply, 200, { ok: true });
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  for (const v of VERSIONS) {
    app.get(`/${v}/configuration/:storeName`, get);
    app.get(`/${v}/configuration/:storeName/subscribe`, subscribe);
    app.get(`/${v}/configuration/:storeName/:id/unsubscribe`, unsubscribe);
  }
}
