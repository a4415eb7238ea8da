import { afterEach, describe, expect, it } from "vitest";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../../integration_tests/emulator/index.js";
import { DescopeClient } from "../client.js";
import { scanUsers, type ScanPage, type ScanPosition, type UserScanOptions } from "./index.js";

/**
 * The user scan in-process against the emulator (no build, no spawned binary): rate limits off on both sides,
 * so these run in well under a second each.
 */
let emulator: Emulator | undefined;
let client: DescopeClient | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  client = emulator = undefined;
});

interface ScanRun {
  pages: ScanPage[];
  ids: string[];
  warnings: string[];
  reports: string[];
  error?: Error;
}

async function emulated(options: EmulatorOptions): Promise<Emulator> {
  emulator = await startEmulator({ rateLimits: false, testUsers: 0, ...options });
  client = clientFor(emulator);
  return emulator;
}

function clientFor(emu: Emulator): DescopeClient {
  return new DescopeClient({
    projectId: emu.projectId,
    managementKey: emu.managementKey,
    baseUrl: emu.url,
    requestTimeoutMs: 10_000,
    maxRetries: 0,
    requestsPerMinute: { userSearch: 1e9, management: 1e9, audit: 1e9 },
    maxConnections: 8,
    timeScale: 0.001,
    log: { info() {}, warn() {} },
  });
}

async function scan(options: Partial<UserScanOptions> = {}, via: DescopeClient = client!): Promise<ScanRun> {
  const run: ScanRun = { pages: [], ids: [], warnings: [], reports: [] };
  try {
    for await (const page of scanUsers(via, {
      path: "/v2/mgmt/user/search",
      filter: {},
      timeField: "modifiedTime",
      from: { timeS: 0, seenUserIds: [] },
      pageSize: 50,
      concurrency: 1,
      log: { info() {}, warn: (message) => run.warnings.push(message) },
      report: (detail) => run.reports.push(detail),
      ...options,
    })) {
      run.pages.push(page);
      run.ids.push(...page.users.map((user) => user.userId));
    }
  } catch (error) {
    run.error = error as Error;
  }
  return run;
}

const sortedIds = (ids: Iterable<string>) => [...ids].sort();
const regularIds = (emu: Emulator) => sortedIds(emu.store.users.map((user) => user.userId));
const searchBodies = (emu: Emulator) =>
  emu.requests.filter((request) => request.path === "/v2/mgmt/user/search").map((request) => request.body as Record<string, unknown>);

