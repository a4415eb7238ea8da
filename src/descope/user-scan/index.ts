import { systemError } from "../../cdk/errors.js";
import { DescopeApiError, type DescopeClient } from "../client.js";
import { readRangesInOrder, type OrderedRange } from "./ordered-ranges.js";
import { UserSearch, type DescopeUser, type SecondsRange, type UserSearchPage, type UserSearchPath, type UserTimeField } from "./search.js";

export type { DescopeUser, UserTimeField } from "./search.js";

/** Where a scan resumes: the second it stands on, and the users of that second it has already delivered. */
export interface ScanPosition {
  timeS: number;
  seenUserIds: string[];
}

export interface ScanPage {
  users: DescopeUser[];
  /** Everything up to here is delivered once this page is. */
  position: ScanPosition;
}

export interface UserScanOptions {
  path: UserSearchPath;
  /** Extra search filters, e.g. `{ withTestUser: true }`. */
  filter: Record<string, unknown>;
  /** The time the scan walks; records carry it in seconds, the API filters on it in milliseconds. */
  timeField: UserTimeField;
  from: ScanPosition;
  pageSize: number;
  /** The most ranges of past seconds read at once (1 = one request at a time). */
  concurrency: number;
  /**
   * The user-search budget's interval between requests (ms of our clock). With it, the scan reads only as many
   * ranges at once as the measured latency needs to reach the budget (Little's law), and when the budget is out of
   * reach, only UNBUDGETED_RANGES: no more requests split off than pay. Without it, always `concurrency`.
   */
  requestIntervalMs?: number;
  log: { info(message: string): void; warn(message: string): void };
  /** A detail for the stream's end-of-stream summary (the count self-check). */
  report?: (detail: string) => void;
  onTotal?: (total: number) => void;
}

/** How a fan-out over every user is paced and sized: the stream's settings and its context. */
export interface AllUsersScan {
  pageSize: number;
  concurrency: number;
  searchIntervalMs?: number;
  context: { log: UserScanOptions["log"]; report?: UserScanOptions["report"] };
  from?: ScanPosition;
}

/**
 * Every user and test user, walked by `createdTime` (which never changes, so the walk meets each user once): the
 * input of the per-user fan-outs (login history, provider tokens, ReBAC relations).
 */
export function scanAllUsers(client: DescopeClient, scan: AllUsersScan): AsyncGenerator<ScanPage> {
  return scanUsers(client, {
    path: "/v2/mgmt/user/search",
    filter: { withTestUser: true },
    timeField: "createdTime",
    from: scan.from ?? { timeS: 0, seenUserIds: [] },
    pageSize: scan.pageSize,
    concurrency: scan.concurrency,
    requestIntervalMs: scan.searchIntervalMs,
    log: scan.context.log,
    report: scan.context.report,
  });
}

/** Full passes over one crowded second that may find new users before we call it inconsistent. */
const MAX_DRAIN_PASSES = 10;
/** Time windows (order-free reading) aim at this share of a page, so a denser stretch still fits. */
const WINDOW_FILL = 0.7;
/** Descope's clock may run this far ahead of ours (edits get Descope's time). */
const CLOCK_SKEW_S = 300;
/**
 * While the budget is what limits the scan, a range holding more than this many pages of users splits off the
 * rest of its span, to be read alongside; a range may read as many pages ahead of delivery, so a range behind
 * the head can be read through while the head is delivered. Each range usually ends on a part-filled page, so
 * smaller ranges cost more of the budget's requests. (When the budget is not the limit, one range is read at a
 * time, one page ahead: see UNBUDGETED_RANGES and RangeScan.requestsScarce.)
 */
const PAGES_PER_RANGE = 4;
/**
 * Ranges read at once when the budget is out of reach: one, as the floor reads (bench/floor.mjs). Its next
 * request goes out as soon as a page is parsed, while that page is written, so both ends stay busy. Two ranges
 * measured 1.2–1.4 × faster against a local backend (the benchmarks' emulator), but the page that waits for the
 * head outlives V8's young generation: at a million users the old generation grew to 1.3 × the floor's peak RSS
 * (BENCHMARKS.md). Against Descope the budget is out of reach only when it is set far above Descope's limits
 * (or pacing is off, as in the benchmarks), so this case is bound by this process, not by requests.
 */
