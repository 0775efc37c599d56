// What an app's answer to a delivered event means (spec/http-api.md 3.4 and 3.5 tables,
// grpc-api.md OnTopicEvent / OnBulkTopicEvent, semantics.md 1 "App verdicts"). Pure functions:
// the caller settles the message with the verdict (success = ack; drop = ack + dead-letter when
// configured; retry = inbound resiliency, then dead-letter or back to the broker).
//
//   verdictFromHttp(status, body): VerdictResult
//     2xx + empty / unparsable / {} / {"status":""} / "SUCCESS" -> success; "RETRY" -> retry;
//     "DROP" -> drop; any other status string (case-sensitive) -> retry; 404 -> drop;
//     every other status (1xx, 3xx, 4xx, 5xx, 0 = no answer) -> retry.
//   verdictFromGrpc(response): VerdictResult
//     status SUCCESS / RETRY / DROP; an unknown enum value -> retry.
//   verdictFromError(error): VerdictResult
//     The app channel rejected. gRPC UNIMPLEMENTED (AppCallbackStatusError.code 12, or a grpc-js
//     error with code 12) -> drop (the app has no handler); anything else -> retry.
//   bulkVerdictsFromHttp(status, body, entryIds): Map<entryId, VerdictResult>
//     2xx: {"statuses":[{"entryId","status"}]} per entry; an entry with a missing, empty or
//     unknown status, or not listed -> retry; unparsable body -> all retry; 404 -> all drop;
//     any other status -> all retry. Statuses for ids that were not delivered are ignored.
//   bulkVerdictsFromGrpc(response, entryIds): Map<entryId, VerdictResult>
//     per entry as verdictFromGrpc; not listed -> retry. (Errors: verdictFromError for all.)
import { TopicEventResponse_TopicEventResponseStatus as Status, isAppCallbackStatusError } from '@tessera/contracts';
import type { TopicEventBulkResponse, TopicEventResponse } from '@tessera/contracts';

export type Verdict = 'success' | 'retry' | 'drop';

export interface VerdictResult {
  readonly verdict: Verdict;
  /** Why, for logs and the settle reason ('' for a plain success). */
  readonly reason: string;
}

const GRPC_UNIMPLEMENTED = 12;
const SUCCESS: VerdictResult = Object.freeze({ verdict: 'success', reason: '' });

function text(body: Uint8Array | string | undefined): string {
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

function parse(body: Uint8Array | string | undefined): unknown {
  const t = text(body);
  if (t.trim() === '') return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fromStatusString(status: string, fallbackEmpty: VerdictResult): VerdictResult {
  switch (status) {
    case '':
      return fallbackEmpty;
    case 'SUCCESS':
      return SUCCESS;
    case 'RETRY':
      return { verdict: 'retry', reason: 'the app asked to retry' };
    case 'DROP':
      return { verdict: 'drop', reason: 'the app dropped the event' };
    default:
      return { verdict: 'retry', reason: `the app answered an unknown status ${JSON.stringify(status)}` };
  }
}

function is2xx(status: number): boolean {
  return status >= 200 && status <= 299;
}

export function verdictFromHttp(status: number, body?: Uint8Array | string): VerdictResult {
  if (status === 404) return { verdict: 'drop', reason: 'the app answered 404 (no handler for the route)' };
  if (!is2xx(status)) return { verdict: 'retry', reason: status === 0 ? 'the app did not answer' : `the app answered HTTP ${status}` };
  const parsed = parse(body);
  if (!isObject(parsed)) return SUCCESS;
  const s = parsed['status'];
  if (s === undefined || s === null) return SUCCESS;
  // A non-string status makes the body unreadable as the response type: success, as unparsable.
  if (typeof s !== 'string') return SUCCESS;
  return fromStatusString(s, SUCCESS);
}

function fromGrpcStatus(status: number | undefined): VerdictResult {
  switch (status ?? Status.SUCCESS) {
    case Status.SUCCESS:
      return SUCCESS;
    case Status.RETRY:
      return { verdict: 'retry', reason: 'the app asked to retry' };
    case Status.DROP:
      return { verdict: 'drop', reason: 'the app dropped the event' };
    default:
      return { verdict: 'retry', reason: `the app answered an unknown status ${String(status)}` };
  }
}

export function verdictFromGrpc(res: Pick<TopicEventResponse, 'status'> | undefined): VerdictResult {
  return fromGrpcStatus(res?.status);
}

/** The gRPC status code of a rejected app call, when it is one. */
function grpcCode(e: unknown): number | undefined {
  if (isAppCallbackStatusError(e)) return e.code;
  if (typeof e === 'object' && e !== null) {
    const o = e as { code?: unknown; details?: unknown; metadata?: unknown };
    if (typeof o.code === 'number' && (typeof o.details === 'string' || o.metadata !== undefined)) return o.code;
  }
  return undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function verdictFromError(e: unknown): VerdictResult {
  if (grpcCode(e) === GRPC_UNIMPLEMENTED) return { verdict: 'drop', reason: `the app does not implement the handler: ${messageOf(e)}` };
  return { verdict: 'retry', reason: `delivery failed: ${messageOf(e)}` };
}

function all(entryIds: readonly string[], v: VerdictResult): Map<string, VerdictResult> {
  return new Map(entryIds.map((id) => [id, v]));
}

const NOT_LISTED: VerdictResult = Object.freeze({ verdict: 'retry', reason: 'the app gave no status for the entry' });

export function bulkVerdictsFromHttp(status: number, body: Uint8Array | string | undefined, entryIds: readonly string[]): Map<string, VerdictResult> {
  if (status === 404) return all(entryIds, { verdict: 'drop', reason: 'the app answered 404 (no handler for the route)' });
  if (!is2xx(status)) return all(entryIds, { verdict: 'retry', reason: status === 0 ? 'the app did not answer' : `the app answered HTTP ${status}` });
  const parsed = parse(body);
  const statuses = isObject(parsed) ? parsed['statuses'] : undefined;
  if (!Array.isArray(statuses)) return all(entryIds, { verdict: 'retry', reason: 'the app answered a bulk response that cannot be read' });
  const out = all(entryIds, NOT_LISTED);
  for (const item of statuses) {
    if (!isObject(item) || typeof item['entryId'] !== 'string' || !out.has(item['entryId'])) continue;
    const s = item['status'];
    const v = typeof s === 'string' ? fromStatusString(s, { verdict: 'retry', reason: 'the app gave an empty status for the entry' }) : NOT_LISTED;
    out.set(item['entryId'], v);
  }
  return out;
}

export function bulkVerdictsFromGrpc(res: Pick<TopicEventBulkResponse, 'statuses'> | undefined, entryIds: readonly string[]): Map<string, VerdictResult> {
  const out = all(entryIds, NOT_LISTED);
  for (const s of res?.statuses ?? []) {
    if (out.has(s.entryId)) out.set(s.entryId, fromGrpcStatus(s.status));
  }
  return out;
}
