// Dapr service invocation over HTTP (spec/http-api.md 1.1): `/v1.0/invoke/{appId}/method/{method}`
// with any verb, and the catch-all form with a `dapr-app-id` header (or basic auth). The request
// becomes Dapr's InternalInvokeRequest; the callee's status, headers and body come back verbatim.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors, HTTPExtension_Verb, grpcToHttpStatus } from '@tessera/contracts';
import type { CallContext, InternalInvokeRequest, InternalInvokeResponse, InvokeApi, ListStringValue } from '@tessera/contracts';
import { sendError, sendUnknownError } from './reply';

const VERB: Readonly<Record<string, HTTPExtension_Verb>> = {
  GET: HTTPExtension_Verb.GET,
  HEAD: HTTPExtension_Verb.HEAD,
  POST: HTTPExtension_Verb.POST,
  PUT: HTTPExtension_Verb.PUT,
  DELETE: HTTPExtension_Verb.DELETE,
  CONNECT: HTTPExtension_Verb.CONNECT,
  OPTIONS: HTTPExtension_Verb.OPTIONS,
  TRACE: HTTPExtension_Verb.TRACE,
  PATCH: HTTPExtension_Verb.PATCH,
};

/** Headers that describe one hop, never forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

function requestOf(req: FastifyRequest, method: string): InternalInvokeRequest {
  const metadata: Record<string, ListStringValue> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP.has(k)) continue;
    metadata[k] = { values: Array.isArray(v) ? v : [v] };
  }
  const q = req.url.indexOf('?');
  const body = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
  const contentType = typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : '';
  return {
    ver: 1,
    metadata,
    message: {
      method,
      data: { typeUrl: '', value: body },
      contentType,
      httpExtension: { verb: VERB[req.method] ?? HTTPExtension_Verb.POST, querystring: q < 0 ? '' : req.url.slice(q + 1) },
    },
    actor: undefined,
  };
}

function sendResponse(reply: FastifyReply, res: InternalInvokeResponse): FastifyReply {
  const code = res.status?.code ?? 200;
  const body = res.message?.data?.value ?? Buffer.alloc(0);
  for (const [k, v] of Object.entries(res.headers)) {
    if (HOP.has(k) || v.values.length === 0) continue;
    reply.header(k, v.values.length === 1 ? v.values[0] : v.values);
  }
  if (code >= 100) {
    const ct = res.message?.contentType;
    if (ct) reply.header('content-type', ct);
    return reply.code(code).send(body);
  }
  // A gRPC app answered: OK -> 200 with its body; an error -> the mapped HTTP status with the
  // gRPC status as JSON (spec/http-api.md 1.1).
  if (code === 0) {
    if (res.message?.contentType) reply.header('content-type', res.message.contentType);
    return reply.code(200).send(body);
  }
  return reply
    .code(grpcToHttpStatus(code))
    .header('content-type', 'application/json')
    .send(JSON.stringify({ code, message: res.status?.message ?? '', details: [] }));
}

/** The path after `/method/`, cleaned (no leading slash, no empty segments). */
function cleanMethod(path: string): string {
  return path.split('/').filter((s) => s !== '' && s !== '.').join('/');
}

export function invokeHandlers(invoke: InvokeApi, ctxOf: (req: FastifyRequest, reply: FastifyReply) => CallContext) {
  const run = async (req: FastifyRequest, reply: FastifyReply, target: string, method: string): Promise<FastifyReply> => {
    // A client that disconnects before its answer cancels the call (and the app's request), as
    // daprd's request context does: the context is passed on as it is (no copy), so the invoke
    // block, the transport and the app channel watch it through the lazy-abort protocol and no
    // AbortSignal is made unless the client leaves or a resiliency policy asks for one.
    try {
      const res = await invoke.invoke(target, requestOf(req, method), ctxOf(req, reply));
      return sendResponse(reply, res);
    } catch (e) {
      return sendUnknownError(reply, e);
    }
  };

  /** `/v1.0/invoke/{appId}/method/{method...}` */
  const byPath = async (req: FastifyRequest<{ Params: { '*': string; appId: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    return run(req, reply, req.params.appId, cleanMethod(req.params['*'] ?? ''));
  };

  /** Catch-all: target from `dapr-app-id` or basic auth `dapr-app-id:<target>`; method = the whole path. */
  const byHeader = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    let target = req.headers['dapr-app-id'];
    if (Array.isArray(target)) target = target[0];
    if (target === undefined) {
      const auth = req.headers.authorization ?? '';
      if (auth.startsWith('Basic ')) {
        const [user, pass] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
        if (user === 'dapr-app-id' && pass) target = pass;
      }
    }
    if (!target) return sendError(reply, CommonErrors.directInvokeNoAppId());
    const q = req.url.indexOf('?');
    return run(req, reply, target, cleanMethod(q < 0 ? req.url : req.url.slice(0, q)));
  };

  return { byPath, byHeader };
}