const UNBUDGETED_RANGES = 1;

type ScanRange = SecondsRange & { seenUserIds: string[] };
type SplitAfter = (ranges: ScanRange[]) => void;

/**
 * Walks every user matching a search, in ascending `timeField` order, safely while users change.
 *
 * Why not page/offset: a user edited mid-sync leaves the result window and every later row shifts up by one, so
 * plain paging silently skips an unchanged user. Instead each request asks for page 0 *from a moving anchor*
 * (the last second delivered, re-read whole) sorted by that time then userId, and drops the users of the anchor
 * second it already delivered. Each request therefore stands alone: edits, inserts and deletes elsewhere cannot
 * shift it. An edited user moves ahead of the anchor and is met again later with its new version. When more
 * than a page of users share one second (bulk imports), that second is drained: read page by page, bounded to
 * the second, until a full pass finds nobody new — edits only move users out of a past second, never in.
 *
 * The scan is a small state machine (RangeScan): `undecided` until the first page shows whether Descope honours
 * the sort (undocumented, docs/descope-api-notes.md §4.1); `sorted` walks by anchor; `windows` reads order-free time windows small
 * enough that one request returns all their users (`total` says so), used when the sort is ignored or rejected.
 *
 * Seconds older than our clock minus the skew are closed: no edit or creation can land in them any more (both
 * get Descope's current time). They are split into ranges read concurrently, each with the same logic, and
 * delivered in order; the open tail is read last, alone, so it meets every user moved there meanwhile.
 *
 * A full read checks itself against Descope's `total`: counted as it starts and after the closed past (the
 * second count followed by a look at the open tail, so everyone it counted is delivered), every user present at
 * both counts must have come. A shortfall no concurrent change explains stops the stream instead of finishing
 * with users missing.
 */
export async function* scanUsers(client: DescopeClient, options: UserScanOptions): AsyncGenerator<ScanPage> {
  const search = new UserSearch(client, options.path, options.filter, options.timeField, options.pageSize);
  const closedUntilS = Math.floor(Date.now() / 1000) - CLOCK_SKEW_S - 1;
  const { from } = options;
  const fullRead = from.timeS === 0 && from.seenUserIds.length === 0;
  const tally = new DeliveryTally(search, closedUntilS);
  // The start count may be taken at any moment of the read before the end count (DeliveryTally.check), so it goes
  // out beside the first page instead of ahead of it.
  const countedAtStart = fullRead
    ? settled(
        search.count().then((total) => {
          if (total !== undefined) options.onTotal?.(total);
          return total;
        }),
      )
    : undefined;
  const scan = new RangeScan(search, options, fullRead ? undefined : options.onTotal);

  const ranges: OrderedRange<ScanRange>[] = [];
  if (from.timeS <= closedUntilS) ranges.push({ range: { fromS: from.timeS, toS: closedUntilS, seenUserIds: from.seenUserIds }, open: false });
  // A full read's look after its end count reads the open tail anyway, so only an incremental read has it as a range.
  const tailFromS = Math.max(from.timeS, closedUntilS + 1);
  if (!fullRead) ranges.push({ range: { fromS: tailFromS, seenUserIds: tailFromS === from.timeS ? from.seenUserIds : [] }, open: true });

  let position = from;
  const limits = { maxInFlight: () => scan.rangesInFlight(), pagesAhead: () => scan.pagesPerRange() };
  for await (const page of readRangesInOrder(ranges, (range, splitAfter) => scan.read(range, splitAfter), limits)) {
    tally.add(page.users);
    position = page.position;
    yield page;
  }
  if (countedAtStart) {
    const totalAtStart = await countedAtStart();
    const totalAtEnd = await search.count();
    for await (const page of scan.read({ fromS: position.timeS, seenUserIds: position.seenUserIds }, () => {})) {
      tally.add(page.users);
      yield page;
    }
    tally.check(totalAtStart, totalAtEnd, options.report);
  }
  reportUsersWithoutTime(search, options.log);
}

