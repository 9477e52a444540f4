/** A counting semaphore: at most `limit` tasks run at once; the rest wait their turn, in order. */
export class Limiter {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`Concurrency limit must be at least 1 (got ${limit})`);
  }

  get running(): number {
    return this.#running;
  }

  get full(): boolean {
    return this.#running >= this.limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so #running stays the same.
      if (next) next();
      else this.#running--;
    }
  }
}

/** Tracks running promises so a stop can wait for them (and forget them when they settle). */
export class TaskSet {
  readonly #tasks = new Set<Promise<unknown>>();

  get size(): number {
    return this.#tasks.size;
  }

  /** `task` must handle its own errors; a rejection is only swallowed here, never reported. */
  add(task: Promise<unknown>): void {
    this.#tasks.add(task);
    const forget = (): void => void this.#tasks.delete(task);
    task.then(forget, forget);
  }

  async settled(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }
}
