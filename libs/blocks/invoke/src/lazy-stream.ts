// An AsyncIterable whose source is opened at the first next() (after an async step such as name
// resolution) and whose return() goes straight to the source, even while a next() is pending:
// an async generator would queue that return() behind the pending next(), and a cancelled
// stream must not wait for its next item to be told.
const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;

class LazyStream<T> implements AsyncIterableIterator<T> {
  private inner: AsyncIterator<T> | undefined;
  private opening: Promise<AsyncIterator<T>> | undefined;
  private closed = false;

  constructor(private readonly open: () => Promise<AsyncIterable<T>> | AsyncIterable<T>) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.closed) return Promise.resolve(DONE);
    if (this.inner !== undefined) return this.inner.next();
    this.opening ??= Promise.resolve()
      .then(() => this.open())
      .then((s) => s[Symbol.asyncIterator]());
    return this.opening.then((it) => {
      if (this.closed) {
        void Promise.resolve(it.return?.()).catch(() => undefined);
        return DONE;
      }
      this.inner = it;
      return it.next();
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (this.closed) return Promise.resolve(DONE);
    this.closed = true;
    const it = this.inner;
    if (it?.return !== undefined) return Promise.resolve(it.return()).then(() => DONE, () => DONE);
    return Promise.resolve(DONE);
  }
}

/** A stream opened by `open` at the first next(); its open failing fails that next(). */
export function lazyStream<T>(open: () => Promise<AsyncIterable<T>> | AsyncIterable<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => new LazyStream(open) };
}