/** A promise's outcome for later: a failure is rethrown by whoever asks, never left unhandled meanwhile. */
function settled<T>(promise: Promise<T>): () => Promise<T> {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return async () => {
    const result = await outcome;
    if ("error" in result) throw result.error;
    return result.value;
  };
}

class RangeScan {
  private mode: "undecided" | "sorted" | "windows" = "undecided";
  /** The first page, fetched by the order check, until the anchor walk takes it. */
  private orderCheckPage: UserSearchPage | undefined;

  constructor(
    private readonly search: UserSearch,
    private readonly options: UserScanOptions,
    private onFirstTotal: ((total: number) => void) | undefined,
  ) {}

  /**
   * Enough ranges at once for the budget to be the limit: latency / interval (Little's law). The latency is the
   * fastest of the recent requests, since a request may also have waited for the budget. When even
   * `concurrency` ranges cannot reach the budget, this process is the limit: UNBUDGETED_RANGES.
   */
  rangesInFlight(): number {
    const { concurrency } = this.options;
    const needed = this.rangesToReachBudget();
    if (needed === undefined) return concurrency;
    if (needed > concurrency) return Math.min(concurrency, UNBUDGETED_RANGES);
    return Math.max(1, needed);
  }

  /**
   * Whether requests are what limits the scan: the budget can be reached within `concurrency` (or is unknown).
   * Then a range spans PAGES_PER_RANGE pages, since each range's part-filled last page costs a budgeted request.
   * Otherwise a request costs only its latency, and the one range read at a time reads one page ahead, not
   * PAGES_PER_RANGE (with 1000-user pages, what waits is what memory is).
   */
  private requestsScarce(): boolean {
    const needed = this.rangesToReachBudget();
    return needed === undefined || needed <= this.options.concurrency;
  }

  /** Ranges read at once that reach the budget, latency / interval (Little's law); unknown without either. */
  private rangesToReachBudget(): number | undefined {
    const { requestIntervalMs } = this.options;
    const latencyMs = this.search.recentLatencyMs();
    return requestIntervalMs === undefined || latencyMs === undefined ? undefined : Math.ceil(latencyMs / requestIntervalMs);
  }

  /** Pages a range may read ahead of delivery: its size, so a range behind the head can be read through. */
  pagesPerRange(): number {
    return this.requestsScarce() ? PAGES_PER_RANGE : 1;
  }

  async *read(range: ScanRange, splitAfter: SplitAfter): AsyncGenerator<ScanPage> {
    if (this.mode === "undecided") this.orderCheckPage = await this.decideOrder(range);
    if (this.mode === "sorted") yield* this.byAnchor(range, splitAfter);
    else yield* this.byWindows(range, splitAfter);
  }

  /**
   * The sort is undocumented (docs/descope-api-notes.md §4.1), so the first page is checked: ascending, and — when it is full —
   * holding every user before its last second (one count request). A deployment that ignores the sort fails
   * this; one that rejects the sort field answers 400 (the gateway refuses what it does not know, §0.1 item 4).
   * Both are read by time windows instead.
   */
  private async decideOrder(range: ScanRange): Promise<UserSearchPage | undefined> {
    const field = this.search.timeField;
    let page: UserSearchPage;
    try {
      page = await this.search.page(range, { sorted: true });
    } catch (error) {
      if (!(error instanceof DescopeApiError && error.status === 400)) throw error;
      this.options.log.warn(
        `Descope refused to sort users by ${field} (${error.message}); reading them by time windows instead (safe, but more requests).`,
      );
      this.mode = "windows";
      return undefined;
    }
    if (page.total !== undefined) this.onFirstTotal?.(page.total);
    this.onFirstTotal = undefined;
    if (await this.sortHonoured(page, range.fromS)) {
      this.mode = "sorted";
      return page;
    }
    this.options.log.warn(`Descope did not return users sorted by ${field}; reading them by time windows instead (safe, but more requests).`);
    this.mode = "windows";
    return undefined;
  }

