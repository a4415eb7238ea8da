import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../integration_tests/emulator/rate-limiter.js";
import { budgetLimits, Pace, type PaceLimits, perIpLimits, WINDOW_SAFETY_FACTOR } from "./rate-budget.js";

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
 * answered after `latencyMs`, told back to the pace as the client does.
 */
async function simulate(
  limit: { limit: number; windowMs: number },
  options: { minutes: number; workers?: number; latencyMs?: number; paceLimits?: PaceLimits; othersPerMinute?: number },
) {
  const time = virtualTime();
  const limiter = new RateLimiter({ management: limit, userSearch: limit, audit: limit }, time.now);
  const pace = new Pace("management", options.paceLimits ?? perIpLimits(6_000), time.now, time.sleep);
  const endMs = options.minutes * 60_000;
  const admittedAt: number[] = [];
  let requests = 0;
  let rateLimited = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const ticket = await pace.take();
      if (stop) return;
      requests++;
      await time.sleep(options.latencyMs ?? 100);
      const retryAfterS = limiter.admit("management");
      pace.answered(ticket, retryAfterS === undefined ? "accepted" : { retryAfterS });
      if (retryAfterS === undefined) admittedAt.push(ticket.sentAtMs);
      else rateLimited++;
    }
  };
  // Another client on the same IP, evenly spaced, using part of the same limit.
  const others = async (perMinute: number) => {
    while (!stop) {
      limiter.admit("management");
      await time.sleep(60_000 / perMinute);
    }
  };
  if (options.othersPerMinute) void others(options.othersPerMinute);
  // Workers still asleep when the run ends are simply never woken.
  for (let i = 0; i < (options.workers ?? 16); i++) void worker();
  await time.runUntil(endMs);
  stop = true;

  /** Requests Descope accepted per minute over the last half of the run: the steady state. */
  const steadyPerMinute = admittedAt.filter((at) => at >= endMs / 2).length / (options.minutes / 2);
  /** When Descope had accepted `count` requests. */
  const acceptedBy = (count: number) => admittedAt[count - 1];
  return { requests, rateLimited, steadyPerMinute, acceptedBy, pace };
}

describe("a budget we set ourselves (user search, audit)", () => {
  it("lets `limit` requests through per sliding (widened) minute and makes the next one wait for the window", async () => {
    const clock = fakeClock();
    const budget = new Pace("audit", budgetLimits(10), clock.now, clock.sleep);
    const sentAt: number[] = [];
    for (let i = 0; i < 25; i++) sentAt.push((await budget.take()).sentAtMs);
    expect(sentAt.slice(0, 10).every((t) => t === 0)).toBe(true);
    expect(sentAt[10]).toBe(60_000 * WINDOW_SAFETY_FACTOR);
    for (let i = 10; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 10]!).toBeGreaterThanOrEqual(60_000);
  });

  it("holds every request after a 429 until the server's retry time", async () => {
    const clock = fakeClock();
    const budget = new Pace("userSearch", budgetLimits(150), clock.now, clock.sleep);
    budget.answered(await budget.take(), { retryAfterS: 5 });
    await budget.take();
    expect(clock.now()).toBe(5_000);
  });

  it("a budget above what Descope allows (another tier; the customer's app using more than its share) gives way after a 429", async () => {
    const run = await simulate({ limit: 100, windowMs: 60_000 }, { minutes: 30, paceLimits: budgetLimits(150) });
    // Held at 150 it would meet a 429 burst (every request in flight) in every window: 11% of its requests.
    expect(run.rateLimited / run.requests).toBeLessThan(0.02);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(100);
    expect(run.steadyPerMinute).toBeGreaterThan(0.85 * 100);
  });
});

describe("the management pace finds a per-IP limit nobody told it, with under 2% of requests answered 429", () => {
  it("the backend-SDK limit, 1000 requests / 10 s: past the plain limit within seconds, then at the ceiling without a 429", async () => {
    const run = await simulate({ limit: 1000, windowMs: 10_000 }, { minutes: 4 });
    expect(run.rateLimited).toBe(0);
    expect(run.pace.perMinute).toBeGreaterThan(0.95 * 6_000);
    // 16 requests in flight at 100 ms each need 6.25 s for 1000 unpaced; the probe (50 requests, three at a
    // time) costs about one second more. (Doubling from 100/min every 2 s took 14 s.)
    expect(run.acceptedBy(1_000)).toBeLessThan(8_000);
    expect(run.steadyPerMinute).toBeGreaterThan(0.95 * 6_000);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(6_000);
  });

  it("the plain API limit, 100 requests / 60 s: at most three 429s (the probes in flight) with 32 requests waiting, then just under it", async () => {
    const run = await simulate({ limit: 100, windowMs: 60_000 }, { minutes: 60, workers: 32 });
    expect(run.rateLimited).toBeLessThanOrEqual(3);
    expect(run.rateLimited).toBeGreaterThan(0);
    expect(run.steadyPerMinute).toBeGreaterThan(0.9 * 100);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(100);
  });

  it("a limit in between (300 / 60 s): one burst of 429s, then 95% of it", async () => {
    const run = await simulate({ limit: 300, windowMs: 60_000 }, { minutes: 30 });
    expect(run.rateLimited / run.requests).toBeLessThan(0.02);
    expect(run.steadyPerMinute).toBeGreaterThan(0.9 * 300);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(300);
  });

  it("a limit below the plain one (50 / 60 s)", async () => {
    const run = await simulate({ limit: 50, windowMs: 60_000 }, { minutes: 60 });
    expect(run.rateLimited / run.requests).toBeLessThan(0.02);
    expect(run.steadyPerMinute).toBeGreaterThan(0.85 * 50);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(50);
  });

  it("another client on the same IP using 40 of 100 / 60 s: the pace settles on the rest", async () => {
    const run = await simulate({ limit: 100, windowMs: 60_000 }, { minutes: 60, othersPerMinute: 40 });
    expect(run.rateLimited / run.requests).toBeLessThan(0.02);
    expect(run.steadyPerMinute).toBeGreaterThan(0.8 * 60);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(60);
  });

  it("a ceiling configured above the backend-SDK limit: the 429's Retry-After points to the 10 s window", async () => {
    const run = await simulate({ limit: 1000, windowMs: 10_000 }, { minutes: 10, paceLimits: perIpLimits(12_000) });
    expect(run.rateLimited / run.requests).toBeLessThan(0.02);
    expect(run.steadyPerMinute).toBeGreaterThan(0.85 * 6_000);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(6_000);
  });

  it("never goes past a configured ceiling, and holds it from the start when it is below 100/min", async () => {
    const run = await simulate({ limit: 1000, windowMs: 10_000 }, { minutes: 3, paceLimits: perIpLimits(60) });
    expect(run.pace.perMinute).toBeLessThanOrEqual(60);
    expect(run.acceptedBy(10)).toBe(0);
    expect(run.steadyPerMinute).toBeLessThanOrEqual(60);
    expect(run.steadyPerMinute).toBeGreaterThan(0.9 * 60);
  });
});
