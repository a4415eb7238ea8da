/**
 * Injected failures, consumed in the order they were added. A fault applies to requests whose path equals
 * `match` (a string) or matches it (a RegExp), or to any request when `match` is absent; it is used `times`
 * times (default 1, `Infinity` for a permanent fault).
 */

export type FaultKind =
  /** Any status with an optional raw body (e.g. a Cloudflare HTML page) and headers. */
  | { kind: "status"; status: number; body?: string | object; headers?: Record<string, string> }
  /** A Descope 429; `retryAfterSeconds: null` leaves Retry-After out (default 1). */
  | { kind: "rateLimit"; retryAfterSeconds?: number | null }
  /** 200 without Content-Length, half of the real JSON body, then the connection closes cleanly. */
  | { kind: "truncatedJson" }
  /** Headers with the full Content-Length and half of the body, then the socket is reset. */
  | { kind: "reset" }
  /** No answer: forever (until the client gives up), or for `ms` before answering normally. */
  | { kind: "hang"; ms?: number };

export type Fault = FaultKind & { match?: string | RegExp; times?: number };

interface QueuedFault {
  fault: Fault;
  remaining: number;
}

export class FaultQueue {
  private queue: QueuedFault[] = [];

  add(fault: Fault): void {
    this.queue.push({ fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.queue = [];
  }

  /** Faults still waiting, with the uses each has left in `times`. */
  get pending(): Fault[] {
    return this.queue.map(({ fault, remaining }) => ({ ...fault, times: remaining }));
  }

  /** The first fault matching the path, consuming one of its uses. */
  take(path: string): FaultKind | undefined {
    const index = this.queue.findIndex(({ fault }) => matches(fault.match, path));
    if (index < 0) return undefined;
    const queued = this.queue[index];
    queued.remaining--;
    if (queued.remaining <= 0) this.queue.splice(index, 1);
    return queued.fault;
  }
}

function matches(match: string | RegExp | undefined, path: string): boolean {
  if (match === undefined) return true;
  return typeof match === "string" ? match === path : match.test(path);
}
