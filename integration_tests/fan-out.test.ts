import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import type { Emulator } from "./emulator/server.js";
import { scaledEmulator, configuredCatalog, emulatorConfig, logs, nextState, records, runConnector, expectLifecycle } from "./helpers/connector.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const allUsers = (emu: Emulator) => [...emu.store.users, ...emu.store.testUsers];
const loginKey = (login: JsonObject) => `${login.userId}|${login.loginTime}|${login.ip}`;

describe("login_history", () => {
  it("emits every login of every user (test users too), in batches of at most 100 user IDs, with a stable synthetic key", async () => {
    emulator = await scaledEmulator({ users: 450, testUsers: 20 });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 200, max_concurrent_requests: 3 }),
      catalog: configuredCatalog(["login_history"]),
    });
    expect(result.exitCode).toBe(0);
    const logins = records(result, "login_history");
    const expected = emulator.store.loginsOf(allUsers(emulator).map((user) => user.userId));
    expect(logins.map(loginKey).sort()).toEqual(expected.map((login) => loginKey(login as unknown as JsonObject)).sort());
    const historyCalls = emulator.requests.filter((request) => request.path === "/v1/mgmt/user/history");
    expect(historyCalls.every((call) => Array.isArray(call.body) && (call.body as unknown[]).length <= 100)).toBe(true);
    expect(new Set(logins.map((login) => login.id)).size).toBe(logins.length);

    const again = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["login_history"]) });
    expect(
      records(again, "login_history")
        .map((login) => login.id)
        .sort(),
    ).toEqual(logins.map((login) => login.id).sort());
  });

  it("accepts the documented {usersAuthHistory: [...]} wrapper as well as the bare array", async () => {
    emulator = await scaledEmulator({ users: 60, testUsers: 0, historyWrapper: true });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["login_history"]) });
    expect(result.exitCode).toBe(0);
    expect(records(result, "login_history")).toHaveLength(emulator.store.loginHistory.length);
  });

  it("incremental: the next sync emits only logins at or after the saved loginTime", async () => {
    emulator = await scaledEmulator({ users: 120, testUsers: 0 });
    const config = emulatorConfig(emulator, { page_size: 50 });
    const catalog = configuredCatalog(["login_history"], "incremental");
    const first = await runConnector("read", { config, catalog });
    const newest = Math.max(...records(first, "login_history").map((login) => login.loginTime as number));
    const user = emulator.store.users[17]!;
    emulator.store.addLogin(user.userId, { loginTime: newest + 3600, ip: "203.0.113.7" });

    const second = await runConnector("read", { config, catalog, state: nextState(first) });
    expect(second.exitCode).toBe(0);
    const logins = records(second, "login_history");
    expect(logins.some((login) => login.userId === user.userId && login.ip === "203.0.113.7")).toBe(true);
    expect(logins.every((login) => (login.loginTime as number) >= newest)).toBe(true);
  });
});

describe("provider_tokens", () => {
  it("emits one record per user and linked provider, without token values by default, and never forces a refresh", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 0 });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["provider_tokens"]) });
    expect(result.exitCode).toBe(0);
    const tokens = records(result, "provider_tokens");
    const expected = emulator.store.providerTokens;
    expect(tokens.map((t) => `${t.userId}|${t.provider}`).sort()).toEqual(expected.map((t) => `${t.userId}|${t.provider}`).sort());
    for (const token of tokens) expect(token).not.toHaveProperty("accessToken");
    for (const secret of expected.flatMap((t) => [t.accessToken, t.refreshToken])) expect(result.stdout).not.toContain(secret);
    const tokenCalls = emulator.requests.filter((request) => request.path === "/v1/mgmt/user/provider/token");
    expect(tokenCalls.length).toBeGreaterThan(0);
    expect(tokenCalls.every((call) => call.query.forceRefresh === "false" && call.query.withRefreshToken === "false")).toBe(true);
  });

  it("includes access and refresh tokens only when include_provider_token_values is true", async () => {
    emulator = await scaledEmulator({ users: 100, testUsers: 0 });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { include_provider_token_values: true }),
      catalog: configuredCatalog(["provider_tokens"]),
    });
    const byKey = new Map(emulator.store.providerTokens.map((t) => [`${t.userId}|${t.provider}`, t]));
    const tokens = records(result, "provider_tokens");
    expect(tokens.length).toBe(byKey.size);
    for (const token of tokens) {
      const expected = byKey.get(`${token.userId}|${token.provider}`)!;
      expect(token).toMatchObject({ accessToken: expected.accessToken, refreshToken: expected.refreshToken });
    }
    // The values travel only inside provider_tokens records, never in logs or traces.
    const elsewhere = result.messages.filter((m) => !(m.type === "RECORD" && m.record.stream === "provider_tokens"));
    expect(JSON.stringify(elsewhere)).not.toContain(expected0(byKey).accessToken);
  });

  it("with provider token management turned off, says so once and completes empty instead of failing per user", async () => {
    emulator = await scaledEmulator({ users: 400, testUsers: 0, providerTokenManagement: false });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["provider_tokens"]) });
    expect(result.exitCode).toBe(0);
    expect(records(result, "provider_tokens")).toEqual([]);
    expectLifecycle(result, "provider_tokens", "COMPLETE");
    expect(logs(result).filter((log) => /provider token management/i.test(log.message))).toHaveLength(1);
    const tokenCalls = emulator.requests.filter((request) => request.path === "/v1/mgmt/user/provider/token");
    expect(tokenCalls.length).toBeLessThan(emulator.store.users.filter((u) => Object.keys(u.OAuth ?? {}).length > 0).length);
  });
});

function expected0<T>(map: Map<string, T>): T {
  return map.values().next().value!;
}
