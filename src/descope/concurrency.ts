/**
 * Maps items through an async function with at most `limit` calls in flight, keeping the input order in the
 * result so records come out deterministically however the calls finish.
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Starts fetching the source's next item as soon as the current one is handed out, so the next request runs
 * while the consumer works on this one (one item ahead, so memory stays bounded).
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      // A failure is reported when that item is awaited; if the consumer stops first, nobody needs it.
      next.catch(() => {});
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * `mapConcurrent` over an async source, pipelined: up to `limit` calls stay in flight across the source's pages
 * (no barrier at the end of each page or round, and the source is pulled while calls run), results come out in
 * input order. The source is only pulled while fewer than `limit` calls are pending, so memory stays bounded.
 */
export async function* mapConcurrentOrdered<T, R>(source: AsyncIterable<T>, limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const iterator = source[Symbol.asyncIterator]();
  const pending: Promise<R>[] = [];
  let sourceDone = false;
  try {
    for (;;) {
      while (!sourceDone && pending.length < limit) {
        const result = await iterator.next();
        if (result.done) sourceDone = true;
        else {
          const call = fn(result.value);
          call.catch(() => {}); // reported in order, below
          pending.push(call);
        }
      }
      if (pending.length === 0) return;
      yield await pending.shift()!;
    }
  } finally {
    if (!sourceDone) await iterator.return?.();
  }
}