  private async sortHonoured(page: UserSearchPage, anchorS: number): Promise<boolean> {
    const times = page.users.map((user) => this.search.timeOf(user));
    if (times.some((time, i) => time < (i === 0 ? anchorS : times[i - 1]!))) return false;
    const lastS = times.at(-1);
    if (page.sent.length < this.search.pageSize || lastS === undefined || lastS === anchorS) return true;
    const before = await this.search.count({ fromS: anchorS, beforeS: lastS });
    // Compared with what was sent (the neighbour millisecond the safe `from` lets in is counted on both sides).
    return before === undefined || before === page.sent.filter((user) => this.search.timeOf(user) < lastS).length;
  }

  /** The anchor walk over one range; the order check's page, when it fetched one, is the walk's first. */
  private async *byAnchor(range: ScanRange, splitAfter: SplitAfter): AsyncGenerator<ScanPage> {
    const { search } = this;
    const timeOf = (user: DescopeUser) => search.timeOf(user);
    let anchorS = range.fromS;
    let toS = range.toS;
    let seen = new Set(range.seenUserIds);
    // Taken, not kept: a page a frame holds while the walk goes on is a page kept for the whole read.
    let pending = this.orderCheckPage;
    this.orderCheckPage = undefined;
    let sized = false;
    // A drained second that was still open may gain users until Descope's clock leaves it; the first page that
    // shows a later user proves it has, so that second is drained once more before the walk moves past it.
    let reopened: { secondS: number; delivered: Set<string> } | undefined;
    for (;;) {
      const page = pending ?? (await search.page({ fromS: anchorS, toS }, { sorted: true }));
      pending = undefined;
      assertAscendingFrom(page.users, anchorS, timeOf, search.timeField);
      const fresh = page.users.filter((user) => !(timeOf(user) === anchorS && seen.has(user.userId)));
      const full = page.sent.length >= search.pageSize;
      if (!sized) {
        sized = true;
        const restFromS = fresh.length > 0 ? timeOf(fresh.at(-1)!) : anchorS;
        toS = this.splitRest({ fromS: restFromS, toS }, page, splitAfter);
      }

      if (fresh.length === 0) {
        if (!full || page.reachedPastRange) return;
        yield* this.drainSecond(anchorS, seen, true);
        if (toS !== undefined && anchorS >= toS) return;
        if (isOpen(anchorS)) reopened = { secondS: anchorS, delivered: seen };
        anchorS += 1;
        seen = new Set();
        continue;
      }
      if (reopened) {
        yield* this.drainSecond(reopened.secondS, reopened.delivered, true);
        reopened = undefined;
      }
      const lastS = timeOf(fresh.at(-1)!);
      if (lastS > anchorS) {
        anchorS = lastS;
        seen = new Set(fresh.filter((user) => timeOf(user) === lastS).map((user) => user.userId));
      } else {
        for (const user of fresh) seen.add(user.userId);
      }
      yield { users: fresh, position: { timeS: anchorS, seenUserIds: [...seen] } };
      if (page.reachedPastRange) return;
      // A short page that also covers the whole `total` is the end; without `total` one more request confirms it.
      if (!full && page.total !== undefined && page.sent.length >= page.total) return;
    }
  }

