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
});
