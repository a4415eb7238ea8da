/** The emulator's own guarantees, over plain HTTP: auth, paging, filters, rate limits, faults, logs and hooks. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { ACCEPTED_FIELDS } from "./accepted-fields.js";
import { ROUTE_KEYS, SIDE_EFFECT_PATHS, STRICT_SWITCHES, startEmulator, type Emulator, type EmulatorOptions } from "./index.js";
import type { DescopeUser } from "./types.js";

const DAY_MS = 24 * 3600 * 1000;
const started: Emulator[] = [];
let clockMs = Date.UTC(2026, 0, 15, 12);

async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ users: 250, testUsers: 10, auditEvents: 300, now: () => clockMs, ...options });
  started.push(emu);
  return emu;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((emu) => emu.close()));
  clockMs = Date.UTC(2026, 0, 15, 12);
});

function call(emu: Emulator, path: string, body?: unknown, init: { method?: string; authorization?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (init.authorization !== null) headers.Authorization = init.authorization ?? `Bearer ${emu.projectId}:${emu.managementKey}`;
  return fetch(emu.url + path, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function searchUsers(emu: Emulator, body: unknown): Promise<{ users: DescopeUser[]; total: number }> {
  const response = await call(emu, "/v2/mgmt/user/search", body);
  expect(response.status).toBe(200);
  return json(response);
}

const byModifiedThenId = (a: DescopeUser, b: DescopeUser) => a.modifiedTime - b.modifiedTime || (a.userId < b.userId ? -1 : 1);

describe("auth", () => {
  it("answers 401 with a Descope error body for a missing or wrong key", async () => {
    const emu = await emulator();
    for (const authorization of [null, `Bearer ${emu.projectId}:wrong`, `${emu.projectId}:${emu.managementKey}`]) {
      const response = await call(emu, "/v1/mgmt/tenant/all", undefined, { authorization });
      expect(response.status).toBe(401);
      expect(await json(response)).toMatchObject({ errorCode: "E011003", errorDescription: expect.any(String), errorMessage: expect.any(String) });
    }
  });

  it("answers 403 when the key lacks permission", async () => {
    const emu = await emulator({ keyWithoutPermission: true });
    expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(403);
  });

  it("answers 404 with a Descope error body for an unknown path", async () => {
    const emu = await emulator();
    const response = await call(emu, "/v1/mgmt/nothing/here");
    expect(response.status).toBe(404);
    expect(await json(response)).toHaveProperty("errorCode");
  });
});

describe("user search", () => {
  it("pages 0-based with a total, defaults to 100 per page, and is empty past the end", async () => {
    const emu = await emulator();
    expect((await searchUsers(emu, {})).users).toHaveLength(100);
    const lastPage = await searchUsers(emu, { page: 2, limit: 100 });
    expect(lastPage).toMatchObject({ total: 250 });
    expect(lastPage.users).toHaveLength(50);
    expect(await searchUsers(emu, { page: 3, limit: 100 })).toEqual({ users: [], total: 250 });
  });

  it("lets offset take precedence over page", async () => {
    const emu = await emulator();
    const sort = [{ field: "userId" }];
    const byOffset = await searchUsers(emu, { page: 5, offset: 7, limit: 3, sort });
    const all = await searchUsers(emu, { limit: 1000, sort });
    expect(byOffset.users).toEqual(all.users.slice(7, 10));
  });

  it("sorts by several keys in an exact, deterministic order", async () => {
    const emu = await emulator();
    const { users } = await searchUsers(emu, { limit: 1000, sort: [{ field: "modifiedTime" }, { field: "userId" }] });
    expect(users).toEqual([...emu.store.users].sort(byModifiedThenId));
    const descending = await searchUsers(emu, {
      limit: 1000,
      sort: [
        { field: "status", desc: true },
        { field: "createdTime", desc: true },
      ],
    });
    expect(descending.users[0].status).toBe("invited");
  });

  it("rejects an unknown sort field", async () => {
    const emu = await emulator();
    expect((await call(emu, "/v2/mgmt/user/search", { sort: [{ field: "shoeSize" }] })).status).toBe(400);
  });

  it("filters on time in milliseconds, inclusive, against times in seconds, accepting numeric strings", async () => {
    const emu = await emulator();
    const pivot = [...emu.store.users].sort(byModifiedThenId)[120];
    const fromMs = pivot.modifiedTime * 1000;
    const expected = emu.store.users.filter((user) => user.modifiedTime * 1000 >= fromMs).sort(byModifiedThenId);
    const sort = [{ field: "modifiedTime" }, { field: "userId" }];
    const asNumber = await searchUsers(emu, { limit: 1000, sort, fromModifiedTime: fromMs });
    const asString = await searchUsers(emu, { limit: 1000, sort, fromModifiedTime: String(fromMs) });
    expect(asNumber.users).toEqual(expected);
    expect(asString).toEqual(asNumber);
    const oneMsLater = await searchUsers(emu, { limit: 1000, sort, fromModifiedTime: fromMs + 1 });
    expect(oneMsLater.users.every((user) => user.modifiedTime > pivot.modifiedTime)).toBe(true);
    const createdWindow = await searchUsers(emu, { limit: 1000, fromCreatedTime: fromMs - 90 * DAY_MS, toCreatedTime: fromMs, sort });
    expect(createdWindow.users.every((user) => user.createdTime * 1000 >= fromMs - 90 * DAY_MS && user.createdTime * 1000 <= fromMs)).toBe(true);
  });

  it("filters by status, tenant, role and text, and can include test users", async () => {
    const emu = await emulator();
    const tenantId = emu.store.tenants[0].id;
    const { users, total } = await searchUsers(emu, { limit: 1000, statuses: ["enabled"], tenantIds: [tenantId] });
    expect(total).toBe(
      emu.store.users.filter((user) => user.status === "enabled" && user.userTenants?.some((entry) => entry.tenantId === tenantId)).length,
    );
    expect(users.length).toBe(total);
    expect((await searchUsers(emu, { withTestUser: true, limit: 1 })).total).toBe(260);
    expect((await searchUsers(emu, { testUsersOnly: true, limit: 1 })).total).toBe(10);
    const someone = emu.store.users[3];
    expect((await searchUsers(emu, { text: someone.userId })).users).toEqual([someone]);
  });

  it("serves many users sharing one second (a bulk import), so same-second paging can be exercised", async () => {
    const emu = await emulator({ bulkImportUsers: 120 });
    const seconds = new Map<number, number>();
    for (const user of emu.store.users) seconds.set(user.modifiedTime, (seconds.get(user.modifiedTime) ?? 0) + 1);
    expect(Math.max(...seconds.values())).toBeGreaterThanOrEqual(120);
  });

  it("omits default values like protojson: false booleans and empty lists are absent", async () => {
    const emu = await emulator();
    const { users } = await searchUsers(emu, { limit: 1000 });
    expect(users.some((user) => !("verifiedPhone" in user))).toBe(true);
    expect(users.some((user) => !("userTenants" in user))).toBe(true);
    expect(users.every((user) => user.verifiedPhone !== false && user.test !== false)).toBe(true);
  });

  it("moves modifiedTime to now when a user is updated, and the from-time search then finds it", async () => {
    const emu = await emulator();
    const user = emu.store.users[0];
    clockMs += 5000;
    const updated = emu.store.updateUser(user.userId);
    expect(updated.modifiedTime).toBe(Math.floor(clockMs / 1000));
    expect(updated.name).not.toBe(user.name);
    const recent = await searchUsers(emu, { fromModifiedTime: clockMs - 1000, sort: [{ field: "modifiedTime" }, { field: "userId" }] });
    expect(recent.users.map((found) => found.userId)).toContain(user.userId);
  });

  it("lets a test change data between the pages of a sync", async () => {
    const emu = await emulator();
    const victim = emu.store.users[10];
    let searches = 0;
    emu.onRequest((request) => {
      if (request.path === "/v2/mgmt/user/search" && ++searches === 2) emu.store.updateUser(victim.userId, { name: "Edited Mid-Sync" });
    });
    await searchUsers(emu, { limit: 10 });
    await searchUsers(emu, { limit: 10, page: 1 });
    expect(emu.store.userById(victim.userId)?.name).toBe("Edited Mid-Sync");
  });
});

describe("login history, provider tokens and groups", () => {
  it("rejects a history body that is not an array, and can wrap the answer", async () => {
    const emu = await emulator({ historyWrapper: true });
    expect((await call(emu, "/v1/mgmt/user/history", { userIds: [] })).status).toBe(400);
    const userIds = emu.store.users.slice(0, 5).map((user) => user.userId);
    expect(await json(await call(emu, "/v1/mgmt/user/history", userIds))).toEqual({ usersAuthHistory: emu.store.loginsOf(userIds) });
  });

  it("answers a Descope error when provider token management is disabled", async () => {
    const emu = await emulator({ providerTokenManagement: false });
    const response = await call(emu, "/v1/mgmt/user/provider/token?loginId=x&provider=google");
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ errorCode: "E011003", errorDescription: "Provider token management is disabled for this project" });
  });

  it("answers 404 for a linked provider without a stored token, and records forceRefresh", async () => {
    const emu = await emulator({ users: 1000 });
    const missing = emu.store.users.flatMap((user) =>
      Object.entries(user.OAuth ?? {})
        .filter(([provider, linked]) => linked && !emu.store.providerToken(user, provider))
        .map(([provider]) => ({ user, provider })),
    )[0];
    expect((await call(emu, `/v1/mgmt/user/provider/token?loginId=${missing.user.loginIds[0]}&provider=${missing.provider}`)).status).toBe(404);
    const token = emu.store.providerTokens[0];
    await call(emu, `/v1/mgmt/user/provider/token?loginId=${token.userId}&provider=${token.provider}&forceRefresh=true`);
    expect(emu.requests.at(-1)?.query).toMatchObject({ forceRefresh: "true" });
    expect(emu.store.providerTokens[0].accessToken).not.toBe(token.accessToken);
  });

  it("requires a tenantId for groups and can wrap the answer", async () => {
    const emu = await emulator({ groupsWrapper: true });
    expect((await call(emu, "/v1/mgmt/group/all", {})).status).toBe(400);
    const tenantId = emu.store.tenants[0].id;
    expect(await json(await call(emu, "/v1/mgmt/group/all", { tenantId }))).toEqual({ groups: emu.store.groupsOf(tenantId) });
  });

  it("leaves empty lists out of an empty project's answers", async () => {
    const emu = await emulator({ emptyProject: true });
    for (const path of [
      "/v1/mgmt/tenant/all",
      "/v1/mgmt/role/all",
      "/v1/mgmt/permission/all",
      "/v1/mgmt/sso/idp/apps/load",
      "/v1/mgmt/user/customattributes",
    ]) {
      expect(await json(await call(emu, path))).toEqual({});
    }
    expect(await json(await call(emu, "/v1/mgmt/accesskey/search", {}))).toEqual({});
    expect((await searchUsers(emu, {})).total).toBe(250);
  });
});

describe("audit search", () => {
  it("rejects from older than 30 days, treats non-positive times as unset, and pages newest first", async () => {
    const emu = await emulator();
    const tooOld = await call(emu, "/v1/mgmt/audit/search", { from: clockMs - 30 * DAY_MS - 1 });
    expect(tooOld.status).toBe(400);
    expect(await json(tooOld)).toMatchObject({ errorCode: "E011003", errorMessage: expect.stringContaining("30 days") });
    const searchable = emu.store.auditEvents.filter((event) => Number(event.occurred) >= clockMs - 30 * DAY_MS);
    expect(searchable.length).toBeLessThan(emu.store.auditEvents.length);
    const unset = await json<{ audits: { occurred: string }[]; total: number }>(
      await call(emu, "/v1/mgmt/audit/search", { from: -62135596800000, to: 0, size: 50 }),
    );
    expect(unset.total).toBe(searchable.length);
    expect(unset.audits).toEqual([...searchable].reverse().slice(0, 50));
    expect(typeof unset.audits[0].occurred).toBe("string");
    const oldestFirst = await json<{ audits: unknown[] }>(
      await call(emu, "/v1/mgmt/audit/search", { oldestFirst: true, page: 1, size: 10, from: String(clockMs - 30 * DAY_MS) }),
    );
    expect(oldestFirst.audits).toEqual(searchable.slice(10, 20));
  });

  it("can leave the audit ID out", async () => {
    const emu = await emulator({ auditIds: false });
    expect(emu.store.auditEvents.some((event) => "ID" in event)).toBe(false);
  });

  it("can bound from and to exclusively, ignore oldestFirst and send the ID as id", async () => {
    const emu = await emulator();
    const [a, b, c] = [0, 1, 2].map((i) => emu.store.addAuditEvent({ occurred: String(clockMs - DAY_MS + i) }));
    const search = async (options: EmulatorOptions, body: object) => {
      const other = await emulator(options);
      for (const event of [a, b, c]) other.store.addAuditEvent(event!);
      return json<{ audits: Record<string, unknown>[]; total: number }>(await call(other, "/v1/mgmt/audit/search", body));
    };
    const window = { from: Number(a!.occurred), to: Number(c!.occurred), oldestFirst: true };
    expect((await search({ seed: 7, auditEvents: 0 }, window)).audits.map((event) => event.ID)).toEqual([a!.ID, b!.ID, c!.ID]);
    expect((await search({ seed: 7, auditEvents: 0, exclusiveAuditFrom: true }, window)).audits.map((event) => event.ID)).toEqual([b!.ID, c!.ID]);
    expect((await search({ seed: 7, auditEvents: 0, exclusiveAuditTo: true }, window)).audits.map((event) => event.ID)).toEqual([a!.ID, b!.ID]);
    expect((await search({ seed: 7, auditEvents: 0, ignoreAuditOldestFirst: true }, window)).audits.map((event) => event.ID)).toEqual([
      c!.ID,
      b!.ID,
      a!.ID,
    ]);
    const renamed = await search({ seed: 7, auditEvents: 0, auditIdField: "id" }, window);
    expect(renamed.audits.map((event) => event.id)).toEqual([a!.ID, b!.ID, c!.ID]);
    expect(renamed.audits.some((event) => "ID" in event)).toBe(false);
  });

  it("rejects analytics older than 12 months", async () => {
    const emu = await emulator();
    expect((await call(emu, "/v1/mgmt/analytics/search", { from: clockMs - 400 * DAY_MS })).status).toBe(400);
  });
});

describe("unknown request fields (rejectUnknownFields)", () => {
  it("lists the accepted fields of every endpoint the emulator serves", () => {
    expect(ROUTE_KEYS.filter((key) => !(key in ACCEPTED_FIELDS))).toEqual([]);
  });

  it("answers 400 naming the first unknown body field, per endpoint, and accepts every listed one", async () => {
    const emu = await emulator({ rejectUnknownFields: true });
    const rejected = await call(emu, "/v1/mgmt/audit/search", { from: clockMs - DAY_MS, sortBy: "occurred", order: "asc" });
    expect(rejected.status).toBe(400);
    expect(await json(rejected)).toMatchObject({ errorCode: "E011001", errorMessage: expect.stringContaining('"sortBy"') });
    // `limit` is a user-search field, not an audit one (audit pages with `size`).
    expect((await call(emu, "/v1/mgmt/audit/search", { limit: 10 })).status).toBe(400);
    expect((await call(emu, "/v2/mgmt/user/search", { limit: 10, sort: [{ field: "userId" }], withTestUser: true })).status).toBe(200);
    expect((await call(emu, "/v1/mgmt/accesskey/search", { tenantIds: [], limit: 1 })).status).toBe(400);
    expect((await call(emu, "/v1/mgmt/group/all", { tenantId: emu.store.tenants[0]!.id, page: 0 })).status).toBe(400);
    expect((await call(emu, "/v1/mgmt/user/history", [emu.store.users[0]!.userId])).status).toBe(200);
    expect((await call(emu, "/v1/mgmt/tenant/all?page=1")).status).toBe(400);
    expect((await call(emu, `/v1/mgmt/tenant?id=${emu.store.tenants[0]!.id}`)).status).toBe(200);
    // Without the switch the same requests succeed: the gateway's strictness is an option.
    const lenient = await emulator();
    expect((await call(lenient, "/v1/mgmt/audit/search", { from: clockMs - DAY_MS, sortBy: "occurred" })).status).toBe(200);
  });

  it("strict turns on every unfriendly switch, and explicit options still win", async () => {
    const emu = await emulator({ strict: true, ignoreUserSort: false, rejectUserSort: false, usersWithoutTimes: 0 });
    expect((await call(emu, "/v1/mgmt/audit/search", { sortBy: "occurred" })).status).toBe(400);
    const page = await json<{ audits: Record<string, unknown>[] }>(await call(emu, "/v1/mgmt/audit/search", { oldestFirst: true, size: 5 }));
    expect(Number(page.audits[0]!.occurred)).toBeGreaterThan(Number(page.audits[4]!.occurred));
    expect(page.audits[0]).toHaveProperty("id");
    const sorted = await searchUsers(emu, { sort: [{ field: "modifiedTime" }], limit: 300 });
    expect(sorted.users).toEqual([...sorted.users].sort(byModifiedThenId));
    expect(Object.keys(STRICT_SWITCHES)).toEqual(
      expect.arrayContaining([
        "exclusiveAuditFrom",
        "ignoreAuditOldestFirst",
        "rejectUnknownFields",
        "exclusiveUserTimeBounds",
        "rejectUserSort",
        "usersWithoutTimes",
      ]),
    );
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After per bucket, counts them, and frees the window with time", async () => {
    const emu = await emulator({ rateLimits: { userSearch: { limit: 2, windowMs: 10_000 }, audit: { limit: 1, windowMs: 60_000 } } });
    await searchUsers(emu, {});
    clockMs += 2500;
    await call(emu, "/v2/mgmt/user/search/test", {});
    const limited = await call(emu, "/v1/mgmt/user/search", {});
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("8");
    expect(await json(limited)).toMatchObject({ errorCode: "E130429", errorDescription: "Rate limit exceeded" });
    expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(200);
    await call(emu, "/v1/mgmt/audit/search", {});
    expect((await call(emu, "/v1/mgmt/audit/search", {})).status).toBe(429);
    expect(emu.rateLimitHits).toEqual({ userSearch: 1, audit: 1, management: 0 });
    clockMs += 7500;
    expect((await call(emu, "/v2/mgmt/user/search", {})).status).toBe(200);
  });

  it("never limits when rateLimits is false", async () => {
    const emu = await emulator({ rateLimits: false });
    for (let i = 0; i < 12; i++) expect((await call(emu, "/v1/mgmt/audit/search", {})).status).toBe(200);
  });

  it("on a scaled clock a minute's window lasts timeScale minutes and Retry-After still counts Descope's seconds", async () => {
    const emu = await emulator({ rateLimits: { management: { limit: 2, windowMs: 60_000 } }, timeScale: 0.01 });
    await call(emu, "/v1/mgmt/tenant/all");
    await call(emu, "/v1/mgmt/tenant/all");
    const limited = await call(emu, "/v1/mgmt/tenant/all");
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "60"]);
    clockMs += 590;
    expect((await call(emu, "/v1/mgmt/tenant/all")).headers.get("retry-after")).toBe("1");
    clockMs += 10;
    expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(200);
  });
});

describe("faults", () => {
  it("answers an injected status with a raw body and headers, in order, for matching paths only", async () => {
    const emu = await emulator();
    emu.faults.add({
      match: "/v1/mgmt/tenant/all",
      kind: "status",
      status: 503,
      body: "<html>Cloudflare</html>",
      headers: { "Content-Type": "text/html" },
    });
    emu.faults.add({ match: /\/role\//, kind: "status", status: 520, times: 2 });
    expect((await call(emu, "/v1/mgmt/permission/all")).status).toBe(200);
    const html = await call(emu, "/v1/mgmt/tenant/all");
    expect([html.status, await html.text()]).toEqual([503, "<html>Cloudflare</html>"]);
    expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(200);
    expect((await call(emu, "/v1/mgmt/role/all")).status).toBe(520);
    expect((await call(emu, "/v1/mgmt/role/all")).status).toBe(520);
    expect((await call(emu, "/v1/mgmt/role/all")).status).toBe(200);
  });

  it("injects 429s with and without Retry-After, and permanent faults until cleared", async () => {
    const emu = await emulator();
    emu.faults.add({ kind: "rateLimit", retryAfterSeconds: 3 });
    emu.faults.add({ kind: "rateLimit", retryAfterSeconds: null });
    const first = await call(emu, "/v1/mgmt/tenant/all");
    expect([first.status, first.headers.get("retry-after")]).toEqual([429, "3"]);
    const second = await call(emu, "/v1/mgmt/tenant/all");
    expect([second.status, second.headers.get("retry-after")]).toEqual([429, null]);
    emu.faults.add({ kind: "status", status: 500, times: Infinity });
    for (let i = 0; i < 3; i++) expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(500);
    emu.faults.clear();
    expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(200);
  });

  it("truncates a 200 JSON body so it does not parse", async () => {
    const emu = await emulator();
    emu.faults.add({ kind: "truncatedJson" });
    const response = await call(emu, "/v2/mgmt/user/search", {});
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith('{"users":[')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  it("resets the connection in the middle of the body", async () => {
    const emu = await emulator();
    emu.faults.add({ kind: "reset" });
    await expect(call(emu, "/v2/mgmt/user/search", {}).then((response) => response.text())).rejects.toThrow();
    expect((await call(emu, "/v2/mgmt/user/search", {})).status).toBe(200);
  });

  it("hangs until the client gives up, or for a while before answering", async () => {
    const emu = await emulator();
    emu.faults.add({ kind: "hang" });
    await expect(fetch(`${emu.url}/v1/mgmt/tenant/all`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    emu.faults.add({ kind: "hang", ms: 150 });
    const startedAt = performance.now();
    expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
  });
});

describe("request log and side effects", () => {
  it("records method, path, query, body and status, never the Authorization header", async () => {
    const emu = await emulator();
    await call(emu, "/v2/mgmt/user/search", { limit: 5 });
    await call(emu, "/v1/mgmt/tenant?id=nope");
    expect(emu.requests).toHaveLength(2);
    expect(emu.requests[0]).toMatchObject({ method: "POST", path: "/v2/mgmt/user/search", body: { limit: 5 }, status: 200, at: clockMs });
    expect(emu.requests[1]).toMatchObject({ method: "GET", query: { id: "nope" }, status: 404 });
    expect(JSON.stringify(emu.requests)).not.toContain(emu.managementKey);
  });

  it("serves and records every side-effecting endpoint", async () => {
    const emu = await emulator();
    expect(SIDE_EFFECT_PATHS).toEqual(
      expect.arrayContaining(["/v1/mgmt/user/create", "/v1/mgmt/tests/generate/otp", "/v1/mgmt/audit/event", "/v1/mgmt/user/test/delete/all"]),
    );
    for (const path of SIDE_EFFECT_PATHS) {
      const method = path === "/v1/mgmt/user/test/delete/all" ? "DELETE" : path === "/v1/mgmt/thirdparty/app/secret" ? "GET" : "POST";
      expect((await call(emu, path, method === "POST" ? { loginId: "someone@example.com" } : undefined, { method })).status).toBe(200);
    }
    expect(emu.requests.map((request) => request.path)).toEqual(SIDE_EFFECT_PATHS);
  });
});

describe("admin surface", () => {
  it("touches users, queues faults, lists requests and resets, without auth", async () => {
    const emu = await emulator();
    const user = emu.store.users[0];
    clockMs += 60_000;
    const touched = await json<{ user: DescopeUser }>(await fetch(`${emu.url}/__emulator/users/${user.userId}/touch`, { method: "POST" }));
    expect(touched.user.modifiedTime).toBe(Math.floor(clockMs / 1000));
    await fetch(`${emu.url}/__emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ kind: "status", status: 502, matchRegex: "tenant", times: "Infinity" }),
    });
    expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(502);
    const log = await json<{ requests: unknown[] }>(await fetch(`${emu.url}/__emulator/requests`));
    expect(log.requests).toHaveLength(1);
    await fetch(`${emu.url}/__emulator/reset`, { method: "POST" });
    expect(emu.requests).toHaveLength(0);
    expect((await call(emu, "/v1/mgmt/tenant/all")).status).toBe(200);
  });
});

describe("cli", () => {
  it("prints its address as one JSON line and serves until SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "integration_tests/emulator/cli.ts", "--port", "0", "--users", "50", "--no-rate-limits"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
    const { url, projectId, managementKey } = JSON.parse(line) as { url: string; projectId: string; managementKey: string };
    const response = await fetch(`${url}/v2/mgmt/user/search`, {
      method: "POST",
      headers: { Authorization: `Bearer ${projectId}:${managementKey}` },
      body: "{}",
    });
    expect((await json(response)).total).toBe(50);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("--strict serves the strict emulator", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "integration_tests/emulator/cli.ts", "--port", "0", "--users", "5", "--strict"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
    const { url, projectId, managementKey } = JSON.parse(line) as { url: string; projectId: string; managementKey: string };
    const response = await fetch(`${url}/v1/mgmt/audit/search`, {
      method: "POST",
      headers: { Authorization: `Bearer ${projectId}:${managementKey}` },
      body: '{"sortBy":"x"}',
    });
    expect(response.status).toBe(400);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });
});
