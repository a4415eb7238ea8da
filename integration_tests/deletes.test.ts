import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import type { Emulator } from "./emulator/server.js";
import { configuredCatalog, emulatorConfig, logs, nextState, records, runConnector, scaledEmulator, stateMessages } from "./helpers/connector.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const DAY_MS = 24 * 3600 * 1000;
const incremental = configuredCatalog(["users", "test_users"], "incremental");
const tombstonesOf = (rows: JsonObject[]) => rows.filter((row) => row._ab_cdc_deleted_at !== undefined);
const isoOf = (ms: number) => new Date(ms).toISOString();

/**
 * The state a sync leaves, as if it had run `minutes` ago: an incremental sync checks deletions up to a minute
 * before it starts (events may still be being written; rounded down to a whole minute), so deletions made right after a sync belong to a sync at
 * least a minute later. Moving the checked time back stands for that minute without the test waiting for it.
 */
function asIfRunMinutesAgo(state: unknown[], minutes: number): unknown[] {
  return (state as { stream: { stream_state: JsonObject } }[]).map((message) => {
    const streamState = message.stream.stream_state;
    if (typeof streamState.deletionsCheckedUntilMs !== "number") return message;
    const movedBack = { ...streamState, deletionsCheckedUntilMs: streamState.deletionsCheckedUntilMs - minutes * 60_000 };
    return { ...message, stream: { ...message.stream, stream_state: movedBack } };
  });
}

/**
 * Deletions as a project sees them between two syncs, three to five minutes ago: single deletes, a bulk delete
 * sharing a second with one of them, a deleted test user, and a user deleted and created again with the same ID.
 * Returns the deletion time of every user that stays deleted.
 */
function deleteSomeUsers(emu: Emulator): Map<string, number> {
  const { store } = emu;
  const [a, b, c, d, e, recreated] = store.users.slice(10, 16).map((user) => user.userId);
  const testUser = store.testUsers[0]!.userId;
  const sharedSecondMs = Math.floor((Date.now() - 5 * 60_000) / 1000) * 1000;
  store.deleteUsers([a!], { atMs: sharedSecondMs + 100 });
  store.deleteUsers([b!, c!, d!], { bulk: true, atMs: sharedSecondMs + 700 });
  store.deleteUsers([e!], { atMs: sharedSecondMs + 60_000 });
  store.deleteUsers([testUser], { atMs: sharedSecondMs + 90_000 });
  store.deleteUsers([recreated!], { atMs: sharedSecondMs + 120_000 });
  store.createUser({ userId: recreated! });
  return new Map([
    [a!, sharedSecondMs + 100],
    [b!, sharedSecondMs + 700],
    [c!, sharedSecondMs + 700],
    [d!, sharedSecondMs + 700],
    [e!, sharedSecondMs + 60_000],
    [testUser, sharedSecondMs + 90_000],
  ]);
}

