/** Sleeps for `ms` (scaled), so tests and benchmarks can run Descope's minute-long windows in milliseconds. */
export type Sleep = (ms: number) => Promise<void>;

/**
 * A client-side request budget for one Descope rate-limit bucket: at most `limit` requests in any sliding
 * `windowMs`. Pacing ourselves is cheaper than collecting 429s, and Descope's penalty for a 429 is a full
 * minute's backoff. A 429 that still arrives pauses the whole bucket until the server's Retry-After.
 */
export class RateBudget {
  private readonly sent: number[] = [];
  private pausedUntil = 0;

  constructor(
    readonly name: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {}

  /** Waits until one more request fits in the window, then records it. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.sleep(this.pausedUntil - now);
        continue;
      }
      while (this.sent.length > 0 && this.sent[0]! <= now - this.windowMs) this.sent.shift();
      if (this.sent.length < this.limit) {
        this.sent.push(now);
        return;
      }
      await this.sleep(this.sent[0]! + this.windowMs - now);
    }
  }

  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }
}
