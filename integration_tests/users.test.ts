import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import type { Emulator } from "./emulator/server.js";
import {
  scaledEmulator,
  configuredCatalog,
  emulatorConfig,
  errorTraces,
  logs,
  nextState,
  records,
  runConnector,
  stateMessages,
  expectLifecycle,
} from "./helpers/connector.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const byId = (users: JsonObject[]) => new Map(users.map((user) => [user.userId as string, user]));

/** The last version of each user across runs, in emission order. */
function lastVersions(...batches: JsonObject[][]): Map<string, JsonObject> {
  const latest = new Map<string, JsonObject>();
  for (const batch of batches) for (const user of batch) latest.set(user.userId as string, user);
  return latest;
}

describe("users and test_users", () => {
  it("a full refresh emits every user exactly as Descope returns it, test users only in test_users", async () => {
    emulator = await scaledEmulator({ users: 1200, testUsers: 30 });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 250 }),
      catalog: configuredCatalog(["users", "test_users"]),
    });
    expect(result.exitCode).toBe(0);
    const users = records(result, "users");
    expect(users).toHaveLength(1200);
    expect(byId(users)).toEqual(byId(emulator.store.users as unknown as JsonObject[]));
    expect(byId(records(result, "test_users"))).toEqual(byId(emulator.store.testUsers as unknown as JsonObject[]));
    expectLifecycle(result, "users", "COMPLETE");
    // Full refresh keeps no cursor: one final, empty state per stream.
    expect(stateMessages(result, "users").map((s) => s.stream.stream_state)).toEqual([{}]);
    expect(result.messages.some((m) => m.type === "TRACE" && m.trace.type === "ESTIMATE" && m.trace.estimate.row_estimate === 1200)).toBe(true);
    // The read checked itself against Descope's count, and says so in the stream's summary.
    const summary = logs(result).find((log) => log.message.startsWith("users: "))?.message;
    expect(summary).toMatch(/^users: 1,200 records; search total 1,200 at start \/ 1,200 at end; 1,200 users delivered; userSearch: \d+ requests/);
  });

  it("a second incremental read returns only what changed (plus the boundary second, re-read on purpose)", async () => {
    emulator = await scaledEmulator({ users: 800, testUsers: 10 });
    const config = emulatorConfig(emulator, { page_size: 100 });
    const catalog = configuredCatalog(["users", "test_users"], "incremental");
    const first = await runConnector("read", { config, catalog });
    expect(first.exitCode).toBe(0);
    expect(records(first, "users")).toHaveLength(800);
    const finalCursor = stateMessages(first, "users").at(-1)!.stream.stream_state!.modifiedTime as number;

    const edited = [emulator.store.users[3]!, emulator.store.users[400]!, emulator.store.users[799]!].map((user) =>
      emulator!.store.updateUser(user.userId, { givenName: "Edited" }),
    );
    const second = await runConnector("read", { config, catalog, state: nextState(first) });
    expect(second.exitCode).toBe(0);
    const changed = records(second, "users");
    expect(
      changed
        .filter((user) => user.givenName === "Edited")
        .map((user) => user.userId)
        .sort(),
    ).toEqual(edited.map((user) => user.userId).sort());
    for (const user of changed) {
      if (user.givenName !== "Edited") expect(user.modifiedTime).toBe(finalCursor);
    }
    expect(changed.length).toBeLessThan(10);
    expect(
      records(second, "test_users").every(
        (user) => user.modifiedTime === stateMessages(first, "test_users").at(-1)!.stream.stream_state!.modifiedTime,
      ),
    ).toBe(true);
  });

  it("an edit during the sync is not lost: across that sync and the next, every user's final version is emitted", async () => {
    emulator = await scaledEmulator({ users: 3000, testUsers: 0, seed: 7 });
    const store = emulator.store;
    let searches = 0;
    emulator.onRequest((request) => {
      if (request.path !== "/v2/mgmt/user/search") return;
      searches++;
      // Mid-sync, edit users the scan has passed and users still ahead of it, as an admin or SCIM job would.
      if (searches === 3 || searches === 8) {
        const sorted = [...store.users].sort((a, b) => a.modifiedTime - b.modifiedTime);
        for (let i = 0; i < sorted.length; i += 97) store.updateUser(sorted[i]!.userId);
      }
    });
    const config = emulatorConfig(emulator, { page_size: 200 });
    const catalog = configuredCatalog(["users"], "incremental");
    const first = await runConnector("read", { config, catalog });
    const second = await runConnector("read", { config, catalog, state: nextState(first) });
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    expect(searches).toBeGreaterThan(8);

    const emitted = lastVersions(records(first, "users"), records(second, "users"));
    expect(emitted.size).toBe(store.users.length);
    for (const user of store.users) expect(emitted.get(user.userId)).toEqual(user);
  });

  it("the same edits make a plain page/offset loop skip unchanged users (why the scan uses a moving anchor)", async () => {
    emulator = await scaledEmulator({ users: 3000, testUsers: 0, seed: 7 });
    const store = emulator.store;
    const seen = new Set<string>();
    const sort = [
      { field: "modifiedTime", desc: false },
      { field: "userId", desc: false },
    ];
    for (let page = 0; ; page++) {
      if (page === 3) {
        const sorted = [...store.users].sort((a, b) => a.modifiedTime - b.modifiedTime);
        for (let i = 0; i < sorted.length; i += 97) store.updateUser(sorted[i]!.userId);
      }
      const response = await fetch(`${emulator.url}/v2/mgmt/user/search`, {
        method: "POST",
        headers: { authorization: `Bearer ${emulator.projectId}:${emulator.managementKey}` },
        body: JSON.stringify({ page, limit: 200, sort }),
      });
      const { users } = (await response.json()) as { users: { userId: string }[] };
      for (const user of users) seen.add(user.userId);
      if (users.length < 200) break;
    }
    expect(seen.size).toBeLessThan(store.users.length);
  });

  it("a read resumed from a mid-stream STATE finishes without losing records and re-reads little", async () => {
    emulator = await scaledEmulator({ users: 1000, testUsers: 0, seed: 3 });
    const config = emulatorConfig(emulator, { page_size: 100 });
    const catalog = configuredCatalog(["users"], "incremental");
    const full = await runConnector("read", { config, catalog });
    const midState = stateMessages(full, "users")[4]!;
    // Records the first run delivered up to (and covered by) that state.
    const upTo = full.messages.findIndex((m) => m.type === "STATE" && m.state === midState);
    const delivered = full.messages.slice(0, upTo).flatMap((m) => (m.type === "RECORD" && m.record.stream === "users" ? [m.record.data] : []));

    const resumed = await runConnector("read", { config, catalog, state: [midState] });
    expect(resumed.exitCode).toBe(0);
    const all = new Set([...delivered, ...records(resumed, "users")].map((user) => user.userId));
    expect(all.size).toBe(1000);
    const reread = records(resumed, "users").filter((user) => delivered.some((d) => d.userId === user.userId));
    expect(reread.length).toBeLessThanOrEqual(100);
  });

  it("more users in one second than fit on a page (a bulk import) are all delivered, once each", async () => {
    emulator = await scaledEmulator({ users: 1500, testUsers: 0, bulkImportUsers: 1100 });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 250 }),
      catalog: configuredCatalog(["users"], "incremental"),
    });
    expect(result.exitCode).toBe(0);
    const ids = records(result, "users").map((user) => user.userId);
    expect(new Set(ids).size).toBe(1500);
    expect(ids).toHaveLength(1500);
  });

  it("a cursor far in the future yields no records and still a state (the acceptance tests' abnormal state)", async () => {
    emulator = await scaledEmulator({ users: 50, testUsers: 5 });
    const state = ["users", "test_users"].map((name) => ({
      type: "STREAM",
      stream: { stream_descriptor: { name }, stream_state: { modifiedTime: 32503680000 } },
    }));
    const result = await runConnector("read", {
      config: emulatorConfig(emulator),
      catalog: configuredCatalog(["users", "test_users"], "incremental"),
      state,
    });
    expect(result.exitCode).toBe(0);
    expect(records(result, "users")).toEqual([]);
    expect(stateMessages(result, "users").length).toBeGreaterThanOrEqual(1);
    expect(stateMessages(result, "test_users").length).toBeGreaterThanOrEqual(1);
  });

  it("start_date bounds the first incremental sync", async () => {
    emulator = await scaledEmulator({ users: 400, testUsers: 0 });
    const median = [...emulator.store.users].sort((a, b) => a.modifiedTime - b.modifiedTime)[200]!.modifiedTime;
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { start_date: new Date(median * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") }),
      catalog: configuredCatalog(["users"], "incremental"),
    });
    const expected = emulator.store.users.filter((user) => user.modifiedTime >= median).length;
    expect(records(result, "users")).toHaveLength(expected);
  });
});

