import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../integration_tests/emulator/rate-limiter.js";
import { AdaptivePace, RateBudget } from "./rate-budget.js";

/** A clock that only moves when the budget sleeps, so pacing is checked exactly and instantly. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

/**
 * Virtual time for concurrent sleepers: timers fire in time order, and each fires only after everything the
 * previous one set in motion has run (setImmediate comes after every pending promise continuation).
 */
function virtualTime() {
  let now = 0;
  const timers: { at: number; seq: number; resolve: () => void }[] = [];
  let seq = 0;
  const sleep = (ms: number) => new Promise<void>((resolve) => timers.push({ at: now + Math.max(0, ms), seq: seq++, resolve }));
  async function runUntil(endMs: number): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers.shift();
      if (!next || next.at > endMs) return;
      now = next.at;
      next.resolve();
    }
  }
  return { now: () => now, sleep, runUntil };
}

/**
 * `workers` requests in flight against the emulator's fixed-window limiter for `minutes` of Descope time, each
 * answered after `latencyMs`; a 429 pauses the pace for the server's Retry-After, as the client does.
 */
async function simulate(limit: { limit: number; windowMs: number }, options: { minutes: number; workers?: number; ceilingPerMinute?: number }) {
  const time = virtualTime();
  const limiter = new RateLimiter({ management: limit, userSearch: limit, audit: limit }, time.now);
  const pace = new AdaptivePace("management", 100, options.ceilingPerMinute ?? 6_000, time.now, time.sleep);
  const endMs = options.minutes * 60_000;
  const admittedAt: number[] = [];
  let requests = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const sentAt = await pace.take();
      if (stop) return;
      requests++;
      await time.sleep(20);
      const retryAfterS = limiter.admit("management");
      pace.answered(sentAt, retryAfterS !== undefined);
      if (retryAfterS === undefined) admittedAt.push(sentAt);
      else pace.pauseUntil(time.now() + retryAfterS * 1000);
    }
  };
  // Workers still asleep when the run ends are simply never woken.
  for (let i = 0; i < (options.workers ?? 4); i++) void worker();
  await time.runUntil(endMs);
  stop = true;
  const rateLimited = limiter.rejections.management;
  /** Requests Descope accepted per minute over the last half of the run: the steady state. */
  const steadyPerMinute = admittedAt.filter((at) => at >= endMs / 2).length / (options.minutes / 2);
  return { requests, rateLimited, steadyPerMinute, pace };
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

describe("AdaptivePace finds a per-IP limit nobody told it, with under 2% of requests answered 429", () => {
  it("the backend-SDK limit, 1000 requests / 10 s: it climbs from 100/min to the ceiling and never meets a 429", async () => {
    const run = await simulate({ limit: 1000, windowMs: 10_000 }, { minutes: 4 });
    expect(run.rateLimited).toBe(0);
    expect(run.pace.perMinute).toBe(6_000);
    expect(run.steadyPerMinute).toBeGreaterThan(0.9 * 6_000);
  });

  it("the plain API limit, 100 requests / 60 s: it settles just under it", async () => {
    const run = await simulate({ limit: 100, windowMs: 60_000 }, { minutes: 60 });
    expect(run.rateLimited / run.requests).toBeLessThan(0.02);
    expect(run.steadyPerMinute).toBeGreaterThan(0.85 * 100);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(100);
  });

  it("a limit in between (300 / 60 s), with 16 requests in flight", async () => {
    const run = await simulate({ limit: 300, windowMs: 60_000 }, { minutes: 30, workers: 16 });
    expect(run.rateLimited / run.requests).toBeLessThan(0.02);
    expect(run.steadyPerMinute).toBeGreaterThan(0.85 * 300);
  });

  it("never goes past a configured ceiling, and starts there when it is below 100/min", async () => {
    const run = await simulate({ limit: 1000, windowMs: 10_000 }, { minutes: 3, ceilingPerMinute: 60 });
    expect(run.pace.perMinute).toBe(60);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(60);
    expect(run.steadyPerMinute).toBeGreaterThan(0.9 * 60);
  });
});
