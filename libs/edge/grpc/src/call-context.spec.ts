// GrpcCallContext: the signal is made only when asked for and fires when the call ends.
import { EventEmitter } from 'node:events';
import { CALL_ENDED, GrpcCallContext } from './call-context';

class FakeCall extends EventEmitter {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
    this.emit('cancelled');
  }
}

describe('GrpcCallContext', () => {
  it('makes its signal on first use only (one listener), stable afterwards; fires with CALL_ENDED', () => {
    const call = new FakeCall();
    const ctx = new GrpcCallContext('app', 'ns', call, 'tp', 'ts');
    expect(call.listenerCount('cancelled')).toBe(0);
    const s = ctx.signal;
    expect(ctx.signal).toBe(s);
    expect(call.listenerCount('cancelled')).toBe(1);
    expect(s?.aborted).toBe(false);
    call.cancel();
    expect(s?.aborted).toBe(true);
    expect(s?.reason).toBe(CALL_ENDED);
    expect({ appId: ctx.appId, namespace: ctx.namespace, traceparent: ctx.traceparent, tracestate: ctx.tracestate }).toEqual({ appId: 'app', namespace: 'ns', traceparent: 'tp', tracestate: 'ts' });
  });

  it('made for a call already over, the signal is aborted at once', () => {
    const call = new FakeCall();
    call.cancel();
    expect(new GrpcCallContext('app', 'ns', call).signal?.aborted).toBe(true);
  });

  it('without a call there is no signal; a spread copy keeps identity and trace only', () => {
    const ctx = new GrpcCallContext('app', 'ns', undefined, 'tp');
    expect(ctx.signal).toBeUndefined();
    expect({ ...ctx }).toEqual({ appId: 'app', namespace: 'ns', traceparent: 'tp', tracestate: undefined });
  });

  it('lazy-abort protocol: handlers are told when the call ends, without making the signal', () => {
    const call = new FakeCall();
    const ctx = new GrpcCallContext('app', 'ns', call, undefined, undefined, 1234);
    const told: string[] = [];
    const a = { handleEvent: () => told.push('a') };
    const b = { handleEvent: () => told.push('b') };
    const c = { handleEvent: () => told.push('c') };
    expect(ctx.aborted).toBe(false);
    ctx.onAbort(a);
    ctx.onAbort(b);
    ctx.onAbort(c);
    ctx.offAbort(b);
    expect(call.listenerCount('cancelled')).toBe(1);
    call.cancel();
    expect(told).toEqual(['a', 'c']);
    expect(ctx.aborted).toBe(true);
    expect(ctx.signalIfMade).toBeUndefined();
    expect(ctx.deadline).toBe(1234);
    // asked for afterwards, the signal is aborted with CALL_ENDED
    expect(ctx.signal?.reason).toBe(CALL_ENDED);
    // a handler registered after the end is never told (the caller checks `aborted` first)
    ctx.onAbort({ handleEvent: () => told.push('late') });
    expect(told).toEqual(['a', 'c']);
  });

  it('lazy-abort protocol: a handler removed before the end is not told; a context without a call never tells', () => {
    const call = new FakeCall();
    const ctx = new GrpcCallContext('app', 'ns', call);
    const told: string[] = [];
    const h = { handleEvent: () => told.push('h') };
    ctx.onAbort(h);
    ctx.offAbort(h);
    call.cancel();
    expect(told).toEqual([]);
    const none = new GrpcCallContext('app', 'ns', undefined);
    none.onAbort(h);
    expect([none.aborted, none.signal, told]).toEqual([false, undefined, []]);
  });
});
