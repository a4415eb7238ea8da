import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/cdk/protocol.js";
import type { Emulator } from "../emulator/server.js";
import { configuredCatalog, emulatorConfig, nextState, records, runConnector, scaledEmulator, type RunResult } from "../helpers/connector.js";
import { committedRecords, killAt } from "./support.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const PAGE_SIZE = 50;
const INCREMENTAL = ["users", "test_users", "login_history"];
const loginKey = (login: JsonObject) => `${login.userId}|${login.loginTime}|${login.ip}`;

/** What a stream must deliver in total: users by id, logins by their natural key. */
function expectedKeys(emu: Emulator, stream: string): string[] {
  if (stream === "users") return emu.store.users.map((user) => user.userId);
  if (stream === "test_users") return emu.store.testUsers.map((user) => user.userId);
  return emu.store
    .loginsOf([...emu.store.users, ...emu.store.testUsers].map((user) => user.userId))
    .map((login) => loginKey(login as unknown as JsonObject));
}
const keyOf = (stream: string, row: JsonObject) => (stream === "login_history" ? loginKey(row) : (row.userId as string));

describe("resume after kill -9", () => {
  const killPoints: [string, (line: string) => "kill" | undefined][] = [
    ["right after the first STREAM_STATUS", killAt(1, (m) => m.type === "TRACE")],
    ["after the first record, before any STATE", killAt(1, (m) => m.type === "RECORD")],
    ["in the middle of users", killAt(173, (m) => m.type === "RECORD")],
    ["just after a users STATE", killAt(3, (m) => m.type === "STATE")],
    ["in the middle of test_users", killAt(12, (m) => m.type === "RECORD" && m.record?.stream === "test_users")],
    ["in the middle of login_history", killAt(300, (m) => m.type === "RECORD" && m.record?.stream === "login_history")],
  ];

  it.each(killPoints)("killed %s: the rerun from the last STATEs loses nothing and re-reads about one checkpoint", async (_name, onLine) => {
    emulator = await scaledEmulator({ users: 400, testUsers: 60, seed: 21 });
    const config = emulatorConfig(emulator, { page_size: PAGE_SIZE });
    const catalog = configuredCatalog(INCREMENTAL, "incremental");

    const killed = await runConnector("read", { config, catalog, onLine });
    expect(killed.signal).toBe("SIGKILL");
    const resumed = await runConnector("read", { config, catalog, state: nextState(killed) });
    expect(resumed.exitCode).toBe(0);

    for (const stream of INCREMENTAL) {
      const delivered = new Set([...records(killed, stream), ...records(resumed, stream)].map((row) => keyOf(stream, row)));
      expect([...delivered].sort(), stream).toEqual([...new Set(expectedKeys(emulator, stream))].sort());
      // Re-read: records the host had already committed (covered by a STATE) that the rerun sends again.
      const committed = new Set(committedRecords(killed, stream).map((row) => keyOf(stream, row)));
      const reread = records(resumed, stream).filter((row) => committed.has(keyOf(stream, row)));
      // One page of users, or the logins of one page of users (at most 6 each), plus the boundary second.
      const checkpointWorth = stream === "login_history" ? PAGE_SIZE * 6 : PAGE_SIZE;
      expect(reread.length, stream).toBeLessThanOrEqual(checkpointWorth + 5);
    }
  });

  it("killed three times in a row, each rerun from the latest STATEs, the fourth run finishes with nothing lost", async () => {
    emulator = await scaledEmulator({ users: 600, testUsers: 40, seed: 22 });
    const config = emulatorConfig(emulator, { page_size: PAGE_SIZE });
    const catalog = configuredCatalog(INCREMENTAL, "incremental");
    const runs: RunResult[] = [];
    for (const n of [97, 211, 150]) {
      runs.push(await runConnector("read", { config, catalog, state: nextState(...runs), onLine: killAt(n, (m) => m.type === "RECORD") }));
      expect(runs.at(-1)!.signal).toBe("SIGKILL");
    }
    const last = await runConnector("read", { config, catalog, state: nextState(...runs) });
    expect(last.exitCode).toBe(0);
    for (const stream of INCREMENTAL) {
      const delivered = new Set([...runs, last].flatMap((run) => records(run, stream)).map((row) => keyOf(stream, row)));
      expect(delivered.size, stream).toBe(new Set(expectedKeys(emulator, stream)).size);
    }
  });

  it("a full-refresh stream killed mid-way is read again in full", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 0, seed: 23 });
    const config = emulatorConfig(emulator, { page_size: PAGE_SIZE });
    const catalog = configuredCatalog(["users", "tenants"]);
    const killed = await runConnector("read", { config, catalog, onLine: killAt(120, (m) => m.type === "RECORD") });
    expect(killed.signal).toBe("SIGKILL");
    const rerun = await runConnector("read", { config, catalog, state: nextState(killed) });
    expect(rerun.exitCode).toBe(0);
    expect(records(rerun, "users")).toHaveLength(300);
    expect(records(rerun, "tenants")).toHaveLength(emulator.store.tenants.length);
  });
});

