/** Sleeps for `ms` (scaled), so tests and benchmarks can run Descope's minute-long windows in milliseconds. */
export type Sleep = (ms: number) => Promise<void>;

/** At most `limit` requests sent in any `windowMs` (Descope's scaled milliseconds). */
export interface WindowLimit {
  limit: number;
  windowMs: number;
}

/** One request let through by a pace; hand it back with its answer. */
export interface Ticket {
  sentAtMs: number;
  /** Sent beyond the limit the pace assumes, to find out whether Descope allows more. */
  probe: boolean;
}

/** How a paced request was answered: Descope took it, refused it with 429 (and Retry-After), or it failed otherwise. */
export type PacedAnswer = "accepted" | "failed" | { retryAfterS: number };

/** How the client paces one Descope rate-limit bucket. */
export interface Pace {
  /** Waits until one more request may go out. */
  take(): Promise<Ticket>;
  /** Every ticket comes back exactly once. A 429 holds the whole bucket until the server's Retry-After. */
  answered(ticket: Ticket, answer: PacedAnswer): void;
  /** The pace now, in requests per minute. */
  readonly perMinute: number;
}

/**
 * Windows slightly longer than Descope's absorb the gap between when we send and when Descope counts: at most
 * `limit` sent in any 61.8 s means at most `limit` arriving in any 60 s unless a request is 1.8 s late.
 */
export const WINDOW_SAFETY_FACTOR = 1.03;

/** The requests sent, and how long until one more fits under every limit. */
class SendLog {
  private readonly sentAtMs: number[] = [];

  constructor(private readonly keepMs: number) {}

  record(atMs: number): void {
    this.sentAtMs.push(atMs);
    while (this.sentAtMs[0]! <= atMs - this.keepMs) this.sentAtMs.shift();
  }

  /** Requests sent in the `windowMs` before `nowMs`. */
  countSince(nowMs: number, windowMs: number): number {
    let low = 0;
    let high = this.sentAtMs.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.sentAtMs[middle]! <= nowMs - windowMs) low = middle + 1;
      else high = middle;
    }
    return this.sentAtMs.length - low;
  }

  /** 0 when one more request fits under `limit`; else the ms until the oldest request counted in it leaves. */
  waitMs(nowMs: number, { limit, windowMs }: WindowLimit): number {
    if (this.countSince(nowMs, windowMs) < limit) return 0;
    return this.sentAtMs[this.sentAtMs.length - limit]! + windowMs - nowMs;
  }
}

/** The pace in Descope's terms: requests per (unwidened) minute. */
const perMinute = (limits: WindowLimit[]): number =>
  Math.min(...limits.map(({ limit, windowMs }) => (limit * 60_000 * WINDOW_SAFETY_FACTOR) / windowMs));
const widened = (limit: number, descopeWindowMs: number): WindowLimit => ({ limit, windowMs: descopeWindowMs * WINDOW_SAFETY_FACTOR });

/**
 * A fixed client-side budget for one Descope rate-limit bucket: at most `limit` requests in any sliding
 * minute (widened). Pacing ourselves is cheaper than collecting 429s, and Descope's penalty for a 429 is a full
 * minute's backoff. A 429 that still arrives pauses the whole bucket until the server's Retry-After.
 */
export class RateBudget implements Pace {
  private readonly limit: WindowLimit;
  private readonly log: SendLog;
  private pausedUntilMs = 0;

  constructor(
    readonly name: string,
    limitPerMinute: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {
    this.limit = widened(limitPerMinute, 60_000);
    this.log = new SendLog(this.limit.windowMs);
  }

  get perMinute(): number {
    return perMinute([this.limit]);
  }

  async take(): Promise<Ticket> {
    for (;;) {
      const now = this.now();
      const waitMs = Math.max(this.pausedUntilMs - now, this.log.waitMs(now, this.limit));
      if (waitMs <= 0) {
        this.log.record(now);
        return { sentAtMs: now, probe: false };
      }
      await this.sleep(waitMs);
    }
  }

  answered(_ticket: Ticket, answer: PacedAnswer): void {
    if (typeof answer === "object") this.pausedUntilMs = Math.max(this.pausedUntilMs, this.now() + answer.retryAfterS * 1000);
  }
}

/** Descope's limit for plain API traffic, the lower of the two it documents (docs/descope-api-notes.md §0.1 item 9). */
const PLAIN_API_LIMIT = 100;
const PLAIN_API_WINDOW_MS = 60_000;
/** The backend-SDK limit's window (1000 requests / 10 s, same item); the configured ceiling is counted over it too. */
const BACKEND_SDK_WINDOW_MS = 10_000;
/** Requests past the plain limit in flight at once while finding out whether Descope allows more: at most this many 429s. */
const PROBES_IN_FLIGHT = 3;
/** This many accepted in a minute, half again the plain limit, shows it is not the limit that applies. */
const PROOF_OF_HIGHER_LIMIT = 150;
/** A limit learned from a 429 is this share of what Descope had accepted in its window. */
const LEARNED_SHARE = 0.95;
const PLAIN = widened(PLAIN_API_LIMIT, PLAIN_API_WINDOW_MS);
const SDK_WINDOW_MS = BACKEND_SDK_WINDOW_MS * WINDOW_SAFETY_FACTOR;

/**
 * A pace for a per-IP limit nobody tells us: Descope documents 100/60 s for plain API traffic and 1000/10 s for
 * backend-SDK traffic, and not which applies to whom (docs/descope-api-notes.md §0.1 item 9).
 *
 * 1. `plain`: the first 100 requests of any minute go at once (safe under either limit). When more wait, up to
 *    PROBES_IN_FLIGHT go past it, one after another as each is answered: under the plain limit the first refused
 *    probes cost at most that many 429s, and the pace settles on it; 150 accepted in a minute prove more is allowed.
 * 2. `ceiling`: the configured `management_requests_per_minute`, counted per minute and per 10 s as Descope
 *    counts the backend-SDK limit (the default, 6000, is exactly that limit).
 * 3. `learned`: after a 429, the limit becomes 95% of what Descope had accepted in the window the 429 points
 *    to (the plain minute while probing it or when Retry-After is over 10 s; otherwise the backend-SDK 10 s),
 *    but at least half the limit assumed before (others on the same IP may have used the rest); each later 429
 *    lowers it again. It is not raised again during the sync: Descope's limits are fixed rules
 *    (a tier per license), and each 429 costs the whole bucket its Retry-After.
 *
 * Within its limits a bucket sends as soon as it may (a sliding window never exceeds the same count in any
 * fixed or sliding window of that length); 429s of requests sent before the last slow-down count once.
 */
export class AdaptivePace implements Pace {
  private stage: "plain" | "ceiling" | "learned";
  private readonly ceiling: WindowLimit[];
  private learned: WindowLimit | undefined;
  private readonly sent = new SendLog(PLAIN.windowMs);
  private readonly accepted = new SendLog(PLAIN.windowMs);
  private probesInFlight = 0;
  private probeAnswered: (() => void)[] = [];
  private pausedUntilMs = 0;
  private lastSlowDownMs = -Infinity;

