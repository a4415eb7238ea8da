/**
 * Reads ranges of a scan concurrently and hands their pages out strictly in range order, so a checkpoint taken
 * after any page still means "everything before this is delivered". Memory stays bounded: only the first
 * `maxInFlight` unfinished ranges run, each holding at most `pagesAhead` pages the consumer has not taken.
 * A running range may split off the rest of its span as new ranges placed right after it (it learns its size
 * from its first answer); an `open` range (one that can still gain users) runs only once it is first in line.
 */
export interface OrderedRange<R> {
  range: R;
  /** Runs only when every range before it has been delivered. */
  open: boolean;
}

export type RangeReader<R, P> = (range: R, splitAfter: (ranges: R[]) => void) => AsyncIterable<P>;

class RangeTask<R, P> {
  readonly pages: P[] = [];
  started = false;
  finished = false;
  failure: unknown;
  private wakeConsumer?: () => void;
  private wakeProducer?: () => void;

  constructor(
    readonly range: R,
    readonly open: boolean,
  ) {}

  async run(pages: AsyncIterable<P>, pagesAhead: number, cancelled: () => boolean): Promise<void> {
    this.started = true;
    try {
      for await (const page of pages) {
        if (cancelled()) return;
        this.pages.push(page);
        this.wake();
        while (this.pages.length >= pagesAhead && !cancelled()) await new Promise<void>((resolve) => (this.wakeProducer = resolve));
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.finished = true;
      this.wake();
    }
  }

  /** The next page, or undefined when the range is done; rethrows the range's failure after its good pages. */
  async next(): Promise<P | undefined> {
    while (this.pages.length === 0 && !this.finished) await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    if (this.pages.length > 0) {
      const page = this.pages.shift()!;
      this.release();
      return page;
    }
    if (this.failure !== undefined) throw this.failure;
    return undefined;
  }

  release(): void {
    const wake = this.wakeProducer;
    this.wakeProducer = undefined;
    wake?.();
  }

  private wake(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }
}

export async function* readRangesInOrder<R, P>(
  ranges: OrderedRange<R>[],
  read: RangeReader<R, P>,
  limits: { maxInFlight: () => number; pagesAhead: number },
): AsyncGenerator<P> {
  const tasks = ranges.map((entry) => new RangeTask<R, P>(entry.range, entry.open));
  let cancelled = false;
  const startReady = (): void => {
    const window = tasks.slice(0, Math.max(1, limits.maxInFlight()));
    window.forEach((task, position) => {
      if (task.started || (task.open && position > 0)) return;
      const splitAfter = (split: R[]) => {
        tasks.splice(tasks.indexOf(task) + 1, 0, ...split.map((range) => new RangeTask<R, P>(range, false)));
        startReady();
      };
      void task.run(read(task.range, splitAfter), limits.pagesAhead, () => cancelled);
    });
  };
  try {
    while (tasks.length > 0) {
      startReady();
      const page = await tasks[0]!.next();
      if (page === undefined) tasks.shift();
      else yield page;
    }
  } finally {
    cancelled = true;
    for (const task of tasks) task.release();
  }
}
