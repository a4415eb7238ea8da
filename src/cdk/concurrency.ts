export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Maps a source (an array, or an async source such as user pages) through `fn` with at most `limit` calls in
 * flight, pipelined: up to `limit` calls stay in flight across the source's pages
 * (no barrier at the end of each page or round, and the source is pulled while calls run), results come out in
 * input order. The source is only pulled while fewer than `limit` calls are pending, so memory stays bounded.
 */
export async function* mapConcurrentOrdered<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
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