describe("deleted users (tombstones)", () => {
  it("the next incremental sync emits one tombstone per deleted user, none for live or re-created ones, and the sync after it none", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 10 });
    const config = emulatorConfig(emulator);
    const first = await runConnector("read", { config, catalog: incremental });
    expect(first.exitCode).toBe(0);
    expect(tombstonesOf(records(first, "users"))).toEqual([]);
    const firstState = asIfRunMinutesAgo(nextState(first), 6);

    const deleted = deleteSomeUsers(emulator);
    emulator.reset();
    const second = await runConnector("read", { config, catalog: incremental, state: firstState });
    expect(second.exitCode).toBe(0);
    const expected = [...deleted].map(([userId, ms]) => ({ userId, modifiedTime: Math.floor(ms / 1000), _ab_cdc_deleted_at: isoOf(ms) }));
    const byId = (rows: JsonObject[]) => [...rows].sort((x, y) => String(x.userId).localeCompare(String(y.userId)));
    // Deletion events do not say whether the user was a test user: both streams carry every tombstone.
    for (const stream of ["users", "test_users"]) {
      expect(byId(tombstonesOf(records(second, stream)))).toEqual(byId(expected));
    }
    // Live users never carry the field; the re-created user arrives as the live user it is.
    const liveIds = new Set(emulator.store.users.map((user) => user.userId));
    expect(
      records(second, "users")
        .filter((row) => liveIds.has(row.userId as string))
        .every((row) => !("_ab_cdc_deleted_at" in row)),
    ).toBe(true);
    // Read within the audit budget, filtered to deletions, and cross-checked with users/load.
    const audit = emulator.requests.filter((request) => request.path === "/v1/mgmt/audit/search");
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((request) => JSON.stringify((request.body as JsonObject).actions) === '["UserDeleted","UsersDeleted"]')).toBe(true);
    expect(emulator.rateLimitHits.audit).toBe(0);
    expect(emulator.requests.some((request) => request.path === "/v1/mgmt/users/load")).toBe(true);
    expect(stateMessages(second, "users").at(-1)!.stream.stream_state!.deletionsCheckedUntilMs).toBeGreaterThan(Date.now() - 3 * 60_000);

    const third = await runConnector("read", { config, catalog: incremental, state: nextState(second) });
    expect(third.exitCode).toBe(0);
    expect(tombstonesOf([...records(third, "users"), ...records(third, "test_users")])).toEqual([]);
  });

  it("a full refresh emits no tombstones and does not read the audit trail", async () => {
    emulator = await scaledEmulator({ users: 120, testUsers: 5 });
    deleteSomeUsers(emulator);
    emulator.reset();
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["users", "test_users"]) });
    expect(result.exitCode).toBe(0);
    expect(records(result, "users")).toHaveLength(emulator.store.users.length);
    expect(tombstonesOf([...records(result, "users"), ...records(result, "test_users")])).toEqual([]);
    expect(emulator.requests.some((request) => request.path === "/v1/mgmt/audit/search")).toBe(false);
  });

  it("a sync killed mid-way loses no tombstone, and one resumed after their checkpoint does not repeat them", async () => {
    emulator = await scaledEmulator({ users: 1500, testUsers: 0 });
    const config = emulatorConfig(emulator, { page_size: 100 });
    const catalog = configuredCatalog(["users"], "incremental");
    const firstState = asIfRunMinutesAgo(nextState(await runConnector("read", { config, catalog })), 6);
    // More deletions than one audit page holds (1000), so the lookup pages by counter.
    const ids = emulator.store.users.slice(0, 1100).map((user) => user.userId);
    const fromMs = Date.now() - 5 * 60_000;
    for (const [i, userId] of ids.entries()) emulator.store.deleteUsers([userId], { atMs: fromMs + i * 100 });

    // Killed before the tombstones' checkpoint: the next run emits them all again (none lost).
    const beforeCheckpoint = await runConnector("read", {
      config,
      catalog,
      state: firstState,
      onLine: (line) => (line.includes('"_ab_cdc_deleted_at"') ? "kill" : undefined),
    });
    expect(beforeCheckpoint.signal).toBe("SIGKILL");
    // Killed right after it: the resumed run has nothing left to emit.
    const afterCheckpoint = await runConnector("read", {
      config,
      catalog,
      state: firstState,
      onLine: (line) => (line.includes('"type":"STATE"') ? "kill" : undefined),
    });
    expect(afterCheckpoint.signal).toBe("SIGKILL");
    const emitted = tombstonesOf(records(afterCheckpoint, "users")).map((row) => row.userId);
    expect(new Set(emitted)).toEqual(new Set(ids));
    expect(emitted).toHaveLength(ids.length);

    const resumed = await runConnector("read", { config, catalog, state: nextState(afterCheckpoint) });
    expect(resumed.exitCode).toBe(0);
    expect(tombstonesOf(records(resumed, "users"))).toEqual([]);
  });

  it("a state older than Descope's 30 days of audit warns of the gap and how to repair it, and still emits what it can know", async () => {
    emulator = await scaledEmulator({ users: 100, testUsers: 0 });
    const victim = emulator.store.users[5]!.userId;
    emulator.store.deleteUsers([victim], { atMs: Date.now() - 5 * 60_000 });
    const staleState = [
      {
        type: "STREAM",
        stream: {
          stream_descriptor: { name: "users" },
          stream_state: { modifiedTime: Math.floor((Date.now() - 40 * DAY_MS) / 1000), deletionsCheckedUntilMs: Date.now() - 40 * DAY_MS },
        },
      },
    ];
    const result = await runConnector("read", {
      config: emulatorConfig(emulator),
      catalog: configuredCatalog(["users"], "incremental"),
      state: staleState,
    });
    expect(result.exitCode).toBe(0);
    const warning = logs(result).find((log) => log.level === "WARN" && log.message.includes("cannot be known"));
    expect(warning?.message).toMatch(/30 days/);
    expect(warning?.message).toMatch(/full refresh of users/);
    expect(tombstonesOf(records(result, "users")).map((row) => row.userId)).toEqual([victim]);
  });

  it("a key that may not search the audit trail still syncs users, says deletions cannot be detected, and keeps its place", async () => {
    emulator = await scaledEmulator({ users: 80, testUsers: 0 });
    const config = emulatorConfig(emulator);
    const catalog = configuredCatalog(["users"], "incremental");
    const state = asIfRunMinutesAgo(nextState(await runConnector("read", { config, catalog })), 6);
    const checkedUntilMs = (state[0] as { stream: { stream_state: JsonObject } }).stream.stream_state.deletionsCheckedUntilMs;
    emulator.faults.add({
      match: "/v1/mgmt/audit/search",
      kind: "status",
      status: 403,
      body: { errorCode: "E011003", errorDescription: "Forbidden" },
      times: Infinity,
    });
    const result = await runConnector("read", { config, catalog, state });
    expect(result.exitCode).toBe(0);
    expect(logs(result).some((log) => log.level === "WARN" && /deleted users cannot be detected.*HTTP 403/.test(log.message))).toBe(true);
    expect(stateMessages(result, "users").at(-1)!.stream.stream_state!.deletionsCheckedUntilMs).toBe(checkedUntilMs);
  });
});