  /**
   * Order-free reading: a window of seconds small enough for one request returns all its users at once (`total`
   * says so), so nothing can shift under it; windows are sized from the density `total` reveals and walked in
   * ascending time, each ending in the same resumable position as the anchor walk. Positions come from the users'
   * own times, never our clock.
   */
  private async *byWindows(range: ScanRange, splitAfter: SplitAfter): AsyncGenerator<ScanPage> {
    const { search } = this;
    const timeOf = (user: DescopeUser) => search.timeOf(user);
    const pageSize = search.pageSize;
    let position: ScanPosition = { timeS: range.fromS, seenUserIds: range.seenUserIds };
    let startS = range.fromS;
    let delivered = new Set(range.seenUserIds); // users of second `startS` already emitted
    let lastS = (): number => range.toS ?? nowS();
    let spanS = Math.max(1, lastS() - startS + 1);
    let sized = false;
    while (startS <= lastS()) {
      const endS = Math.min(startS + spanS - 1, lastS());
      const page = await search.page({ fromS: startS, toS: endS }, { sorted: false });
      const complete = page.total !== undefined ? page.sent.length >= page.total : page.sent.length < pageSize;
      if (!sized) {
        sized = true;
        const toS = this.splitRest({ fromS: startS, toS: range.toS }, page, splitAfter);
        if (toS !== range.toS) {
          lastS = () => toS!;
          spanS = Math.max(1, toS! - startS + 1);
          continue;
        }
      }
      if (!complete && endS > startS) {
        const windowS = endS - startS + 1;
        spanS = Math.max(1, Math.floor((windowS * pageSize * WINDOW_FILL) / Math.max(page.total ?? 2 * pageSize, pageSize + 1)));
        continue;
      }
      if (!complete) {
        for await (const drained of this.drainSecond(startS, delivered, false)) {
          position = drained.position;
          yield drained;
        }
      } else if (page.users.length > 0) {
        const fresh = page.users.filter((user) => !(timeOf(user) === startS && delivered.has(user.userId)));
        const newestS = Math.max(...page.users.map(timeOf));
        const atNewest = page.users.filter((user) => timeOf(user) === newestS).map((user) => user.userId);
        position = { timeS: newestS, seenUserIds: newestS === position.timeS ? [...new Set([...position.seenUserIds, ...atNewest])] : atNewest };
        yield { users: fresh, position };
        if (page.sent.length < pageSize / 2) spanS *= 2;
      } else {
        spanS *= 2;
      }
      startS = endS + 1;
      delivered = new Set();
    }
  }

  private async *drainSecond(secondS: number, delivered: Set<string>, sorted: boolean): AsyncGenerator<ScanPage> {
    const { search } = this;
    for (let pass = 0; pass < MAX_DRAIN_PASSES; pass++) {
      let foundThisPass = 0;
      for (let pageIndex = 0; ; pageIndex++) {
        const page = await search.page({ fromS: secondS, toS: secondS }, { sorted, pageIndex });
        const fresh = page.users.filter((user) => !delivered.has(user.userId));
        for (const user of fresh) delivered.add(user.userId);
        foundThisPass += fresh.length;
        if (fresh.length > 0) yield { users: fresh, position: { timeS: secondS, seenUserIds: [...delivered] } };
        // Sorted, the next second's users (let in by the safe `to`) come after all of this second's.
        if (page.sent.length < search.pageSize || (sorted && page.reachedPastRange)) break;
      }
      if (foundThisPass === 0) return;
      // New users may keep arriving in a second Descope's clock has not left yet; a past second must settle.
      if (isOpen(secondS)) pass--;
    }
    throw systemError(
      `Users sharing ${search.timeField} ${secondS} kept changing across ${MAX_DRAIN_PASSES} passes; stopping rather than risk skipping any.`,
    );
  }

  /**
   * A closed range whose first answer reveals more users than a range should hold (PAGES_PER_RANGE pages) keeps
   * the start of its rest and hands the remainder, cut into pieces of about that size by time, to be read
   * alongside it. Returns the range's new end. Only worth it when ranges are read concurrently (each range costs
   * a part-filled last page), and they are only while requests are scarce (rangesInFlight).
   */
  private splitRest(rest: SecondsRange, page: UserSearchPage, splitAfter: SplitAfter): number | undefined {
    const { toS } = rest;
    const remaining = (page.total ?? 0) - page.sent.length;
    const perRange = PAGES_PER_RANGE * this.search.pageSize;
    if (this.rangesInFlight() <= 1 || toS === undefined || remaining <= perRange || toS <= rest.fromS) return toS;
    const pieces = Math.min(Math.ceil(remaining / perRange), toS - rest.fromS + 1);
    const spanS = toS - rest.fromS + 1;
    const ends = Array.from({ length: pieces }, (_, i) => rest.fromS + Math.floor((spanS * (i + 1)) / pieces) - 1);
    splitAfter(ends.slice(1).map((endS, i) => ({ fromS: ends[i]! + 1, toS: endS, seenUserIds: [] })));
    return ends[0];
  }
}