function expectPositionsAscending(pages: ScanPage[]): void {
  const times = pages.map((page) => page.position.timeS);
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

describe("the user scan, sorted by the anchor walk", () => {
  it.each([false, true])("delivers every user exactly once, positions ascending (exclusive from: %s)", async (exclusiveUserTimeBounds) => {
    const emu = await emulated({ users: 430, seed: 5, exclusiveUserTimeBounds });
    const run = await scan();
    expect(run.error).toBeUndefined();
    expect(run.ids).toHaveLength(430);
    expect(sortedIds(run.ids)).toEqual(regularIds(emu));
    expectPositionsAscending(run.pages);
    expect(run.warnings).toEqual([]);
    expect(run.reports).toEqual(["search total 430 at start / 430 at end; 430 users delivered"]);
  });

  it.each([false, true])(
    "a second holding more users than a page is drained, each user once (exclusive from: %s)",
    async (exclusiveUserTimeBounds) => {
      const emu = await emulated({ users: 300, bulkImportUsers: 170, seed: 6, exclusiveUserTimeBounds });
      const run = await scan();
      expect(run.error).toBeUndefined();
      expect(run.ids).toHaveLength(300);
      expect(sortedIds(run.ids)).toEqual(regularIds(emu));
      const bulkSecondMs = emu.store.users.at(-1)!.modifiedTime * 1000;
      // The drain asks for that one second, page by page.
      expect(
        searchBodies(emu).some(
          (body) => body.fromModifiedTime === bulkSecondMs - 1 && body.toModifiedTime === bulkSecondMs + 1000 && body.page === 3,
        ),
      ).toBe(true);
    },
  );

  it("resuming from a second whose users were all delivered (an empty rest of the second) reads only what is newer", async () => {
    const emu = await emulated({ users: 200, seed: 8 });
    const byTime = [...emu.store.users].sort((a, b) => a.modifiedTime - b.modifiedTime || a.userId.localeCompare(b.userId));
    const at = byTime[120]!.modifiedTime;
    const from: ScanPosition = { timeS: at, seenUserIds: byTime.filter((user) => user.modifiedTime === at).map((user) => user.userId) };
    const run = await scan({ from });
    expect(sortedIds(run.ids)).toEqual(sortedIds(byTime.filter((user) => user.modifiedTime > at).map((user) => user.userId)));
  });

  it("a cursor past every user yields no page and no error", async () => {
    await emulated({ users: 50 });
    const run = await scan({ from: { timeS: Math.floor(Date.now() / 1000) + 3600, seenUserIds: [] } });
    expect(run.error).toBeUndefined();
    expect(run.pages).toEqual([]);
  });

  it("sends only fields the SDKs send, never null, and no `from` when the walk starts at 0", async () => {
    const emu = await emulated({ users: 120 });
    await scan();
    const allowed = new Set(["limit", "page", "sort", "fromModifiedTime", "toModifiedTime"]);
    for (const body of searchBodies(emu)) {
      expect(Object.keys(body).filter((key) => !allowed.has(key))).toEqual([]);
      expect(Object.values(body)).not.toContain(null);
    }
    expect(searchBodies(emu).filter((body) => body.limit !== 1)[0]).not.toHaveProperty("fromModifiedTime");
  });
});

describe("time bounds under both comparison semantics", () => {
  /**
   * A client that sends what the scan used to send (from = S*1000, to = E*1000+999), rewriting the safe bounds.
   * Under strictly-after `from`, the rest of a second a page ended in is skipped.
   */
  function oldShapeClient(emu: Emulator): DescopeClient {
    const inner = clientFor(emu);
    const oldShape = (body: Record<string, unknown>) => {
      const rewritten = { ...body };
      for (const key of ["fromModifiedTime", "fromCreatedTime"])
        if (typeof rewritten[key] === "number") rewritten[key] = (rewritten[key] as number) + 1;
      for (const key of ["toModifiedTime", "toCreatedTime"]) if (typeof rewritten[key] === "number") rewritten[key] = (rewritten[key] as number) - 1;
      return rewritten;
    };
    return Object.assign(Object.create(inner) as DescopeClient, {
      post: (path: string, body: unknown, bucket: "userSearch") => inner.post(path, oldShape(body as Record<string, unknown>), bucket),
    });
  }

  it.each(["sorted", "windows"] as const)("the old request shape loses users under exclusive bounds, the safe one does not (%s)", async (order) => {
    const emu = await emulated({ users: 400, bulkImportUsers: 120, seed: 9, exclusiveUserTimeBounds: true, ignoreUserSort: order === "windows" });
    // An incremental walk from the bulk second (no full-read count check, so only the delivered set speaks).
    const bulkS = emu.store.users.at(-1)!.modifiedTime;
    const expected = sortedIds(emu.store.users.filter((user) => user.modifiedTime >= bulkS).map((user) => user.userId));
    const safe = await scan({ from: { timeS: bulkS, seenUserIds: [] } });
    expect(sortedIds(new Set(safe.ids))).toEqual(expected);
    const old = await scan({ from: { timeS: bulkS, seenUserIds: [] } }, oldShapeClient(emu));
    expect(new Set(old.ids).size).toBeLessThan(expected.length);
  });

  it("a resumed walk re-reads its anchor second whole under exclusive bounds", async () => {
    const emu = await emulated({ users: 300, bulkImportUsers: 90, seed: 10, exclusiveUserTimeBounds: true });
    const bulk = emu.store.users.filter((user) => user.modifiedTime === emu.store.users.at(-1)!.modifiedTime);
    const seen = bulk.slice(0, 30).map((user) => user.userId);
    const run = await scan({ from: { timeS: bulk[0]!.modifiedTime, seenUserIds: seen } });
    const delivered = new Set(run.ids);
    for (const user of bulk.slice(30)) expect(delivered.has(user.userId)).toBe(true);
    for (const id of seen) expect(delivered.has(id)).toBe(false);
  });
});

describe("a deployment that does not sort", () => {
  it("ignoring the sort: read by time windows, every user once, with one warning", async () => {
    const emu = await emulated({ users: 500, bulkImportUsers: 80, ignoreUserSort: true, seed: 12 });
    const run = await scan();
    expect(run.error).toBeUndefined();
    expect(run.ids).toHaveLength(500);
    expect(sortedIds(run.ids)).toEqual(regularIds(emu));
    expect(run.warnings.filter((warning) => warning.includes("did not return users sorted"))).toHaveLength(1);
    expectPositionsAscending(run.pages);
  });

  it("rejecting the sort (400 naming the field): the first page falls back to time windows, never sorting again", async () => {
    const emu = await emulated({ users: 500, rejectUserSort: true, seed: 13 });
    const run = await scan();
    expect(run.error).toBeUndefined();
    expect(sortedIds(run.ids)).toEqual(regularIds(emu));
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toContain("refused to sort users by modifiedTime");
    expect(run.warnings[0]).toContain("modifiedTime");
    expect(searchBodies(emu).filter((body) => "sort" in body)).toHaveLength(1);
  });
});

describe("users without times", () => {
  it.each([false, true])(
    "are read as time 0 and delivered unchanged by a full read, with one warning (exclusive from: %s)",
    async (exclusiveUserTimeBounds) => {
      const emu = await emulated({ users: 200, usersWithoutTimes: 7, seed: 14, exclusiveUserTimeBounds });
      for (const [timeField, order] of [
        ["modifiedTime", "sorted"],
        ["createdTime", "sorted"],
      ] as const) {
        const run = await scan({ timeField });
        expect(run.error, `${timeField} ${order}`).toBeUndefined();
        expect(sortedIds(run.ids)).toEqual(regularIds(emu));
        const timeless = run.pages.flatMap((page) => page.users).filter((user) => user.modifiedTime === undefined);
        expect(timeless).toHaveLength(7);
        expect(timeless.every((user) => !("createdTime" in user))).toBe(true);
        expect(run.warnings).toHaveLength(1);
        expect(run.warnings[0]).toMatch(new RegExp(`^7 users came without "${timeField}"`));
      }
    },
  );

  it("are read by the time-window fallback too", async () => {
    const emu = await emulated({ users: 200, usersWithoutTimes: 4, ignoreUserSort: true, exclusiveUserTimeBounds: true });
    const run = await scan();
    expect(sortedIds(run.ids)).toEqual(regularIds(emu));
  });
});

describe("edits during the scan", () => {
  it.each([1, 4])("every user's final version arrives across the scan and the next one (concurrency %i)", async (concurrency) => {
    const emu = await emulated({ users: 1500, bulkImportUsers: 200, seed: 15, latencyMs: 2 });
    let searches = 0;
    emu.onRequest((request) => {
      // Eight rounds of edits behind and ahead of the scan, as an admin or SCIM job would make.
      if (request.path !== "/v2/mgmt/user/search" || ++searches % 5 !== 0 || searches > 40) return;
      const byTime = [...emu.store.users].sort((a, b) => a.modifiedTime - b.modifiedTime);
      for (let i = searches % 7; i < byTime.length; i += 61) emu.store.updateUser(byTime[i]!.userId);
    });
    const first = await scan({ concurrency });
    expect(first.error).toBeUndefined();
    expectPositionsAscending(first.pages);
    expect(searches).toBeGreaterThan(10);
    // Resumed as the users stream does after a finished sync: the last second again, whole (a user edited twice
    // within one second keeps its modifiedTime).
    const second = await scan({ concurrency, from: { timeS: first.pages.at(-1)!.position.timeS, seenUserIds: [] } });
    const latest = new Map<string, unknown>();
    for (const user of [...first.pages, ...second.pages].flatMap((page) => page.users)) latest.set(user.userId, user);
    expect(latest.size).toBe(emu.store.users.length);
    for (const user of emu.store.users) expect(latest.get(user.userId)).toEqual(user);
  });
});

/** Creates `count` users on the emulator as its `nth` user search arrives. */
function createUsersAtSearch(nth: number, count: number): void {
  let searches = 0;
  emulator!.onRequest((request) => {
    if (request.path === "/v2/mgmt/user/search" && ++searches === nth) for (let i = 0; i < count; i++) emulator!.store.createUser();
  });
}

describe("the full read checks itself against the search total", () => {
  it("a backend that silently leaves users out of its pages fails the scan loudly", async () => {
    await emulated({ users: 600, dropUsersFromPages: 40, seed: 16 });
    const run = await scan();
    expect(run.error?.message).toMatch(
      /counted at least 600 users throughout the read \(search total 600 at start \/ 600 at end\), but only \d+ came/,
    );
  });

  it("users created during the read are explained by the end count, not an error", async () => {
    await emulated({ users: 400, seed: 17 });
    createUsersAtSearch(4, 3);
    const run = await scan();
    expect(run.error).toBeUndefined();
    expect(run.reports).toEqual(["search total 400 at start / 403 at end; 403 users delivered (3 changed or created during the read)"]);
  });

  it("users created while the start count is on its way are counted and delivered", async () => {
    const emu = await emulated({ users: 400, seed: 17 });
    createUsersAtSearch(1, 2);
    const run = await scan();
    expect(run.error).toBeUndefined();
    expect(sortedIds(run.ids)).toEqual(regularIds(emu));
    expect(run.reports[0]).toMatch(/^search total 40[02] at start \/ 402 at end; 402 users delivered/);
  });

  it("a start count that fails fails the scan, even when the page sent beside it fails first (nothing left unhandled)", async () => {
    const emu = await emulated({ users: 300, seed: 17 });
    const failSearches = (times: number) =>
      emu.faults.add({ kind: "status", status: 500, body: { errorDescription: "down" }, match: "/v2/mgmt/user/search", times });
    failSearches(1);
    const countFailed = await scan();
    expect(countFailed.error?.message).toMatch(/HTTP 500/);
    failSearches(2);
    const bothFailed = await scan();
    expect(bothFailed.error?.message).toMatch(/HTTP 500/);
    expect(bothFailed.ids).toEqual([]);
  });

  it("a full read sends no request for the open tail before its end count: the look after the count reads it", async () => {
    const emu = await emulated({ users: 120, seed: 17 });
    const run = await scan();
    expect(run.error).toBeUndefined();
    const bodies = searchBodies(emu);
    const endCount = bodies.findLastIndex((body) => body.limit === 1);
    expect(bodies.slice(0, endCount).filter((body) => body.limit !== 1 && body.toModifiedTime === undefined)).toEqual([]);
  });
});

/** Holds every user search 5 ms longer and records the most answered at once. */
function searchesInFlight(emu: Emulator): { max: number } {
  const searches = { now: 0, max: 0 };
  emu.onRequest(async (request) => {
    if (request.path !== "/v2/mgmt/user/search") return;
    searches.max = Math.max(searches.max, ++searches.now);
    await new Promise((resolve) => setTimeout(resolve, 5));
    searches.now--;
  });
  return searches;
}

describe("concurrent ranges", () => {
  it("read past ranges at once but deliver in order, every user once, within the concurrency", async () => {
    const emu = await emulated({ users: 3000, seed: 18, latencyMs: 5 });
    const searches = searchesInFlight(emu);
    const run = await scan({ concurrency: 4 });
    expect(run.error).toBeUndefined();
    expect(run.ids).toHaveLength(3000);
    expect(sortedIds(run.ids)).toEqual(regularIds(emu));
    expectPositionsAscending(run.pages);
    expect(searches.max).toBeGreaterThan(1);
    expect(searches.max).toBeLessThanOrEqual(4);
  });
});

describe("how much a scan holds when the budget is not the limit (pacing off)", () => {
  const options = (): UserScanOptions => ({
    path: "/v2/mgmt/user/search",
    filter: {},
    timeField: "modifiedTime",
    from: { timeS: 0, seenUserIds: [] },
    pageSize: 50,
    concurrency: 4,
    // A budget far beyond what 4 requests at the emulator's latency can use: requests are not scarce.
    requestIntervalMs: 0.001,
    log: { info() {}, warn() {} },
  });
  const pageRequests = (emu: Emulator) => searchBodies(emu).filter((body) => body.limit === 50).length;

  it("ranges are one request each, so a consumer that stops taking pages leaves about one page per range waiting", async () => {
    const emu = await emulated({ users: 3000, seed: 18, latencyMs: 2 });
    const iterator = scanUsers(client!, options())[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const atFirstPage = pageRequests(emu);
    // Time for every range allowed to run to fill up (an upper bound: a slow machine only reads less).
    for (let i = 0; i < 40; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    // At most `concurrency` × 1 page waits, plus the head's next page; 4 pages a range would let about 16 wait.
    expect(pageRequests(emu) - atFirstPage).toBeLessThanOrEqual(4 + 1);
    await iterator.return?.(undefined);
  });

  it("keeps no delivered page alive once the consumer has let go of it, the order check's first page included", async () => {
    await emulated({ users: 600, seed: 18 });
    setFlagsFromString("--expose-gc");
    const collectGarbage = runInNewContext("gc") as () => void;
    const delivered: WeakRef<object>[] = [];
    let pages = 0;
    for await (const page of scanUsers(client!, { ...options(), concurrency: 1 })) {
      delivered.push(new WeakRef(page.users[0]!));
      if (++pages < 8) continue;
      collectGarbage();
      // The last page is still this loop's; every earlier one must be gone.
      expect(delivered.slice(0, -1).map((ref, index) => (ref.deref() === undefined ? undefined : index))).toEqual(
        delivered.slice(0, -1).map(() => undefined),
      );
    }
    expect(pages).toBeGreaterThan(8);
  });

  it("reads one range at a time, not all `concurrency`: more would only leave pages waiting in memory", async () => {
    const emu = await emulated({ users: 3000, seed: 18, latencyMs: 2 });
    const searches = searchesInFlight(emu);
    const ids: string[] = [];
    for await (const page of scanUsers(client!, options())) ids.push(...page.users.map((user) => user.userId));
    expect(sortedIds(ids)).toEqual(regularIds(emu));
    // One range, plus the head when a split-off range lands ahead of it (the head always runs); two ranges reach 3.
    expect(searches.max).toBeLessThanOrEqual(2);
  });
});
