// gRPC SubscribeTopicEventsAlpha1 (a bidirectional stream, grpc-api.md): the client's first
// message is the initial request (pubsub, topic, metadata, dead-letter topic); the runtime answers
// with an initial response, then sends one event message per event, and the client acknowledges
// each with event_processed {id, status}. The subscription itself (reading, expiry, verdicts,
// settling with the broker) is AppStreamingSubscriptions'; this handler only moves messages.
// The client going away, or the edge closing, ends the subscription (unacknowledged events go
// back to the broker).
import * as grpc from '@grpc/grpc-js';
import { CommonErrors, TopicEventResponse_TopicEventResponseStatus } from '@tessera/contracts';
import type {
  AppStreamingSubscriptions,
  CallContext,
  StreamingSubscription,
  SubscribeTopicEventsRequestAlpha1,
  SubscribeTopicEventsResponseAlpha1,
  TopicEventRequest,
} from '@tessera/contracts';
import type { StreamHandlerDeps } from './stream.handlers';

type Call = grpc.ServerDuplexStream<SubscribeTopicEventsRequestAlpha1, SubscribeTopicEventsResponseAlpha1>;

export function subscribeTopicEventsHandler(subs: AppStreamingSubscriptions, deps: StreamHandlerDeps): grpc.handleBidiStreamingCall<SubscribeTopicEventsRequestAlpha1, SubscribeTopicEventsResponseAlpha1> {
  return (call: Call) => {
    if (deps.apiToken && call.metadata.get('dapr-api-token')[0] !== deps.apiToken) {
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'authentication error: api token mismatch' });
      return;
    }
    call.metadata.remove('dapr-api-token');
    deps.onCall?.('SubscribeTopicEventsAlpha1');
    const ac = new AbortController();
    let finished = false;
    let sub: StreamingSubscription | undefined;
    const finish = (): boolean => {
      if (finished) return false;
      finished = true;
      ac.abort();
      return true;
    };
    const fail = (e: unknown): void => {
      if (finish()) call.emit('error', deps.toServiceError(deps.toError(e)));
    };
    const remove = deps.streams.add(() => {
      if (finish()) call.end();
    });
    call.once('cancelled', finish);
    call.once('close', finish);
    call.on('error', () => finish());
    call.on('end', () => {
      // the client half-closed: no more acknowledgements can come, so the subscription ends
      if (finish()) call.end();
    });
    const ctx: CallContext = { ...deps.ctxOf(call.metadata), signal: ac.signal };
    call.on('data', (m: SubscribeTopicEventsRequestAlpha1) => {
      const t = m.subscribeTopicEventsRequestType;
      if (t === undefined) return;
      if (t.$case === 'initialRequest') {
        if (sub !== undefined) {
          fail(CommonErrors.malformedRequest('initial request already received'));
          return;
        }
        sub = subs.open(t.value, ctx);
        void pump(sub);
        return;
      }
      if (sub === undefined) {
        fail(CommonErrors.malformedRequest('the first message must be an initial request'));
        return;
      }
      sub.processed(t.value.id, t.value.status?.status ?? TopicEventResponse_TopicEventResponseStatus.SUCCESS);
    });

    async function pump(s: StreamingSubscription): Promise<void> {
      try {
        const it = s[Symbol.asyncIterator]();
        const first = await it.next();
        if (finished) {
          await it.return?.();
          return;
        }
        // The first item only says the broker subscription exists: the initial response goes out.
        if (first.done === true) {
          if (finish()) call.end();
          return;
        }
        call.write({ subscribeTopicEventsResponseType: { $case: 'initialResponse', value: {} } });
        for (;;) {
          const n = await it.next();
          if (n.done === true || finished) break;
          if (!write(n.value)) await drained(call, ac.signal);
        }
        if (finish()) call.end();
      } catch (e) {
        fail(e);
      } finally {
        remove();
      }
    }

    function write(ev: TopicEventRequest): boolean {
      return call.write({ subscribeTopicEventsResponseType: { $case: 'eventMessage', value: ev } });
    }
  };
}

function drained(call: Call, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
