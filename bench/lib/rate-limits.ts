/**
 * Rate-limited runs on a scaled clock: the emulator (`--time-scale`) and the connector (SOURCE_DESCOPE_TIME_SCALE)
 * both run Descope's minutes `timeScale` times as long, so limits, windows and latency are written in Descope's
 * own units and a 7-minute sync takes seconds. The floor of a run is what the limits allow for the requests it
 * made: per bucket, admitted ÷ limit × window; the run's floor is that of its busiest bucket.
 */
import { execFileSync } from "node:child_process";
import type { RequestLog } from "./emulator.js";
import { BENCH_ROOT, SOURCE_BIN } from "./measure.js";

export type Bucket = "userSearch" | "management" | "audit";

/** Limits in Descope's units (unscaled). */
export interface Limit {
  limit: number;
  windowMs: number;
}

export function bucketOf(path: string): Bucket {
  if (path.startsWith("/v1/mgmt/user/search") || path.startsWith("/v2/mgmt/user/search")) return "userSearch";
  return path.startsWith("/v1/mgmt/audit") ? "audit" : "management";
}

/** Emulator flags enforcing `limits` on a clock scaled by `timeScale`, with `latencyMs` (unscaled) per request. */
export function scaledEmulatorFlags(limits: Partial<Record<Bucket, Limit>>, timeScale: number, latencyMs: number): string[] {
  const rateLimits = Object.entries(limits).flatMap(([bucket, { limit, windowMs }]) => ["--rate-limit", `${bucket}=${limit}/${windowMs}`]);
  return [...rateLimits, "--time-scale", String(timeScale), "--latency-ms", String(latencyMs)];
}

/**
 * The built connector's default for a spec property (e.g. `user_search_requests_per_minute`), so the floors follow
 * the connector's own share of Descope's limits as it changes.
 */
export function connectorSpecDefault(property: string): number {
  const output = execFileSync(process.execPath, [SOURCE_BIN, "spec"], { cwd: BENCH_ROOT, encoding: "utf8" });
  const spec = output
    .split("\n")
    .map(
      (line) =>
        JSON.parse(line || "{}") as { type?: string; spec?: { connectionSpecification: { properties: Record<string, { default?: unknown }> } } },
    )
    .find((m) => m.type === "SPEC");
  const value = spec?.spec?.connectionSpecification.properties[property]?.default;
  if (typeof value !== "number") throw new Error(`the connector's spec has no numeric default for ${property}`);
  return value;
}

export interface Floor {
  /** Real (scaled) milliseconds the busiest bucket needs at its limit. */
  floorMs: number;
  binding: Bucket;
  admitted: Map<Bucket, number>;
  rejected: number;
  total: number;
}

/** The floor of the requests in `log`, answered or not by 429, against `limits` (unscaled) on a `timeScale` clock. */
export function rateLimitFloor(log: RequestLog["requests"], limits: Record<Bucket, Limit>, timeScale: number): Floor {
  const admitted = new Map<Bucket, number>();
  for (const request of log) {
    if (request.status !== 429) admitted.set(bucketOf(request.path), (admitted.get(bucketOf(request.path)) ?? 0) + 1);
  }
  const floors = [...admitted].map(([bucket, count]) => ({ bucket, ms: (count / limits[bucket].limit) * limits[bucket].windowMs * timeScale }));
  const busiest = floors.reduce((a, b) => (b.ms > a.ms ? b : a));
  return {
    floorMs: busiest.ms,
    binding: busiest.bucket,
    admitted,
    rejected: log.filter((request) => request.status === 429).length,
    total: log.length,
  };
}

export const describeCounts = (admitted: Map<Bucket, number>): string => [...admitted].map(([bucket, count]) => `${count} ${bucket}`).join(", ");
export const describeLimit = ({ limit, windowMs }: Limit): string => `${limit}/${windowMs / 1000} s`;
