// BindingsBlock over recording fake bindings: output invocation (errors, operations, metadata and
// trace context, scopes, direction, resiliency), input listing, read/settle streams and their
// failure semantics; the loader's direction/route handling; Go-style JSON.
import { isApiError } from '@tessera/contracts';
import type { ApiError, BindingDelivery, CallContext } from '@tessera/contracts';
import { BindingError } from '@tessera/spi';
import type { Binding, BindingInvokeRequest, BindingInvokeResponse, BindingReadHandler, BindingReader, LoadableComponentSpec } from '@tessera/spi';
import { BindingComponents } from './binding-components';
import type { BindingEntry } from './binding-components';
import { BindingsBlock } from './bindings.block';
import { loadBindings, parseDirection } from './bindings-loader';
import { ReaderClosedError } from './read-stream';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class FakeBinding implements Binding {
  readonly calls: BindingInvokeRequest[] = [];
  answer: BindingInvokeResponse | undefined = { data: Buffer.from('"ok"'), metadata: { 'rows-affected': '1' } };
  fail: Error | undefined;
  failures = 0;
  handlers: BindingReadHandler[] = [];
  readers = 0;
  closedReaders = 0;
  readFails: Error | undefined;
  closed = false;
  async init(): Promise<void> {
    return undefined;
  }
  operations(): readonly string[] {
    return ['create', 'get'];
  }
  async invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    this.calls.push(req);
    if (this.failures > 0) {
      this.failures--;
      throw new BindingError('backend', 'flaky backend');
    }
    if (this.fail) throw this.fail;
    return this.answer;
  }
  async read(handler: BindingReadHandler): Promise<BindingReader> {
    if (this.readFails) throw this.readFails;
    this.readers++;
    this.handlers.push(handler);
    return {
      close: async () => {
        this.closedReaders++;
        this.handlers = this.handlers.filter((h) => h !== handler);
      },
    };
  }
  /** Emits one event to every reader; resolves with each handler's outcome. */
  emit(data: string, metadata: Record<string, string> = {}): Promise<Array<'ok' | Error>> {
    return Promise.all(this.handlers.map((h) => h({ data: Buffer.from(data), metadata }).then(() => 'ok' as const, (e: Error) => e)));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** An output-only component (no read()). */
class OutputOnly implements Binding {
  async init(): Promise<void> {
    return undefined;
  }
  operations(): readonly string[] {
    return ['create'];
  }
  async invoke(): Promise<undefined> {
    return undefined;
  }
  async close(): Promise<void> {
    return undefined;
  }
}

const ctx: CallContext = { appId: 'app1', namespace: '' };

function entry(name: string, binding: Binding, over: Partial<BindingEntry> = {}): BindingEntry {
  return { name, type: 'bindings.fake', version: 'v1', binding, input: typeof binding.read === 'function', output: typeof binding.invoke === 'function', route: name, scopes: [], ...over };
}

async function errorOf(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

const shape = (e: ApiError) => ({ code: e.code, httpStatus: e.httpStatus, grpcCode: e.grpcCode, message: e.message });

describe('BindingsBlock.invoke', () => {
  it('passes operation, data and metadata; answers the data and metadata', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const res = await block.invoke({ name: 'b', operation: 'create', data: Buffer.from('"hi"'), metadata: { key: 'k1' } }, ctx);
    expect(res).toEqual({ data: Buffer.from('"ok"'), metadata: { 'rows-affected': '1' } });
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0] as BindingInvokeRequest;
    expect(call.operation).toBe('create');
    expect(Buffer.from(call.data).toString()).toBe('"hi"');
    expect(call.metadata['key']).toBe('k1');
  });

  it('adds the caller trace context to the metadata, or a fresh traceparent', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await block.invoke({ name: 'b', operation: 'get', data: Buffer.alloc(0), metadata: {} }, { ...ctx, traceparent: tp, tracestate: 'congo=t61rcWkgMzE' });
    expect(fake.calls[0]?.metadata).toEqual({ traceparent: tp, tracestate: 'congo=t61rcWkgMzE' });
    await block.invoke({ name: 'b', operation: 'get', data: Buffer.alloc(0), metadata: {} }, ctx);
    expect(fake.calls[1]?.metadata['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(fake.calls[1]?.metadata['tracestate']).toBeUndefined();
  });

  it('no result: empty data and metadata (the HTTP edge answers 204)', async () => {
    const fake = new FakeBinding();
    fake.answer = undefined;
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    expect(await block.invoke({ name: 'b', operation: 'create', data: Buffer.from('1'), metadata: {} }, ctx)).toEqual({ data: Buffer.alloc(0), metadata: {} });
  });

  it('unknown, out-of-scope and input-only bindings: ERR_INVOKE_OUTPUT_BINDING 500 "couldn\'t find output binding"', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(
      new BindingComponents([entry('scoped', fake, { scopes: ['other'] }), entry('inonly', new FakeBinding(), { output: false })]),
    );
    for (const name of ['nope', 'scoped', 'inonly']) {
      const e = await errorOf(block.invoke({ name, operation: 'create', data: Buffer.alloc(0), metadata: {} }, ctx));
      expect(shape(e)).toEqual({ code: 'ERR_INVOKE_OUTPUT_BINDING', httpStatus: 500, grpcCode: 13, message: `error invoking output binding ${name}: couldn't find output binding ${name}` });
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('missing or unsupported operation: ERR_INVOKE_OUTPUT_BINDING naming the supported ones; the component is not called', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const missing = await errorOf(block.invoke({ name: 'b', operation: '', data: Buffer.alloc(0), metadata: {} }, ctx));
    expect(missing.message).toBe('error invoking output binding b: operation field is missing from request');
    const bad = await errorOf(block.invoke({ name: 'b', operation: 'explode', data: Buffer.alloc(0), metadata: {} }, ctx));
    expect(shape(bad)).toEqual({
      code: 'ERR_INVOKE_OUTPUT_BINDING',
      httpStatus: 500,
      grpcCode: 13,
      message: 'error invoking output binding b: binding b does not support operation explode. supported operations:create get',
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('component failure: ERR_INVOKE_OUTPUT_BINDING with the component message', async () => {
    const fake = new FakeBinding();
    fake.fail = new BindingError('backend', 'connection refused');
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const e = await errorOf(block.invoke({ name: 'b', operation: 'create', data: Buffer.alloc(0), metadata: {} }, ctx));
    expect(shape(e)).toEqual({ code: 'ERR_INVOKE_OUTPUT_BINDING', httpStatus: 500, grpcCode: 13, message: 'error invoking output binding b: connection refused' });
  });

  it('runs the component under its outbound policy; bad-request failures are not retried', async () => {
    const fake = new FakeBinding();
    fake.failures = 2;
    const retry3 = {
      async run<T>(fn: (s: AbortSignal) => Promise<T>): Promise<T> {
        let last: unknown;
        for (let i = 0; i < 3; i++) {
          try {
            return await fn(new AbortController().signal);
          } catch (e) {
            last = e;
            if (isApiError(e) && !e.retryable) throw e;
          }
        }
        throw last;
      },
    };
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]), { policyFor: () => retry3 });
    await block.invoke({ name: 'b', operation: 'create', data: Buffer.alloc(0), metadata: {} }, ctx);
    expect(fake.calls).toHaveLength(3);
    fake.fail = new BindingError('bad-request', 'metadata key is required');
    const e = await errorOf(block.invoke({ name: 'b', operation: 'create', data: Buffer.alloc(0), metadata: {} }, ctx));
    expect(e.message).toBe('error invoking output binding b: metadata key is required');
    expect(fake.calls).toHaveLength(4);
  });
});

describe('BindingsBlock input side', () => {
  it('listInputBindings: input-capable, direction and scopes applied, with routes', async () => {
    const block = new BindingsBlock(
      new BindingComponents([
        entry('cron', new FakeBinding(), { route: 'ticks' }),
        entry('out', new OutputOnly()),
        entry('outdir', new FakeBinding(), { input: false }),
        entry('theirs', new FakeBinding(), { scopes: ['other'] }),
        entry('mine', new FakeBinding(), { scopes: ['app1'] }),
      ]),
    );
    expect(await block.listInputBindings(ctx)).toEqual([
      { name: 'cron', route: 'ticks' },
      { name: 'mine', route: 'mine' },
    ]);
    expect((await block.listComponents(ctx)).map((c) => [c.name, c.capabilities])).toEqual([
      ['cron', ['INPUT_BINDING', 'OUTPUT_BINDING']],
      ['out', ['OUTPUT_BINDING']],
      ['outdir', ['OUTPUT_BINDING']],
      ['mine', ['INPUT_BINDING', 'OUTPUT_BINDING']],
    ]);
  });

  it('read: first item is the reader id, then events; settle ok resolves the component handler', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const it = block.read({ name: 'b' }, ctx)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    const readerId = (first.value as BindingDelivery).readerId;
    expect(readerId).not.toBe('');
    expect((first.value as BindingDelivery).deliveryId).toBe('');
    expect(fake.readers).toBe(1);
    expect(block.activeReaders).toBe(1);

    const outcome = fake.emit('{"n":1}', { readTimeUTC: 'now' });
    const ev = (await it.next()).value as BindingDelivery;
    expect(ev).toMatchObject({ readerId, metadata: { readTimeUTC: 'now' } });
    expect(Buffer.from(ev.data).toString()).toBe('{"n":1}');
    let settled = false;
    void outcome.then(() => (settled = true));
    await sleep(10);
    expect(settled).toBe(false); // held until the app answered
    await block.settle({ readerId, deliveryId: ev.deliveryId, ok: true, error: '' }, ctx);
    expect(await outcome).toEqual(['ok']);
  });

  it('settle not ok rejects the handler with the reason; unknown ids and other apps are ignored', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const it = block.read({ name: 'b' }, ctx)[Symbol.asyncIterator]();
    const readerId = ((await it.next()).value as BindingDelivery).readerId;
    const outcome = fake.emit('x');
    const ev = (await it.next()).value as BindingDelivery;
    await block.settle({ readerId, deliveryId: 'nope', ok: true, error: '' }, ctx);
    await block.settle({ readerId, deliveryId: ev.deliveryId, ok: true, error: '' }, { ...ctx, appId: 'intruder' });
    await block.settle({ readerId, deliveryId: ev.deliveryId, ok: false, error: 'app said 500' }, ctx);
    const [r] = await outcome;
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toBe('app said 500');
  });

  it('leaving the loop fails back unsettled events and closes the component reader', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const stream = block.read({ name: 'b' }, ctx);
    const outcomes: Promise<Array<'ok' | Error>>[] = [];
    for await (const d of stream) {
      if (d.deliveryId === '') {
        outcomes.push(fake.emit('a'), fake.emit('b'));
        continue;
      }
      break; // one event taken and not settled, one still queued
    }
    const results = (await Promise.all(outcomes)).flat();
    expect(results).toHaveLength(2);
    for (const r of results) expect(r).toBeInstanceOf(ReaderClosedError);
    expect(fake.closedReaders).toBe(1);
    expect(block.activeReaders).toBe(0);
    // a late handler call is refused too
    expect(await fake.emit('late')).toEqual([]);
  });

  it('ctx.signal aborting ends the stream; close() ends every reader and refuses new ones', async () => {
    const fake = new FakeBinding();
    const block = new BindingsBlock(new BindingComponents([entry('b', fake)]));
    const ac = new AbortController();
    const it = block.read({ name: 'b' }, { ...ctx, signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    ac.abort();
    expect((await pending).done).toBe(true);
    await sleep(5);
    expect(fake.closedReaders).toBe(1);

    const it2 = block.read({ name: 'b' }, ctx)[Symbol.asyncIterator]();
    await it2.next();
    const outcome = fake.emit('x');
    await it2.next();
    await block.close();
    expect(await outcome).toEqual([expect.any(ReaderClosedError)]);
    expect(fake.closedReaders).toBe(2);
    const e = await errorOf(block.read({ name: 'b' }, ctx)[Symbol.asyncIterator]().next());
    expect(e.retryable).toBe(false);
  });

  it('unknown / out-of-scope / output-only binding: the first next() rejects, not retryable; a component that cannot start: retryable', async () => {
    const failing = new FakeBinding();
    failing.readFails = new Error('broker down');
    const block = new BindingsBlock(
      new BindingComponents([entry('scoped', new FakeBinding(), { scopes: ['x'] }), entry('out', new OutputOnly()), entry('failing', failing)]),
    );
    for (const name of ['nope', 'scoped', 'out']) {
      const e = await errorOf(block.read({ name }, ctx)[Symbol.asyncIterator]().next());
      expect([e.message, e.retryable]).toEqual([`couldn't find input binding ${name}`, false]);
    }
    const e = await errorOf(block.read({ name: 'failing' }, ctx)[Symbol.asyncIterator]().next());
    expect([e.message, e.retryable]).toEqual(['error reading input binding failing: broker down', true]);
    expect(block.activeReaders).toBe(0);
  });
});

describe('loadBindings', () => {
  const spec = (name: string, metadata: Record<string, string> = {}, over: Partial<LoadableComponentSpec> = {}): LoadableComponentSpec => ({
    name,
    type: 'bindings.fake',
    version: 'v1',
    metadata,
    scopes: [],
    initTimeoutMs: 1000,
    ignoreErrors: false,
    file: 'f.yaml',
    ...over,
  });
  const log = { info: () => undefined, warn: jest.fn() };

  it('reads direction and route; absent direction = whatever the component has', async () => {
    const loaded = await loadBindings(
      [spec('both'), spec('inonly', { direction: 'input', route: '/events' }), spec('outonly', { Direction: 'output' }), spec('out2', {}, { type: 'bindings.out' })],
      (type) => (type === 'bindings.out' ? () => new OutputOnly() : () => new FakeBinding()),
      'app1',
      log,
    );
    const by = (n: string) => loaded.get(n, 'app1');
    expect([by('both')?.input, by('both')?.output, by('both')?.route]).toEqual([true, true, 'both']);
    expect([by('inonly')?.input, by('inonly')?.output, by('inonly')?.route]).toEqual([true, false, '/events']);
    expect([by('outonly')?.input, by('outonly')?.output]).toEqual([false, true]);
    expect([by('out2')?.input, by('out2')?.output]).toEqual([false, true]);
  });

  it('a direction the component cannot serve, a bad direction, an unknown type: start-up fails naming the file; ignoreErrors skips', async () => {
    const factory = (type: string) => (type === 'bindings.out' ? () => new OutputOnly() : type === 'bindings.fake' ? () => new FakeBinding() : undefined);
    await expect(loadBindings([spec('x', { direction: 'input' }, { type: 'bindings.out' })], factory, 'a', log)).rejects.toThrow(
      'f.yaml: component "x": failed to initialise bindings.out: metadata field "direction": expected no "input": bindings.out is not an input binding',
    );
    await expect(loadBindings([spec('x', { direction: 'sideways' })], factory, 'a', log)).rejects.toThrow(/direction.*sideways/);
    await expect(loadBindings([spec('x', {}, { type: 'bindings.nope' })], factory, 'a', log)).rejects.toThrow('f.yaml: component "x": spec.type: no binding bindings.nope/v1 in this build');
    const loaded = await loadBindings([spec('x', { direction: 'sideways' }, { ignoreErrors: true }), spec('ok')], factory, 'a', log);
    expect(loaded.all().map((e) => e.name)).toEqual(['ok']);
  });

  it('closes what it started when a later component fails', async () => {
    const first = new FakeBinding();
    await expect(
      loadBindings([spec('a'), spec('b', { direction: 'bogus' })], () => () => (first.closed ? new FakeBinding() : first), 'a', log),
    ).rejects.toThrow();
    expect(first.closed).toBe(true);
  });

  it('parseDirection', () => {
    expect(parseDirection(undefined)).toBeUndefined();
    expect(parseDirection(' ')).toBeUndefined();
    expect(parseDirection('input, output')).toEqual({ input: true, output: true });
    expect(parseDirection('Output')).toEqual({ input: false, output: true });
  });
});
