/**
 * A one-consumer queue that the producer fills at its own pace. The reply runs to the end
 * whatever the client does: when the consumer stops reading (returns the iterator), later
 * pushes are dropped instead of piling up, and the producer never waits for it.
 */
export function channel<T>() {
  const queue: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let closed = false;
  let detached = false;

  const iterator: AsyncIterableIterator<T> = {
    next() {
      const item = queue.shift();
      if (item !== undefined) return Promise.resolve({ value: item, done: false });
      if (closed || detached) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      detached = true;
      queue.length = 0;
      const w = waiting;
      waiting = undefined;
      w?.({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };

  return {
    push(item: T) {
      if (closed || detached) return;
      const w = waiting;
      if (w) {
        waiting = undefined;
        w({ value: item, done: false });
      } else queue.push(item);
    },
    close() {
      closed = true;
      const w = waiting;
      waiting = undefined;
      w?.({ value: undefined, done: true });
    },
    get detached() {
      return detached;
    },
    iterable: iterator as AsyncIterable<T>,
  };
}

export type Channel<T> = ReturnType<typeof channel<T>>;
