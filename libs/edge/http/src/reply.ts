// Writing Dapr-shaped answers: error bodies, JSON bodies, empty 204s.
import type { FastifyReply } from 'fastify';
import { isApiError } from '@tessera/contracts';
import type { ApiError } from '@tessera/contracts';

export const JSON_TYPE = 'application/json';

export function sendError(reply: FastifyReply, e: ApiError): FastifyReply {
  return reply.code(e.httpStatus).header('content-type', JSON_TYPE).send(JSON.stringify(e.toJSON()));
}

/** Unknown failures answer Dapr's generic `ERROR` code; the caller logs them. */
export function sendUnknownError(reply: FastifyReply, e: unknown): FastifyReply {
  if (isApiError(e)) return sendError(reply, e);
  const message = e instanceof Error ? e.message : String(e);
  return reply.code(500).header('content-type', JSON_TYPE).send(JSON.stringify({ errorCode: 'ERROR', message }));
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body));
}

export function sendRawJson(reply: FastifyReply, status: number, json: string | Buffer): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(json);
}

export function sendNoContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}
