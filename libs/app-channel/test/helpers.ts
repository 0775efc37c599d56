// Shared test helpers: request builders and a free loopback port.
import net from 'node:net';
import { HTTPExtension_Verb } from '@tessera/contracts';
import type { CallContext, InternalInvokeRequest } from '@tessera/contracts';

export interface ReqSpec {
  method?: string;
  verb?: HTTPExtension_Verb;
  query?: string;
  body?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string | string[]>;
  /** Leave http_extension out (a gRPC caller). */
  noExtension?: boolean;
}

export function invokeReq(spec: ReqSpec = {}): InternalInvokeRequest {
  const metadata: InternalInvokeRequest['metadata'] = {};
  for (const [k, v] of Object.entries(spec.headers ?? {})) metadata[k] = { values: Array.isArray(v) ? v : [v] };
  const body = typeof spec.body === 'string' ? Buffer.from(spec.body) : (spec.body ?? Buffer.alloc(0));
  return {
    ver: 1,
    metadata,
    actor: undefined,
    message: {
      method: spec.method ?? 'echo',
      data: { typeUrl: '', value: body },
      contentType: spec.contentType ?? '',
      httpExtension: spec.noExtension ? undefined : { verb: spec.verb ?? HTTPExtension_Verb.POST, querystring: spec.query ?? '' },
    },
  };
}

export function ctx(extra: Partial<CallContext> = {}): CallContext {
  return { appId: 'caller', namespace: 'default', ...extra };
}

/** A loopback port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Resolves when `cond()` holds (polling); fails the test after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
