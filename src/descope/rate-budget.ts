/** Sleeps for `ms` (scaled), so tests and benchmarks can run Descope's minute-long windows in milliseconds. */
export type Sleep = (ms: number) => Promise<void>;

/** How the client paces one Descope rate-limit bucket. Times are Descope's (scaled) milliseconds. */
export interface Pace {
  /** Waits until one more request may go out; resolves with the time it goes out. */
  take(): Promise<number>;
  /** How the request that went out at `sentAtMs` was answered; a fixed budget ignores it. */
  answered(sentAtMs: number, rateLimited: boolean): void;
  /** Holds every request until `epochMs` (the server's Retry-After). */
  pauseUntil(epochMs: number): void;
  /** The pace now, in requests per minute. */
  readonly perMinute: number;
}

/**
 * A fixed client-side budget for one Descope rate-limit bucket: at most `limit` requests in any sliding
 * `windowMs`. Pacing ourselves is cheaper than collecting 429s, and Descope's penalty for a 429 is a full
 * minute's backoff. A 429 that still arrives pauses the whole bucket until the server's Retry-After.
 */
export class RateBudget implements Pace {
  private readonly sent: number[] = [];
  private pausedUntil = 0;

  constructor(
    readonly name: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {}

  get perMinute(): number {
    return (this.limit * 60_000) / this.windowMs;
  }

  /** Waits until one more request fits in the window, then records it. */
  async take(): Promise<number> {
    for (;;) {
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.sleep(this.pausedUntil - now);
        continue;
      }
      while (this.sent.length > 0 && this.sent[0]! <= now - this.windowMs) this.sent.shift();
      if (this.sent.length < this.limit) {
        this.sent.push(now);
        return now;
      }
      await this.sleep(this.sent[0]! + this.windowMs - now);
    }
  }

  answered(): void {}

  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }
}

/** Before the first 429 the pace doubles this often while requests queue for it (TCP's slow start). */
const SLOW_START_EPOCH_MS = 2_000;
/** After a 429 it grows once per epoch of Descope's shortest documented window (1000 requests / 10 s). */
const PROBE_EPOCH_MS = 10_000;
/** Growth per probe epoch right after a 429, doubling every PROBE_ACCELERATE_EPOCHS the pace holds (capped at ×2). */
const PROBE_GROWTH = 0.02;
const PROBE_ACCELERATE_EPOCHS = 5;
/** A 429 sets the pace to this share of what Descope accepted over the last minute (or of the pace, if lower). */
const BACK_OFF = 0.9;
const ACCEPTED_WINDOW_MS = 60_000;
const MIN_PER_MINUTE = 6;
/** Slots are this much further apart than the rate says: the gap between our send and Descope's count. */
const SPACING_SAFETY = 1.03;

/**
 * A pace that finds a per-IP limit nobody tells us (docs/descope-api-notes.md §0.1 item 9: 100/60 s for plain API traffic, or
 * 1000/10 s for backend-SDK traffic, undocumented which applies). Requests go out evenly spaced (no bursts, so
 * a limit counted over any window length is met the same way); the pace starts at `startPerMinute`, doubles
 * while requests queue for it and no 429 was seen, and after a 429 drops to 90% of what Descope accepted in the
 * last minute (half the pace, in the run's first minute), then probes upwards gently (2% per 10 s, faster the longer it holds) up to `ceilingPerMinute`.
 * One burst of 429s (requests sent before the last slow-down) slows it down once.
 */
export class AdaptivePace implements Pace {
  private pace: number;
  private nextSlotMs = -Infinity;
  private pausedUntil = 0;
  private limitSeen = false;
  private readonly startMs: number;
  private epochStartMs: number;
  private queuedInEpoch = false;
  private limitedInEpoch = false;
  private epochsHeld = 0;
  private lastSlowDownMs = -Infinity;
  private readonly accepted: number[] = [];

  constructor(
    readonly name: string,
    startPerMinute: number,
    private readonly ceilingPerMinute: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {
    this.pace = Math.min(startPerMinute, ceilingPerMinute);
    this.startMs = this.epochStartMs = now();
  }

  get perMinute(): number {
    return this.pace;
  }

  async take(): Promise<number> {
    this.endEpochIfDue();
    for (;;) {
      const now = this.now();
      const slot = Math.max(this.pausedUntil, this.nextSlotMs);
      if (slot <= now) {
        // Spaced from the slot, not from when the timer woke us: timers fire late, and that lateness must not add
        // up into a slower pace. At most one spacing is made up, so at most two requests ever go out together.
        const spacingMs = (60_000 / this.pace) * SPACING_SAFETY;
        this.nextSlotMs = Math.max(slot, now - spacingMs) + spacingMs;
        return now;
      }
      if (slot === this.nextSlotMs) this.queuedInEpoch = true;
      // Sleep, then look again: a 429 meanwhile may have paused the bucket or slowed the pace.
      await this.sleep(slot - now);
    }
  }

  answered(sentAtMs: number, rateLimited: boolean): void {
    const now = this.now();
    while (this.accepted.length > 0 && this.accepted[0]! <= now - ACCEPTED_WINDOW_MS) this.accepted.shift();
    if (!rateLimited) {
      this.accepted.push(sentAtMs);
      return;
    }
    this.limitSeen = true;
    this.limitedInEpoch = true;
    this.epochsHeld = 0;
    if (sentAtMs <= this.lastSlowDownMs) return;
    this.lastSlowDownMs = now;
    // Less than a minute into the run, what Descope accepted says little about its limit: halve instead.
    const acceptedPerMinute =
      now - this.startMs >= ACCEPTED_WINDOW_MS ? this.accepted.length * (60_000 / ACCEPTED_WINDOW_MS) : this.pace / 2 / BACK_OFF;
    this.pace = Math.max(MIN_PER_MINUTE, BACK_OFF * Math.min(this.pace, acceptedPerMinute));
  }

  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }

  /** Grows the pace after an epoch in which requests queued for it and none was refused. */
  private endEpochIfDue(): void {
    const now = this.now();
    if (now - this.epochStartMs < (this.limitSeen ? PROBE_EPOCH_MS : SLOW_START_EPOCH_MS)) return;
    if (this.queuedInEpoch && !this.limitedInEpoch) {
      const growth = this.limitSeen ? Math.min(1, PROBE_GROWTH * 2 ** Math.floor(this.epochsHeld / PROBE_ACCELERATE_EPOCHS)) : 1;
      this.pace = Math.min(this.ceilingPerMinute, this.pace * (1 + growth));
      this.epochsHeld++;
    }
    this.epochStartMs = now;
    this.queuedInEpoch = false;
    this.limitedInEpoch = false;
  }
}
