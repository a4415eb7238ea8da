/**
 * Fidelity: the official @descope/node-sdk, pointed at the emulator, parses every response into the data the
 * emulator's store holds. If the SDK can read it, the wire shapes match what the real API sends. Run against the
 * default emulator and the strict one: strict mode's unfriendly switches must stay within what an SDK accepts,
 * and every field an SDK sends must be in accepted-fields.ts.
 */
import DescopeClient from "@descope/node-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "./index.js";

const NOW_MS = Date.UTC(2026, 0, 15, 12);
const DAY_MS = 24 * 3600 * 1000;

function data<T>(response: { ok: boolean; data?: T; error?: unknown }): T {
  expect(response.error).toBeUndefined();
  expect(response.ok).toBe(true);
  return response.data as T;
}

const MODES: [string, EmulatorOptions][] = [
  ["default", {}],
  ["strict", { strict: true }],
];

describe.each(MODES)("node-sdk against the %s emulator", (mode, modeOptions) => {
  let emu: Emulator;
  let management: ReturnType<typeof DescopeClient>["management"];

  beforeAll(async () => {
    emu = await startEmulator({ users: 300, testUsers: 12, tenants: 6, auditEvents: 400, rateLimits: false, now: () => NOW_MS, ...modeOptions });
    management = DescopeClient({ projectId: emu.projectId, managementKey: emu.managementKey, baseUrl: emu.url }).management;
    // Every request the SDK sends must be accepted: a 400 naming an unknown field means accepted-fields.ts lacks it.
    emu.onRequest((request) => void requests.push(request));
  });
  const requests: { path: string; status: number }[] = [];
  afterAll(async () => {
    expect(
      requests.filter((request) => request.status === 400 && !request.path.includes("/audit/search")),
      "requests refused",
    ).toEqual([]);
    await emu.close();
  });

  it("searches users page by page with a total (in strict mode without a sort, which it may ignore or refuse)", async () => {
    if (mode === "strict") {
      const pages = await Promise.all([0, 1, 2].map(async (page) => data(await management.user.search({ page, limit: 100 }))));
      expect(pages[0]!.total).toBe(300);
      expect(new Set(pages.flatMap((found) => found.users.map((user) => user.userId)))).toEqual(new Set(emu.store.users.map((user) => user.userId)));
      return;
    }
    const sort = [{ field: "createdTime" }, { field: "userId" }];
    const first = data(await management.user.search({ page: 0, limit: 100, sort }));
    const last = data(await management.user.search({ page: 2, limit: 100, sort }));
    expect(first.total).toBe(300);
    expect([...first.users, ...last.users].map((user) => user.userId)).toEqual(
      [...emu.store.users]
        .sort((a, b) => a.createdTime - b.createdTime || (a.userId < b.userId ? -1 : 1))
        .filter((_, i) => i < 100 || i >= 200)
        .map((user) => user.userId),
    );
    expect(first.users[0].createdTime).toBeLessThan(NOW_MS / 1000);
  });

  it("searchAll excludes test users and searchTestUsers returns only them", async () => {
    const all = data(await management.user.searchAll(undefined, undefined, 1000));
    expect(all).toHaveLength(300);
    expect(all.some((user) => user.test)).toBe(false);
    const tests = data(await management.user.searchTestUsers({ limit: 100 }));
    expect(tests.total).toBe(12);
    expect(tests.users.every((user) => user.test === true)).toBe(true);
  });

  it("reads login history as a bare array", async () => {
    const userIds = emu.store.users.slice(0, 20).map((user) => user.userId);
    const history = data(await management.user.history(userIds));
    expect(Array.isArray(history)).toBe(true);
    expect(history).toEqual(emu.store.loginsOf(userIds));
    expect(history.length).toBeGreaterThan(0);
  });

  it("gets a provider token, with the refresh token only on request", async () => {
    const token = emu.store.providerTokens[0];
    const withoutRefresh = data(await management.user.getProviderToken(token.userId, token.provider));
    expect(withoutRefresh).toEqual({
      provider: token.provider,
      providerUserId: token.providerUserId,
      accessToken: token.accessToken,
      expiration: token.expiration,
      scopes: token.scopes,
    });
    const withRefresh = data(await management.user.getProviderToken(token.userId, token.provider, { withRefreshToken: true }));
    // The SDK's type omits refreshToken although the wire carries it.
    expect((withRefresh as { refreshToken?: string }).refreshToken).toBe(token.refreshToken);
  });

  it("searches audit events and parses occurred (a string on the wire) to a number", async () => {
    const from = NOW_MS - 29 * DAY_MS;
    const result = data(await management.audit.searchAll({ from }));
    // Strict mode's `from` is exclusive; no seeded event falls on exactly this millisecond, so both agree.
    expect(emu.store.auditEvents.some((event) => Number(event.occurred) === from)).toBe(false);
    const expected = emu.store.auditEvents.filter((event) => Number(event.occurred) >= from);
    expect(result.total).toBe(expected.length);
    expect(result.audits[0].occurred).toBe(Number(expected[expected.length - 1].occurred));
    expect(typeof result.audits[0].occurred).toBe("number");
  });

  it("rejects an audit search older than 30 days with a Descope error", async () => {
    const response = await management.audit.search({ from: NOW_MS - 31 * DAY_MS });
    expect(response.ok).toBe(false);
    expect(response.error?.errorCode).toBe("E011003");
  });

  it("searches analytics with string counts", async () => {
    const analytics = data(await management.analytics.search({ from: NOW_MS - 7 * DAY_MS, groupByCreated: "d", groupByAction: true }));
    expect(analytics.length).toBeGreaterThan(0);
    expect(analytics.every((row) => typeof row.cnt === "string" && typeof row.created === "string")).toBe(true);
  });

  it("loads tenants, roles, permissions, access keys, SSO apps, groups and custom attributes", async () => {
    expect(data(await management.tenant.loadAll())).toEqual(emu.store.tenants);
    const tenant = emu.store.tenants[0];
    expect(data(await management.tenant.load(tenant.id))).toEqual(tenant);
    expect(data(await management.tenant.getSettings(tenant.id))).toEqual(emu.store.tenantSettings(tenant));
    expect(data(await management.role.loadAll())).toEqual(emu.store.roles);
    expect(data(await management.role.search({}))).toEqual(emu.store.roles);
    expect(data(await management.permission.loadAll())).toEqual(emu.store.permissions);
    expect(data(await management.accessKey.searchAll())).toEqual(emu.store.accessKeys);
    expect(data(await management.ssoApplication.loadAll())).toEqual(emu.store.ssoApps);
    const groups = data(await management.group.loadAllGroups(tenant.id));
    expect(groups.map((group) => ({ ...group, tenantId: tenant.id }))).toEqual(emu.store.groups.filter((group) => group.tenantId === tenant.id));
    expect(data(await management.user.getCustomAttributes())).toEqual(emu.store.customAttributes);
  });

  it("loads users by ID (users/load), and a user hard-deleted in bulk is gone from it and recorded in audit", async () => {
    const [kept, deleted] = emu.store.users.slice(-2).map((user) => user.userId);
    emu.store.deleteUsers([deleted!], { bulk: true, atMs: NOW_MS - 1000 });
    const loaded = data(await management.user.loadUsers([kept!, deleted!], true));
    expect(loaded.map((user) => user.userId)).toEqual([kept]);
    const audits = data(await management.audit.search({ actions: ["UsersDeleted"], from: NOW_MS - DAY_MS }));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.data).toEqual({ userIds: [deleted] });
  });

  it("tenant-scoped roles carry their tenantId", () => {
    const tenantRoles = emu.store.roles.filter((role) => role.tenantId);
    expect(tenantRoles).toHaveLength(emu.store.tenants.length);
    expect(new Set(tenantRoles.map((role) => role.name)).size).toBe(1);
  });
});
