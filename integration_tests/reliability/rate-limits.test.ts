import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type RequestLogEntry } from "../emulator/index.js";
import { configuredCatalog, emulatorConfig, logs, records, runConnector } from "../helpers/connector.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const MANAGEMENT_PATHS = new Set(["/v1/mgmt/license", "/v1/mgmt/user/provider/token", "/v1/mgmt/user/history"]);

/**
 * Requests Descope accepted in each of its fixed windows, replayed the way the emulator's limiter opens them: the
 * first accepted request opens a window, the first one at or after its end opens the next.
 */
function acceptedPerWindow(requests: RequestLogEntry[], windowMs: number): number[] {
  const counts: number[] = [];
  let windowStart = -Infinity;
  for (const request of requests) {
    if (request.status === 429) continue;
    if (request.at >= windowStart + windowMs) {
      windowStart = request.at;
      counts.push(0);
    }
    counts[counts.length - 1]!++;
  }
  return counts;
}

/**
 * The per-IP management limit the connector is never told (docs/descope-api-notes.md §0.1 item 9): it must find either one from
 * its safe start (the plain limit, 100/min), keep 429s under 2% of its requests, and keep the provider-token fan-out near the limit.
 * Descope's windows run `scale` times faster on both sides; the connector reads ~0.4 token calls per user.
 */
async function syncAgainst(limit: { limit: number; windowS: number }, scale: number, users: number) {
  const windowMs = limit.windowS * 1000 * scale;
  emulator = await startEmulator({
    users,
    testUsers: 0,
    timeScale: scale,
    rateLimits: { management: { limit: limit.limit, windowMs: limit.windowS * 1000 }, userSearch: { limit: 200, windowMs: 60_000 } },
  });
  const result = await runConnector("read", {
    config: emulatorConfig(emulator, { max_concurrent_requests: 8 }),
    catalog: configuredCatalog(["provider_tokens"]),
    env: { SOURCE_DESCOPE_TIME_SCALE: String(scale) },
  });
  expect(result.exitCode).toBe(0);
  expect(records(result, "provider_tokens")).toHaveLength(emulator.store.providerTokens.length);
  const management = emulator.requests.filter((request) => MANAGEMENT_PATHS.has(request.path));
  const windows = acceptedPerWindow(management, windowMs);
  const summary = logs(result).find((log) => /^provider_tokens: [\d,]+ records/.test(log.message))!.message;
  return { management, windows, rateLimited: emulator.rateLimitHits.management, summary };
}

describe("management requests find Descope's per-IP limit without being told", () => {
  it("the backend-SDK limit, 1000 requests / 10 s: the pace climbs to the ceiling (6,000/min), fills the windows, no 429", async () => {
    const run = await syncAgainst({ limit: 1000, windowS: 10 }, 0.5, 8_000);
    expect(run.rateLimited).toBe(0);
    expect(run.summary).toMatch(/management: [\d,]+ requests \(0 rate-limited\), pace 6,000\/min/);
    // Past the first window (the plain limit's 100, then the probe past it) and before the last, partial one, the
    // windows are nearly full.
    const steady = run.windows.slice(1, -1);
    expect(steady.length).toBeGreaterThanOrEqual(2);
    for (const accepted of steady) expect(accepted).toBeGreaterThan(0.8 * 1000);
  });

  it("the plain API limit, 100 requests / 60 s: under 2% answered 429, and the windows stay nearly full", async () => {
    const run = await syncAgainst({ limit: 100, windowS: 60 }, 0.01, 4_000);
    expect(run.management.length).toBeGreaterThan(1_000);
    expect(run.rateLimited / run.management.length).toBeLessThan(0.02);
    expect(run.summary).toContain(`(${run.rateLimited} rate-limited)`);
    const steady = run.windows.slice(1, -1);
    expect(steady.length).toBeGreaterThanOrEqual(8);
    const mean = steady.reduce((sum, accepted) => sum + accepted, 0) / steady.length;
    expect(mean).toBeGreaterThan(0.8 * 100);
  });
});
