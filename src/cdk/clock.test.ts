import { afterEach, describe, expect, it } from "vitest";
import { startClockAt, startClockFromEnvironment } from "./clock.js";

const realNow = Date.now;
afterEach(() => {
  Date.now = realNow;
});

describe("clock start", () => {
  it("reads the given instant now and keeps ticking; the restore function puts the real clock back", async () => {
    const restore = startClockAt(Date.UTC(2025, 0, 15));
    const first = Date.now();
    expect(first - Date.UTC(2025, 0, 15)).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(Date.now()).toBeGreaterThan(first);
    restore();
    expect(Math.abs(Date.now() - realNow())).toBeLessThan(1000);
  });

  it("from the environment: unset leaves the clock alone, an ISO date-time starts it there, anything else is refused", () => {
    startClockFromEnvironment("CLOCK_START", {});
    expect(Date.now).toBe(realNow);
    startClockFromEnvironment("CLOCK_START", { CLOCK_START: "2025-01-15T12:00:00Z" });
    expect(Math.abs(Date.now() - Date.UTC(2025, 0, 15, 12))).toBeLessThan(1000);
    for (const value of ["1736942400000", "yesterday", "2025-13-45T99:00:00Z"]) {
      expect(() => startClockFromEnvironment("CLOCK_START", { CLOCK_START: value }), value).toThrow(/CLOCK_START must be an ISO date-time/);
    }
  });
});