/**
 * Counts what a full read delivered, cheaply: a user whose time is in the closed past is delivered at most once
 * per run (positions never revisit a delivered user of a past second), so those are counted; users changed or
 * created during the read may come twice (old and new version) and are kept by id — a small set.
 */
class DeliveryTally {
  private settled = 0;
  private readonly changedDuringRead = new Set<string>();

  constructor(
    private readonly search: UserSearch,
    private readonly closedUntilS: number,
  ) {}

  add(users: DescopeUser[]): void {
    for (const user of users) {
      if (this.search.timeOf(user) <= this.closedUntilS) this.settled++;
      else this.changedDuringRead.add(user.userId);
    }
  }

  /**
   * Every user present at both counts must have been delivered. Users deleted during the read lower the end
   * count, users created raise it (and are delivered: the scan and the look after the end count reach them), so
   * at least min(start, end) users must have come. At most `settled + changed` distinct users did. The argument
   * holds for a start count taken at any moment of the read before the end count: users created before it are
   * counted and delivered, users deleted before it are not counted.
   */
  check(totalAtStart: number | undefined, totalAtEnd: number | undefined, report: ((detail: string) => void) | undefined): void {
    const changed = this.changedDuringRead.size;
    const delivered = this.settled + changed;
    if (totalAtStart === undefined || totalAtEnd === undefined) {
      report?.(`${count(delivered)} users read; Descope sent no search total to check against`);
      return;
    }
    const presentThroughout = Math.min(totalAtStart, totalAtEnd);
    const counts = `search total ${count(totalAtStart)} at start / ${count(totalAtEnd)} at end`;
    if (delivered < presentThroughout) {
      throw systemError(
        `Descope's user search counted at least ${count(presentThroughout)} users throughout the read (${counts}), but only ` +
          `${count(delivered)} came in its pages: users were left out of the answers. The stream stops rather than finish with users missing; run the sync again.`,
      );
    }
    report?.(`${counts}; ${count(delivered)} users delivered${changed > 0 ? ` (${count(changed)} changed or created during the read)` : ""}`);
  }
}

function reportUsersWithoutTime(search: UserSearch, log: UserScanOptions["log"]): void {
  const missing = search.usersWithoutTime.size;
  if (missing === 0) return;
  const field = search.timeField;
  const meaning =
    field === "modifiedTime"
      ? "An incremental sync asks only for users modified after its cursor, so changes to these users reach the destination only through a full refresh."
      : "They sort first and are read on every full walk of the users.";
  log.warn(
    `${count(missing)} users came without "${field}" (Descope leaves zero values out); they were read as ${field} 0 and emitted unchanged. ${meaning}`,
  );
}

/** A second that may still gain users: edits and creations get Descope's time, at most CLOCK_SKEW_S behind ours. */
function isOpen(secondS: number): boolean {
  return secondS >= Math.floor(Date.now() / 1000) - CLOCK_SKEW_S;
}

/** The newest second worth asking about: Descope's clock may run a little ahead of ours. */
function nowS(): number {
  return Math.floor(Date.now() / 1000) + CLOCK_SKEW_S;
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

function assertAscendingFrom(users: DescopeUser[], anchorS: number, timeOf: (user: DescopeUser) => number, timeField: string): void {
  let previous = anchorS;
  for (const user of users) {
    const time = timeOf(user);
    if (time < previous) {
      throw systemError(
        `Descope returned users out of ${timeField} order (or before the requested start) after honouring the sort ` +
          `at first; the connector stops instead of risking skipped users.`,
      );
    }
    previous = time;
  }
}
