import { systemError } from "../cdk/errors.js";
import type { DescopeClient } from "./client.js";
import { readAhead } from "./concurrency.js";

/** A user as the search endpoints return it; only the fields the scan relies on are typed. */
export interface DescopeUser {
  userId: string;
  loginIds?: string[];
  createdTime?: number;
  modifiedTime?: number;
  OAuth?: Record<string, boolean>;
  [field: string]: unknown;
}

export type UserTimeField = "createdTime" | "modifiedTime";

/** Where a scan resumes: the second it stands on, and the users of that second it has already delivered. */
export interface ScanPosition {
  timeS: number;
  seenUserIds: string[];
}

export interface UserScanOptions {
  path: "/v2/mgmt/user/search" | "/v2/mgmt/user/search/test";
  /** Extra search filters, e.g. `{ withTestUser: true }`. */
  filter: Record<string, unknown>;
  /** The time the scan walks; records carry it in seconds, the API filters on it in milliseconds. */
  timeField: UserTimeField;
  from: ScanPosition;
  pageSize: number;
  onTotal?: (total: number) => void;
  /** Told once if the deployment ignores the sort and the scan falls back to time windows. */
  warn?: (message: string) => void;
}

/** Full passes over one crowded second that may find new users before we call it inconsistent. */
const MAX_DRAIN_PASSES = 10;
/** Time windows (order-free reading) aim at this share of a page, so a denser stretch still fits. */
const WINDOW_FILL = 0.7;
const CLOCK_SKEW_S = 300;

interface UserSearchPage {
  users: DescopeUser[];
  total?: number;
}

/**
 * Walks every user matching a search, in ascending `timeField` order, safely while users change.
 *
 * Why not page/offset: a user edited mid-sync leaves the result window and every later row shifts up by one, so
 * plain paging silently skips an unchanged user. Instead each request asks for page 0 *from a moving anchor*
 * (`from<Field>Time` = the last second delivered, inclusive) sorted by that time then userId, and drops the users
 * of the anchor second it already delivered. Each request therefore stands alone: edits, inserts and deletes
 * elsewhere cannot shift it. An edited user moves ahead of the anchor and is met again later with its new
 * version. When more than a page of users share one second (bulk imports), that second is read with pages
 * bounded to the second and re-read until a full pass finds nobody new — edits only move users out of a past
 * second, never in, so a quiet pass is complete.
 */
export function scanUsers(client: DescopeClient, options: UserScanOptions): AsyncGenerator<{ users: DescopeUser[]; position: ScanPosition }> {
  // The next page is requested while the caller still works on this one: each request depends only on the page
  // before it, so the scan itself cannot run further ahead.
  return readAhead(scanUserPages(client, options));
}

