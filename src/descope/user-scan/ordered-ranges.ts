/**
 * Reads ranges of a scan concurrently and hands their pages out strictly in range order, so a checkpoint taken
 * after any page still means "everything before this is delivered". At most `maxInFlight` ranges are being read
 * at once; a range that has read `pagesAhead` pages the consumer has not taken yet pauses and frees its slot for
 * a later range, until `maxInFlight × pagesAhead` pages wait in all (memory stays bounded, and a long range
 * at the head does not stall the others). Both limits are asked again whenever a range starts or pauses, so the
 * caller may tighten them as it learns what pays. A running range may split off the rest of its span as new
 * ranges placed right after it (it learns its size from its first answer); an `open` range (one that can still
 * gain users) runs only once it is first in line.
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
  /** Paused with `pagesAhead` pages waiting for the consumer. */
  waitingForRoom = false;
  failure: unknown;
  private wakeConsumer?: () => void;
  private wakeProducer?: () => void;

  constructor(
    readonly range: R,
    readonly open: boolean,
  ) {}

  /** `idle` is told whenever this range stops using its slot (paused or finished). */
  async run(pages: AsyncIterable<P>, pagesAhead: () => number, cancelled: () => boolean, idle: () => void): Promise<void> {
    this.started = true;
    try {
      for await (const page of pages) {
        if (cancelled()) return;
        this.pages.push(page);
        this.wake();
        while (this.pages.length >= pagesAhead() && !cancelled()) {
          this.waitingForRoom = true;
          idle();
          await new Promise<void>((resolve) => (this.wakeProducer = resolve));
          this.waitingForRoom = false;
        }
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.finished = true;
      this.wake();
      idle();
    }
  }

  get reading(): boolean {
    return this.started && !this.finished && !this.waitingForRoom;
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
  limits: { maxInFlight: () => number; pagesAhead: () => number },
): AsyncGenerator<P> {
  const tasks = ranges.map((entry) => new RangeTask<R, P>(entry.range, entry.open));
  let cancelled = false;
  const pagesAheadNow = () => Math.max(1, limits.pagesAhead());
  const startReady = (): void => {
    const maxInFlight = Math.max(1, limits.maxInFlight());
    const pagesAhead = pagesAheadNow();
    let reading = tasks.filter((task) => task.reading).length;
    const waiting = tasks.reduce((sum, task) => sum + task.pages.length, 0);
    for (const [position, task] of tasks.entries()) {
      // The head always runs: ranges split off later may put an unread range ahead of ranges with pages waiting.
      const head = position === 0;
      if (!head && (reading >= maxInFlight || waiting >= maxInFlight * pagesAhead)) return;
      if (task.started) continue;
      if (task.open && !head) return;
      const splitAfter = (split: R[]) => {
        tasks.splice(tasks.indexOf(task) + 1, 0, ...split.map((range) => new RangeTask<R, P>(range, false)));
        startReady();
      };
      reading++;
      void task.run(read(task.range, splitAfter), pagesAheadNow, () => cancelled, startReady);
    }
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