describe("edits during syncs that are also faulted and killed", () => {
  it("every user's and test user's final version is delivered across the runs", async () => {
    emulator = await scaledEmulator({ users: 1500, testUsers: 200, seed: 24 });
    const store = emulator.store;
    let searches = 0;
    let editing = true;
    emulator.onRequest((request) => {
      if (!editing || (request.path !== "/v2/mgmt/user/search" && request.path !== "/v2/mgmt/user/search/test")) return;
      searches++;
      // An admin or SCIM job edits users behind and ahead of the scan, and the network misbehaves now and then.
      if (searches % 4 === 0) {
        const byTime = [...store.users].sort((a, b) => a.modifiedTime - b.modifiedTime);
        for (let i = searches % 7; i < byTime.length; i += 131) store.updateUser(byTime[i]!.userId, { givenName: `edit-${searches}` });
        const tests = [...store.testUsers].sort((a, b) => a.modifiedTime - b.modifiedTime);
        for (let i = searches % 5; i < tests.length; i += 37) store.updateUser(tests[i]!.userId, { givenName: `edit-${searches}` });
      }
      if (searches % 6 === 0) emulator!.faults.add({ match: request.path, kind: searches % 12 === 0 ? "reset" : "rateLimit", retryAfterSeconds: 1 });
    });
    const config = emulatorConfig(emulator, { page_size: 100 });
    const catalog = configuredCatalog(["users", "test_users"], "incremental");

    const runs: RunResult[] = [];
    runs.push(await runConnector("read", { config, catalog, onLine: killAt(700, (m) => m.type === "RECORD") }));
    runs.push(await runConnector("read", { config, catalog, state: nextState(...runs), onLine: killAt(500, (m) => m.type === "RECORD") }));
    runs.push(await runConnector("read", { config, catalog, state: nextState(...runs) }));
    expect(runs.map((run) => run.signal ?? run.exitCode)).toEqual(["SIGKILL", "SIGKILL", 0]);
    // The v0.1 guarantee: what changed during a sync arrives by the end of the next one.
    editing = false;
    runs.push(await runConnector("read", { config, catalog, state: nextState(...runs) }));
    expect(runs.at(-1)!.exitCode).toBe(0);
    expect(searches).toBeGreaterThan(20);

    for (const [stream, expected] of [
      ["users", store.users],
      ["test_users", store.testUsers],
    ] as const) {
      const latest = new Map<string, JsonObject>();
      for (const run of runs) for (const user of records(run, stream)) latest.set(user.userId as string, user);
      expect(latest.size, stream).toBe(expected.length);
      for (const user of expected) expect(latest.get(user.userId), `${stream} ${user.userId}`).toEqual(user);
    }
  });
});
