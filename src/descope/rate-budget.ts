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

/** What a pace may send: never more than `ceiling`; and, when set, `probeFrom` until Descope shows it allows more. */
export interface PaceLimits {
  ceiling: WindowLimit[];
  probeFrom?: WindowLimit;
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

/** Descope's limit for plain API traffic, the lower of the two it documents (docs/descope-api-notes.md §0.1 item 9). */
const PLAIN_API_LIMIT = 100;
/** The backend-SDK limit's window (1000 requests / 10 s, same item); the management ceiling is counted over it too. */
const BACKEND_SDK_WINDOW_MS = 10_000;
/** Requests past the assumed limit in flight at once while finding out whether Descope allows more: at most this many 429s. */
const PROBES_IN_FLIGHT = 3;
/** Accepted in one window, half again the assumed limit, shows it is not the limit that applies. */
const PROOF_OF_HIGHER_LIMIT = 1.5;
/** A limit learned from a 429 is this share of what Descope had accepted in its window. */
const LEARNED_SHARE = 0.95;

/** A budget we set ourselves (user search's share of the project's limit, audit): never exceeded. */
export function budgetLimits(perMinute: number): PaceLimits {
  return { ceiling: [widened(perMinute, 60_000)] };
}

/**
 * Management calls, limited per IP by a rule nobody tells us: Descope documents 100/60 s for plain API traffic
 * and 1000/10 s for backend-SDK traffic, and not which applies to whom (docs/descope-api-notes.md §0.1 item 9).
 * The pace assumes the plain limit until Descope accepts half again as much, and never exceeds the configured
 * ceiling, counted per minute and per 10 s as the backend-SDK limit is (the default, 6000, is exactly that limit).
 */
export function perIpLimits(ceilingPerMinute: number): PaceLimits {
  const ceiling = [widened(ceilingPerMinute, 60_000), widened(Math.max(1, Math.floor(ceilingPerMinute / 6)), BACKEND_SDK_WINDOW_MS)];
  return ceilingPerMinute > PLAIN_API_LIMIT ? { ceiling, probeFrom: widened(PLAIN_API_LIMIT, 60_000) } : { ceiling };
}

/**
 * How the client paces one Descope rate-limit bucket. Within its limits a bucket sends as soon as it may: a
 * sliding window never exceeds the same count in any fixed or sliding window of that length.
 *
 * 1. `probing` (management only): the assumed limit's 100 requests of any minute go at once (safe under either
 *    documented limit). When more wait, up to PROBES_IN_FLIGHT go past it, each as the one before is answered:
 *    if the assumed limit is Descope's, the refused probes cost at most that many 429s; 150 accepted in a
 *    minute prove more is allowed, and the pace goes on to
 * 2. `ceiling`: the configured limits, never exceeded.
 * 3. `learned`: after a 429, the limit becomes 95% of what Descope had accepted in the window the 429 points to
 *    (the probed limit's; else the shortest ceiling window at least as long as Retry-After, e.g. 10 s for
 *    management's backend-SDK window), but at least half the limit assumed before: another client on the same IP
 *    or the customer's own app on the same project may have used the rest. Each later 429 lowers it again. It is
 *    not raised again during the sync: Descope's limits are fixed rules (a tier per license), and each 429 costs
 *    the whole bucket its Retry-After.
 * A 429 holds the whole bucket until its Retry-After; 429s of requests sent before the last slow-down count once.
 */
export class Pace {
  private stage: "probing" | "ceiling" | "learned";
  private learned: WindowLimit | undefined;
  private readonly sent: SendLog;
  private readonly accepted: SendLog;
  private probesInFlight = 0;
  private probeAnswered: (() => void)[] = [];
  private pausedUntilMs = 0;
  private lastSlowDownMs = -Infinity;

  constructor(
    readonly name: string,
    private readonly limits: PaceLimits,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {
    this.stage = limits.probeFrom ? "probing" : "ceiling";
    const longestMs = Math.max(...[...limits.ceiling, ...(limits.probeFrom ? [limits.probeFrom] : [])].map((limit) => limit.windowMs));
    this.sent = new SendLog(longestMs);
    this.accepted = new SendLog(longestMs);
  }

  /** The pace now, in requests per minute. */
  get perMinute(): number {
    const assumed = this.assumedLimit();
    return perMinute(assumed ? [assumed, ...this.limits.ceiling] : this.limits.ceiling);
  }

  /** Waits until one more request may go out. */
  async take(): Promise<Ticket> {
    for (;;) {
      const now = this.now();
      const ceilingWaitMs = Math.max(this.pausedUntilMs - now, ...this.limits.ceiling.map((limit) => this.sent.waitMs(now, limit)));
      const assumed = this.assumedLimit();
      const assumedWaitMs = assumed ? this.sent.waitMs(now, assumed) : 0;
      if (ceilingWaitMs <= 0 && assumedWaitMs <= 0) return this.send(now, false);
      if (ceilingWaitMs <= 0 && this.stage === "probing") {
        if (this.probesInFlight < PROBES_IN_FLIGHT) return this.send(now, true);
        // No timer: a probe in flight is always answered, and the window may have room by then.
        await new Promise<void>((resolve) => this.probeAnswered.push(resolve));
        continue;
      }
      await this.sleep(Math.max(ceilingWaitMs, assumedWaitMs));
    }
  }

  /** Every ticket comes back exactly once, with how Descope answered it. */
  answered(ticket: Ticket, answer: PacedAnswer): void {
    const now = this.now();
    if (ticket.probe) {
      this.probesInFlight--;
      for (const wake of this.probeAnswered.splice(0)) wake();
    }
    const { probeFrom } = this.limits;
    if (answer === "accepted") {
      this.accepted.record(ticket.sentAtMs);
      if (this.stage === "probing" && this.accepted.countSince(now, probeFrom!.windowMs) >= PROOF_OF_HIGHER_LIMIT * probeFrom!.limit) {
        this.stage = "ceiling";
      }
      return;
    }
    if (answer === "failed") return;
    this.pausedUntilMs = Math.max(this.pausedUntilMs, now + answer.retryAfterS * 1000);
    if (ticket.sentAtMs <= this.lastSlowDownMs) return;
    this.lastSlowDownMs = now;
    // The first 429 decides which window the limit is counted in; later ones only lower it.
    const assumed = this.learned ?? (this.stage === "probing" ? probeFrom! : this.ceilingWindowFor(answer.retryAfterS));
    const acceptedInWindow = this.accepted.countSince(now, assumed.windowMs);
    const limit = Math.max(Math.floor(assumed.limit / 2), Math.floor(LEARNED_SHARE * Math.min(assumed.limit, acceptedInWindow)));
    this.learned = { limit: Math.max(1, limit), windowMs: assumed.windowMs };
    this.stage = "learned";
  }

  private send(now: number, probe: boolean): Ticket {
    this.sent.record(now);
    if (probe) this.probesInFlight++;
    return { sentAtMs: now, probe };
  }

  /** The limit the pace holds below its ceiling: the probed one until disproved, or one learned from a 429. */
  private assumedLimit(): WindowLimit | undefined {
    return this.stage === "probing" ? this.limits.probeFrom : this.learned;
  }

  /** The shortest ceiling window at least as long as Retry-After (Descope's backoff is its window), else the longest. */
  private ceilingWindowFor(retryAfterS: number): WindowLimit {
    const byLength = [...this.limits.ceiling].sort((a, b) => a.windowMs - b.windowMs);
    return byLength.find((limit) => limit.windowMs >= retryAfterS * 1000) ?? byLength.at(-1)!;
  }
}
