import { describe, expect, it } from "vitest";
import { RateBudget } from "./rate-budget.js";

/** A clock that only moves when the budget sleeps, so pacing is checked exactly and instantly. */
function fakeClock() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

describe("RateBudget", () => {
  it("lets `limit` requests through per sliding window and makes the next one wait for the window", async () => {
    const clock = fakeClock();
    const budget = new RateBudget("audit", 10, 60_000, clock.now, clock.sleep);
    const sentAt: number[] = [];
    for (let i = 0; i < 25; i++) {
      await budget.take();
      sentAt.push(clock.now());
    }
    expect(sentAt.slice(0, 10).every((t) => t === 0)).toBe(true);
    expect(sentAt[10]).toBe(60_000);
    expect(sentAt[20]).toBe(120_000);
    for (let i = 10; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 10]!).toBeGreaterThanOrEqual(60_000);
  });

  it("holds every request after a 429 until the server's retry time", async () => {
    const clock = fakeClock();
    const budget = new RateBudget("management", 100, 60_000, clock.now, clock.sleep);
    budget.pauseUntil(5_000);
    await budget.take();
    expect(clock.now()).toBe(5_000);
  });
});
