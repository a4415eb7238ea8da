/**
 * Descope's documented budgets (docs/descope-api-notes.md §3.3) as fixed windows: the first admitted request in a bucket opens a
 * window of `windowMs`; once `limit` requests were admitted in it, calls get 429 with `Retry-After` = whole
 * seconds until the window closes (at least 1; the clock is Descope's, so Retry-After is in Descope seconds however
 * fast the emulator runs it). Fixed rather than sliding so a test can predict exactly when
 * the budget frees up. Rejected calls do not count against the budget.
 */
import type { RateLimitBucket } from "./route.js";

/** In the emulator's (possibly time-scaled) Descope milliseconds: see the emulator's `timeScale`. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitBucket, RateLimit>> = {
  userSearch: { limit: 200, windowMs: 60_000 },
  audit: { limit: 10, windowMs: 60_000 },
  management: { limit: 100, windowMs: 60_000 },
};

const BUCKETS = Object.keys(DEFAULT_RATE_LIMITS) as RateLimitBucket[];

export function zeroPerBucket(): Record<RateLimitBucket, number> {
  return Object.fromEntries(BUCKETS.map((bucket) => [bucket, 0])) as Record<RateLimitBucket, number>;
}

export class RateLimiter {
  /** 429s answered by the limiter, per bucket (fault-injected 429s are not counted). */
  readonly rejections = zeroPerBucket();
  private readonly windows = new Map<RateLimitBucket, { startMs: number; admitted: number }>();

  constructor(
    private readonly limits: Record<RateLimitBucket, RateLimit> | false,
    private readonly now: () => number,
  ) {}

  /** Undefined when the call may go ahead, otherwise the Retry-After seconds. */
  admit(bucket: RateLimitBucket): number | undefined {
    if (!this.limits) return undefined;
    const { limit, windowMs } = this.limits[bucket];
    const nowMs = this.now();
    let window = this.windows.get(bucket);
    if (!window || nowMs >= window.startMs + windowMs) {
      window = { startMs: nowMs, admitted: 0 };
      this.windows.set(bucket, window);
    }
    if (window.admitted < limit) {
      window.admitted++;
      return undefined;
    }
    this.rejections[bucket]++;
    return Math.max(1, Math.ceil((window.startMs + windowMs - nowMs) / 1000));
  }

  reset(): void {
    this.windows.clear();
    for (const bucket of BUCKETS) this.rejections[bucket] = 0;
  }
}