describe("a deployment that ignores the user-search sort", () => {
  it("is detected on the first page and read by time windows: every user once, edits mid-sync not lost, resumable", async () => {
    emulator = await scaledEmulator({ users: 2500, testUsers: 0, ignoreUserSort: true, bulkImportUsers: 300, seed: 11 });
    const store = emulator.store;
    let searches = 0;
    emulator.onRequest((request) => {
      if (request.path !== "/v2/mgmt/user/search" || ++searches !== 6) return;
      const sorted = [...store.users].sort((a, b) => a.modifiedTime - b.modifiedTime);
      for (let i = 0; i < sorted.length; i += 113) store.updateUser(sorted[i]!.userId);
    });
    const config = emulatorConfig(emulator, { page_size: 200 });
    const catalog = configuredCatalog(["users", "login_history"], "incremental");
    const first = await runConnector("read", { config, catalog });
    expect(first.exitCode).toBe(0);
    expect(logs(first).filter((log) => log.message.includes("did not return users sorted"))).toHaveLength(2);
    const firstIds = records(first, "users").map((user) => user.userId);
    // Edited users may come twice (old and new version); nobody is missing.
    expect(new Set(firstIds).size).toBe(2500);
    expect(firstIds.length).toBeLessThan(2500 + 2500 / 113 + 2);
    expect(new Set(records(first, "login_history").map((login) => login.userId)).size).toBe(
      new Set(store.loginHistory.map((login) => login.userId)).size,
    );

    const second = await runConnector("read", { config, catalog: configuredCatalog(["users"], "incremental"), state: nextState(first) });
    const emitted = lastVersions(records(first, "users"), records(second, "users"));
    for (const user of store.users) expect(emitted.get(user.userId)).toEqual(user);
    expect(records(second, "users").length).toBeLessThan(50);
  });
});

