import { describe, expect, it } from "vitest";
import { readRangesInOrder, type RangeReader } from "./ordered-ranges.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** Ranges are page counts; a reader yields `${range}:${i}` after a tick, and may split once. */
function counting(options: { splitFirst?: number[]; failAt?: string } = {}) {
  let reading = 0;
  const stats = { maxReading: 0, started: [] as number[] };
  const read: RangeReader<number, string> = async function* (range, splitAfter) {
    stats.started.push(range);
    for (let i = 0; i < range; i++) {
      reading++;
      stats.maxReading = Math.max(stats.maxReading, reading);
      await tick();
      reading--;
      if (`${range}:${i}` === options.failAt) throw new Error(`failed at ${range}:${i}`);
      if (i === 0 && options.splitFirst && range === 10) splitAfter(options.splitFirst);
      yield `${range}:${i}`;
    }
  };
  return { read, stats };
}

async function collect(iterable: AsyncIterable<string>, slowConsumer = false): Promise<string[]> {
  const pages: string[] = [];
  for await (const page of iterable) {
    pages.push(page);
    if (slowConsumer) await tick();
  }
  return pages;
}

describe("readRangesInOrder", () => {
  it("delivers every page in range order while reading several ranges at once, never more than asked", async () => {
    const { read, stats } = counting();
    const ranges = [3, 5, 2, 4, 1].map((range) => ({ range, open: false }));
    const pages = await collect(readRangesInOrder(ranges, read, { maxInFlight: () => 3, pagesAhead: () => 2 }), true);
    expect(pages).toEqual(["3:0", "3:1", "3:2", "5:0", "5:1", "5:2", "5:3", "5:4", "2:0", "2:1", "4:0", "4:1", "4:2", "4:3", "1:0"]);
    expect(stats.maxReading).toBe(3);
  });

  it("places split-off ranges right after the range that split, and starts an open range only when it is first", async () => {
    const { read, stats } = counting({ splitFirst: [2, 3] });
    const pages = await collect(
      readRangesInOrder(
        [
          { range: 10, open: false },
          { range: 1, open: true },
        ],
        read,
        { maxInFlight: () => 4, pagesAhead: () => 20 },
      ),
    );
    expect(pages.slice(-6)).toEqual(["2:0", "2:1", "3:0", "3:1", "3:2", "1:0"]);
    expect(stats.started.at(-1)).toBe(1);
  });

  it("a failing range fails the read only after every page before it was delivered", async () => {
    const { read } = counting({ failAt: "4:1" });
    const pages: string[] = [];
    const ranges = [2, 4, 3].map((range) => ({ range, open: false }));
    await expect(async () => {
      for await (const page of readRangesInOrder(ranges, read, { maxInFlight: () => 3, pagesAhead: () => 5 })) pages.push(page);
    }).rejects.toThrow("failed at 4:1");
    expect(pages).toEqual(["2:0", "2:1", "4:0"]);
  });

  it("keeps at most maxInFlight × pagesAhead pages waiting for a consumer that does not take them", async () => {
    const { read, stats } = counting();
    const ranges = Array.from({ length: 20 }, () => ({ range: 3, open: false }));
    const iterator = readRangesInOrder(ranges, read, { maxInFlight: () => 2, pagesAhead: () => 2 })[Symbol.asyncIterator]();
    await iterator.next();
    for (let i = 0; i < 30; i++) await tick();
    // The head range (which delivered one page) plus ranges that filled up: 2 × 2 pages waiting at most.
    expect(stats.started.length).toBeLessThanOrEqual(4);
    await iterator.return?.(undefined);
  });
});

describe("readRangesInOrder when a later range splits", () => {
  it("still reads the split-off range once it is first in line, though later ranges fill every slot", async () => {
    const read: RangeReader<string, string> = async function* (range, splitAfter) {
      // B learns its size late, after the ranges behind it have filled every slot with waiting pages.
      if (range === "B") {
        for (let i = 0; i < 20; i++) await tick();
        splitAfter(["B2"]);
      }
      for (let i = 0; i < 3; i++) yield `${range}:${i}`;
    };
    const ranges = ["A", "B", "C", "D", "E"].map((range) => ({ range, open: false }));
    const pages = await collect(readRangesInOrder(ranges, read, { maxInFlight: () => 2, pagesAhead: () => 2 }), true);
    expect(pages.filter((page) => page.endsWith(":0"))).toEqual(["A:0", "B:0", "B2:0", "C:0", "D:0", "E:0"]);
  });
});

describe("readRangesInOrder's limits", () => {
  it("are asked again as the read goes: after pagesAhead drops, fewer ranges start for a consumer that stopped", async () => {
    const startedWhen = async (dropTo: number): Promise<number> => {
      const { read, stats } = counting();
      let pagesAhead = 4;
      const ranges = Array.from({ length: 20 }, () => ({ range: 4, open: false }));
      const iterator = readRangesInOrder(ranges, read, { maxInFlight: () => 2, pagesAhead: () => pagesAhead })[Symbol.asyncIterator]();
      await iterator.next();
      pagesAhead = dropTo;
      for (let i = 0; i < 40; i++) await tick();
      await iterator.return?.(undefined);
      return stats.started.length;
    };
    expect(await startedWhen(1)).toBeLessThan(await startedWhen(4));
  });
});