  constructor(
    readonly name: string,
    ceilingPerMinute: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {
    this.ceiling = [widened(ceilingPerMinute, 60_000), widened(Math.max(1, Math.floor(ceilingPerMinute / 6)), BACKEND_SDK_WINDOW_MS)];
    this.stage = ceilingPerMinute > PLAIN_API_LIMIT ? "plain" : "ceiling";
  }

  get perMinute(): number {
    const assumed = this.assumedLimit();
    return perMinute(assumed ? [assumed, ...this.ceiling] : this.ceiling);
  }

  async take(): Promise<Ticket> {
    for (;;) {
      const now = this.now();
      const ceilingWaitMs = Math.max(this.pausedUntilMs - now, ...this.ceiling.map((limit) => this.sent.waitMs(now, limit)));
      const assumed = this.assumedLimit();
      const assumedWaitMs = assumed ? this.sent.waitMs(now, assumed) : 0;
      if (ceilingWaitMs <= 0 && assumedWaitMs <= 0) return this.send(now, false);
      if (ceilingWaitMs <= 0 && this.stage === "plain") {
        if (this.probesInFlight < PROBES_IN_FLIGHT) return this.send(now, true);
        // No timer: a probe in flight is always answered, and the window may have room by then.
        await new Promise<void>((resolve) => this.probeAnswered.push(resolve));
        continue;
      }
      await this.sleep(Math.max(ceilingWaitMs, assumedWaitMs));
    }
  }

  answered(ticket: Ticket, answer: PacedAnswer): void {
    const now = this.now();
    if (ticket.probe) {
      this.probesInFlight--;
      for (const wake of this.probeAnswered.splice(0)) wake();
    }
    if (answer === "accepted") {
      this.accepted.record(ticket.sentAtMs);
      if (this.stage === "plain" && this.accepted.countSince(now, PLAIN.windowMs) >= PROOF_OF_HIGHER_LIMIT) this.stage = "ceiling";
      return;
    }
    if (answer === "failed") return;
    this.pausedUntilMs = Math.max(this.pausedUntilMs, now + answer.retryAfterS * 1000);
    if (ticket.sentAtMs <= this.lastSlowDownMs) return;
    this.lastSlowDownMs = now;
    // The first 429 decides which window the limit is counted in; later ones only lower it.
    const windowMs =
      this.learned?.windowMs ?? (this.stage === "plain" || answer.retryAfterS * 1000 > BACKEND_SDK_WINDOW_MS ? PLAIN.windowMs : SDK_WINDOW_MS);
    const assumed = this.learned ?? (this.stage === "plain" ? PLAIN : this.ceiling.find((limit) => limit.windowMs === windowMs)!);
    // What Descope accepted from us is the limit only if nobody else on this IP used it: never fall below half.
    const acceptedInWindow = this.accepted.countSince(now, windowMs);
    const limit = Math.max(Math.floor(assumed.limit / 2), Math.floor(LEARNED_SHARE * Math.min(assumed.limit, acceptedInWindow)));
    this.learned = { limit: Math.max(1, limit), windowMs };
    this.stage = "learned";
  }

  private send(now: number, probe: boolean): Ticket {
    this.sent.record(now);
    if (probe) this.probesInFlight++;
    return { sentAtMs: now, probe };
  }

  /** The limit the pace believes in beyond the ceiling: the plain API's until disproved, or one learned from a 429. */
  private assumedLimit(): WindowLimit | undefined {
    return this.stage === "plain" ? PLAIN : this.learned;
  }
}