describe("a deployment less friendly than the emulator's defaults", () => {
  it("strictly-after time bounds, a rejected sort and users without times: every user arrives, incrementally too", async () => {
    emulator = await scaledEmulator({
      users: 900,
      testUsers: 0,
      bulkImportUsers: 150,
      usersWithoutTimes: 6,
      exclusiveUserTimeBounds: true,
      rejectUserSort: true,
      seed: 31,
    });
    const config = emulatorConfig(emulator, { page_size: 100 });
    const catalog = configuredCatalog(["users"], "incremental");
    const first = await runConnector("read", { config, catalog });
    expect(first.exitCode).toBe(0);
    expect(byId(records(first, "users"))).toEqual(byId(emulator.store.users as unknown as JsonObject[]));
    const warnings = logs(first)
      .filter((log) => log.level === "WARN")
      .map((log) => log.message);
    expect(warnings.some((message) => message.includes("refused to sort users by modifiedTime"))).toBe(true);
    expect(warnings.filter((message) => message.startsWith('6 users came without "modifiedTime"'))).toHaveLength(1);

    const edited = emulator.store.updateUser(emulator.store.users[500]!.userId, { givenName: "Edited" });
    const second = await runConnector("read", { config, catalog, state: nextState(first) });
    expect(second.exitCode).toBe(0);
    expect(records(second, "users").find((user) => user.userId === edited.userId)).toEqual(edited);
  });

  it("a backend that silently leaves users out of its pages fails the sync loudly instead of finishing short", async () => {
    emulator = await scaledEmulator({ users: 800, testUsers: 0, dropUsersFromPages: 50, seed: 32 });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 100 }),
      catalog: configuredCatalog(["users", "tenants"]),
    });
    expect(result.exitCode).toBe(1);
    expectLifecycle(result, "users", "INCOMPLETE");
    expectLifecycle(result, "tenants", "COMPLETE");
    const [error] = errorTraces(result);
    expect(error!.failure_type).toBe("system_error");
    expect(error!.message).toMatch(/counted at least 800 users throughout the read \(search total 800 at start \/ 800 at end\), but only 7\d\d came/);
  });
});
