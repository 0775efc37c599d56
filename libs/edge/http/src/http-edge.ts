// The Dapr HTTP API edge: one Fastify instance with Dapr's conventions (spec/http-api.md
// section 0): raw bodies of any content type up to --max-body-size, `dapr-api-token`, path
// cleaning, the catch-all, and Dapr's error shapes for everything Fastify itself rejects.
// Handlers are plain async functions over the block APIs; no per-request DI.
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors, isApiError } from '@tessera/contracts';
import type { CallContext, EdgeOptions } from '@tessera/contracts';
import { sendError, sendUnknownError } from './reply';
import { registerRuntimeRoutes } from './runtime.routes';
import { registerStateRoutes } from './state.routes';
import { registerSecretsRoutes } from './secrets.routes';
import { registerLockRoutes } from './lock.routes';
import { registerConfigurationRoutes } from './configuration.routes';
import { registerPubSubRoutes } from './pubsub.routes';
import { registerBindingsRoutes } from './bindings.routes';
import { registerUnbuiltRoutes } from './unbuilt.routes';
import { invokeHandlers } from './invoke.routes';
import { RequestContext } from './request-context';

export type HttpEdgeOptions = EdgeOptions;

const HEALTH_PATHS = new Set(['/v1.0/healthz', '/v1.0/healthz/outbound']);

/**
 * Go decodes `%FF` in a path to the byte 0xFF; JavaScript's decoder refuses escapes that do not
 * form UTF-8, and the router would answer 400. Such segments are re-encoded from their bytes read
 * as UTF-8 (invalid sequences become U+FFFD), so `GET /v1.0/state/s/a%FF` is a lookup of a key
 * that does not exist (204), as in Dapr. Syntactically bad escapes (`%zz`) are left for the 400.
 * Costs one indexOf on paths without `%`.
 */
export function repairPercentEncoding(url: string): string {
  if (url.indexOf('%') === -1) return url;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    // fall through: some escape is not UTF-8
  }
  if (/%(?![0-9a-fA-F]{2})/.test(path)) return url;
  const fixed = path
    .split('/')
    .map((seg) => {
      try {
        decodeURIComponent(seg);
        return seg;
      } catch {
        const bytes = Buffer.from(seg.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
        return encodeURIComponent(bytes.toString('utf8'));
      }
    })
    .join('/');
  return q < 0 ? fixed : fixed + url.slice(q);
}

export function createHttpEdge(opts: HttpEdgeOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.maxBodySize,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 65535 },
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    // A malformed escape (%zz) in the path never reaches setErrorHandler: Fastify answers it
    // here, and daprd answers it with a 400 in plain text.
    frameworkErrors: (err, _req, reply) =>
      void (reply as FastifyReply).code(400).header('content-type', 'text/plain; charset=utf-8').send(`invalid path: ${err.message}`),
    rewriteUrl: (req) => repairPercentEncoding(req.url ?? '/'),
  });

  // Dapr reads bodies of any content type itself: every body arrives as a Buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const { appId, namespace } = opts;
  // Identity, trace context, and an abort (a signal made on first use, or the lazy-abort
  // protocol) that fires if the client goes away before its answer.
  const ctxOf = (req: FastifyRequest, reply: FastifyReply): CallContext => {
    const tp = req.headers['traceparent'];
    if (typeof tp !== 'string') return new RequestContext(appId, namespace, reply.raw);
    const ts = req.headers['tracestate'];
    return new RequestContext(appId, namespace, reply.raw, tp, typeof ts === 'string' ? ts : undefined);
  };

  if (opts.apiToken) {
    const token = opts.apiToken;
    app.addHook('onRequest', (req, reply, done) => {
      if (HEALTH_PATHS.has(req.url.split('?')[0] as string)) return done();
      if (req.headers['dapr-api-token'] !== token) {
        void reply.code(401).header('content-type', 'text/plain; charset=utf-8').send('invalid api token');
        return;
      }
      delete req.headers['dapr-api-token'];
      done();
    });
  }

  if (opts.enableApiLogging) {
    app.addHook('onResponse', (req, reply, done) => {
      opts.logger.info('HTTP API Called', { method: req.method, path: req.url.split('?')[0], code: reply.statusCode });
      done();
    });
  }

  app.setErrorHandler((error, _req, reply) => {
    const err = error as Error & { code?: string; statusCode?: number };
    const code = err.code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, CommonErrors.bodyTooLarge(opts.maxBodySize));
    if (code === 'FST_ERR_BAD_URL' || code === 'FST_ERR_BAD_URL_PATH') {
      return reply.code(400).header('content-type', 'text/plain; charset=utf-8').send(`invalid path: ${err.message}`);
    }
    if (isApiError(err)) return sendError(reply, err);
    if (typeof err.statusCode === 'number' && err.statusCode < 500) {
      return sendError(reply, CommonErrors.bodyRead(err.message));
    }
    opts.logger.error('unhandled HTTP API error', { err: err.message });
    return sendUnknownError(reply, err);
  });

  // Catch-all: Dapr routes anything unmatched to service invocation, which needs an app id.
  const invoke = opts.invoke ? invokeHandlers(opts.invoke, ctxOf) : undefined;
  app.setNotFoundHandler((req, reply) => {
    if (invoke) return invoke.byHeader(req, reply);
    if (req.headers['dapr-app-id'] !== undefined || (req.headers.authorization ?? '').startsWith('Basic ')) {
      return sendError(reply, CommonErrors.unimplemented('service invocation', `${req.method} ${req.url.split('?')[0]}`));
    }
    return sendError(reply, CommonErrors.directInvokeNoAppId());
  });
  if (invoke) app.all('/v1.0/invoke/:appId/method/*', invoke.byPath);

  registerStateRoutes(app, opts.state, ctxOf);
  registerSecretsRoutes(app, opts.secrets, ctxOf);
  registerLockRoutes(app, opts.lock, ctxOf);
  registerConfigurationRoutes(app, opts.configuration, opts.configurationSubscriptions, ctxOf);
  registerPubSubRoutes(app, opts.pubsub, ctxOf);
  registerBindingsRoutes(app, opts.bindings, ctxOf);
  registerRuntimeRoutes(app, opts.metadata, opts.lifecycle, appId, ctxOf);
  registerUnbuiltRoutes(app);
  return app;
}