async function* scanUserPages(
  client: DescopeClient,
  options: UserScanOptions,
): AsyncGenerator<{ users: DescopeUser[]; position: ScanPosition }> {
  const { timeField, pageSize } = options;
  const fromKey = timeField === "modifiedTime" ? "fromModifiedTime" : "fromCreatedTime";
  const toKey = timeField === "modifiedTime" ? "toModifiedTime" : "toCreatedTime";
  const sort = [
    { field: timeField, desc: false },
    { field: "userId", desc: false },
  ];
  const search = async (body: Record<string, unknown>): Promise<UserSearchPage> =>
    parseUserSearchPage(await client.post(options.path, { ...options.filter, sort, limit: pageSize, ...body }, "userSearch"), options.path);
  const timeOf = (user: DescopeUser): number => {
    const value = user[timeField];
    if (typeof value !== "number") {
      throw systemError(`Descope returned user ${user.userId} without "${timeField}"; this connector pages users by that field and cannot read them safely.`);
    }
    return value;
  };
  const fromSecond = (secondS: number) => ({ [fromKey]: secondS * 1000 });
  const secondsBetween = (fromS: number, toS: number) => ({ [fromKey]: fromS * 1000, [toKey]: toS * 1000 + 999 });

  let anchorS = options.from.timeS;
  let seen = new Set(options.from.seenUserIds);
  let firstPage = true;
  for (;;) {
    const page = await search({ ...fromSecond(anchorS), page: 0 });
    if (firstPage) {
      if (page.total !== undefined) options.onTotal?.(page.total);
      if (!(await sortHonoured(page))) {
        options.warn?.(
          `Descope did not return users sorted by ${timeField}; reading them by time windows instead (safe, but more requests).`,
        );
        yield* scanByWindows({ timeS: anchorS, seenUserIds: [...seen] });
        return;
      }
      firstPage = false;
    }
    assertAscendingFrom(page.users, anchorS, timeOf, timeField);
    const fresh = page.users.filter((user) => !(timeOf(user) === anchorS && seen.has(user.userId)));
    const full = page.users.length >= pageSize;

    if (fresh.length === 0) {
      if (!full) return;
      yield* drainSecond(anchorS, seen);
      anchorS += 1;
      seen = new Set();
      continue;
    }
    const lastS = timeOf(page.users[page.users.length - 1]!);
    if (lastS > anchorS) {
      anchorS = lastS;
      seen = new Set(page.users.filter((user) => timeOf(user) === lastS).map((user) => user.userId));
    } else {
      for (const user of fresh) seen.add(user.userId);
    }
    yield { users: fresh, position: { timeS: anchorS, seenUserIds: [...seen] } };
    // A short page that also covers the whole `total` is the end; without `total` one more request confirms it.
    if (!full && page.total !== undefined && page.users.length >= page.total) return;
  }

  /**
   * The sort is undocumented (reference §4.1), so the first page is checked: ascending, and — when it is full —
   * holding every user before its last second (one count request). A deployment that ignores the sort fails this
   * and is read by time windows instead.
   */
  async function sortHonoured(page: UserSearchPage): Promise<boolean> {
    const times = page.users.map(timeOf);
    if (times.some((time, i) => time < (i === 0 ? anchorS : times[i - 1]!))) return false;
    const lastS = times.at(-1);
    if (page.users.length < pageSize || lastS === undefined || lastS === anchorS) return true;
    const before = await search({ ...secondsBetween(anchorS, lastS - 1), page: 0, limit: 1 });
    return before.total === undefined || before.total === times.filter((time) => time < lastS).length;
  }

  /**
   * Order-free reading: a window of seconds small enough for one request returns all its users at once (`total`
   * says so), so nothing can shift under it; windows are sized from the density `total` reveals and walked in
   * ascending time, each ending in the same resumable position as the anchor scan.
   */
  async function* scanByWindows(from: ScanPosition): AsyncGenerator<{ users: DescopeUser[]; position: ScanPosition }> {
    // Positions come from the users' own times, never our clock: an edit made after a window was read gets a
    // time at or after Descope's now, so resuming from the newest time seen cannot miss it.
    let position = from;
    let startS = from.timeS;
    let delivered = new Set(from.seenUserIds); // users of second `startS` already emitted
    let spanS = Math.max(1, nowS() - startS + 1);
    while (startS <= nowS()) {
      const endS = Math.min(startS + spanS - 1, nowS());
      const page = await search({ ...secondsBetween(startS, endS), page: 0 });
      const complete = page.total !== undefined ? page.users.length >= page.total : page.users.length < pageSize;
      if (!complete && endS > startS) {
        const windowS = endS - startS + 1;
        spanS = Math.max(1, Math.floor((windowS * pageSize * WINDOW_FILL) / Math.max(page.total ?? 2 * pageSize, pageSize + 1)));
        continue;
      }
      if (!complete) {
        for await (const drained of drainSecond(startS, delivered)) {
          position = drained.position;
          yield drained;
        }
      } else if (page.users.length > 0) {
        const fresh = page.users.filter((user) => !(timeOf(user) === startS && delivered.has(user.userId)));
        const lastS = Math.max(...page.users.map(timeOf));
        const atLast = page.users.filter((user) => timeOf(user) === lastS).map((user) => user.userId);
        position = { timeS: lastS, seenUserIds: lastS === position.timeS ? [...new Set([...position.seenUserIds, ...atLast])] : atLast };
        yield { users: fresh, position };
        if (page.users.length < pageSize / 2) spanS *= 2;
      } else {
        spanS *= 2;
      }
      startS = endS + 1;
      delivered = new Set();
    }
  }

  async function* drainSecond(secondS: number, delivered: Set<string>): AsyncGenerator<{ users: DescopeUser[]; position: ScanPosition }> {
    for (let pass = 0; pass < MAX_DRAIN_PASSES; pass++) {
      let foundThisPass = 0;
      for (let pageIndex = 0; ; pageIndex++) {
        const page = await search({ ...secondsBetween(secondS, secondS), page: pageIndex });
        const fresh = page.users.filter((user) => timeOf(user) === secondS && !delivered.has(user.userId));
        for (const user of fresh) delivered.add(user.userId);
        foundThisPass += fresh.length;
        if (fresh.length > 0) yield { users: fresh, position: { timeS: secondS, seenUserIds: [...delivered] } };
        if (page.users.length < pageSize) break;
      }
      if (foundThisPass === 0) return;
    }
    throw systemError(`Users sharing ${timeField} ${secondS} kept changing across ${MAX_DRAIN_PASSES} passes; stopping rather than risk skipping any.`);
  }
}

/** The newest second worth asking about: Descope's clock may run a little ahead of ours. */
function nowS(): number {
  return Math.floor(Date.now() / 1000) + CLOCK_SKEW_S;
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

function parseUserSearchPage(body: unknown, path: string): UserSearchPage {
  const page = body as { users?: unknown; total?: unknown };
  if (!page || typeof page !== "object" || (page.users !== undefined && !Array.isArray(page.users))) {
    throw systemError(`Unexpected response from ${path}: expected {"users": [...]}.`);
  }
  return {
    users: (page.users ?? []) as DescopeUser[],
    total: typeof page.total === "number" ? page.total : undefined,
  };
}
