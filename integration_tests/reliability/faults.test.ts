import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/cdk/protocol.js";
import type { Fault } from "../emulator/faults.js";
import type { Emulator } from "../emulator/server.js";
import {
  configuredCatalog,
  emulatorConfig,
  errorTraces,
  expectLifecycle,
  logs,
  nextState,
  records,
  runConnector,
  scaledEmulator,
  stateMessages,
  streamStatuses,
  TEST_TIME_SCALE,
} from "../helpers/connector.js";
import { cloudflarePage, committedRecords, rateLimitedStatuses, STACK_LINE } from "./support.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const USER_SEARCH = "/v2/mgmt/user/search";
const byId = (rows: JsonObject[]) => new Map(rows.map((row) => [row.userId as string, row]));
const storeUsers = (emu: Emulator) => emu.store.users as unknown as JsonObject[];

/**
 * Queues `fault` on the `nth` user-search page (1-based) and the `times - 1` requests after it: the first page is
 * not special. The one-user count that checks the sort after the first page is not a page and is not counted.
 */
function faultOnNthSearch(emu: Emulator, nth: number, fault: Fault): void {
  let searches = 0;
  emu.onRequest((request) => {
    const isPage = (request.body as { limit?: number } | undefined)?.limit !== 1;
    if (request.path === USER_SEARCH && isPage && ++searches === nth) emu.faults.add({ ...fault, match: USER_SEARCH });
  });
}

describe("faults that clear are retried and the sync delivers exactly the emulator's data", () => {
  const transient: [string, Fault, JsonObject?][] = [
    ["429 with Retry-After", { kind: "rateLimit", retryAfterSeconds: 2, times: 3 }],
    ["429 without Retry-After", { kind: "rateLimit", retryAfterSeconds: null, times: 2 }],
    ["500 with an HTML body", { kind: "status", status: 500, body: cloudflarePage(500), headers: { "content-type": "text/html" }, times: 2 }],
    ["502 with an HTML body", { kind: "status", status: 502, body: cloudflarePage(502), headers: { "content-type": "text/html" }, times: 2 }],
    ["503 with an empty body", { kind: "status", status: 503, times: 2 }],
    ["Cloudflare 520", { kind: "status", status: 520, body: cloudflarePage(520), headers: { "content-type": "text/html" }, times: 2 }],
    ["Cloudflare 521", { kind: "status", status: 521, body: cloudflarePage(521), headers: { "content-type": "text/html" } }],
    ["Cloudflare 522", { kind: "status", status: 522, body: cloudflarePage(522), headers: { "content-type": "text/html" } }],
    ["Cloudflare 524", { kind: "status", status: 524, body: cloudflarePage(524), headers: { "content-type": "text/html" } }],
    ["truncated JSON", { kind: "truncatedJson", times: 2 }],
    ["a connection reset mid-body", { kind: "reset", times: 2 }],
    ["a request that never answers (timeout)", { kind: "hang", times: 1 }, { request_timeout_seconds: 1 }],
  ];

  it.each(transient)("%s, on a page in the middle of an incremental users sync", async (_name, fault, configOverrides) => {
    emulator = await scaledEmulator({ users: 300, testUsers: 0, seed: 11 });
    faultOnNthSearch(emulator, 2, fault);
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 100, ...configOverrides }),
      catalog: configuredCatalog(["users"], "incremental"),
    });
    expect(result.exitCode).toBe(0);
    expect(errorTraces(result)).toEqual([]);
    const users = records(result, "users");
    expect(users).toHaveLength(300);
    expect(byId(users)).toEqual(byId(storeUsers(emulator)));
    expectLifecycle(result, "users", "COMPLETE");
    // The faulted request was answered as the fault says and then tried again.
    const faulted = emulator.requests.filter((request) => request.path === USER_SEARCH);
    expect(faulted.length).toBeGreaterThan(4 + (fault.times ?? 1) - 1);
    expect(emulator.faults.pending).toEqual([]);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("every full-refresh and fan-out stream survives faults on its own endpoint", async () => {
    emulator = await scaledEmulator({ users: 120, testUsers: 10, tenants: 3 });
    const streams = ["users", "login_history", "provider_tokens", "tenants", "roles", "groups", "audit_events"];
    const paths = [
      USER_SEARCH,
      "/v1/mgmt/user/history",
      "/v1/mgmt/user/provider/token",
      "/v1/mgmt/tenant/all",
      "/v1/mgmt/role/search",
      "/v1/mgmt/group/all",
      "/v1/mgmt/audit/search",
    ];
    const kinds: Fault[] = [
      { kind: "status", status: 503 },
      { kind: "reset" },
      { kind: "truncatedJson" },
      { kind: "rateLimit", retryAfterSeconds: 1 },
    ];
    for (const [i, path] of paths.entries()) emulator!.faults.add({ ...kinds[i % kinds.length]!, match: path });

    const clean = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(streams) });
    expect(clean.exitCode).toBe(0);
    expect(emulator.faults.pending).toEqual([]);

    // The same sync without any fault: what "exactly the emulator's data" is for the derived streams.
    const reference = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(streams) });
    for (const stream of streams) {
      const key = (row: JsonObject) => JSON.stringify(row, Object.keys(row).sort());
      expect(records(clean, stream).map(key).sort(), stream).toEqual(records(reference, stream).map(key).sort());
      expectLifecycle(clean, stream, "COMPLETE");
    }
    expect(records(clean, "users")).toHaveLength(120);
  });
});

describe("rate limits (429)", () => {
  it("honours Retry-After, says it is rate limited once per burst, and shows RATE_LIMITED while waiting", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 0 });
    const retryAfterS = 5;
    faultOnNthSearch(emulator, 2, { kind: "rateLimit", retryAfterSeconds: retryAfterS, times: 3 });
    const result = await runConnector("read", { config: emulatorConfig(emulator, { page_size: 100 }), catalog: configuredCatalog(["users"]) });
    expect(result.exitCode).toBe(0);
    expect(records(result, "users")).toHaveLength(300);

    const warnings = logs(result).filter((log) => /rate limit/i.test(log.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain(`${retryAfterS}s`);
    const limited = rateLimitedStatuses(result, "users");
    expect(limited).toHaveLength(3);
    for (const status of limited) expect(status.quotaReset).toBeGreaterThan(status.emittedAt);
    expectLifecycle(result, "users", "COMPLETE");

    // Honoured: no search went out before the (scaled) Retry-After had passed.
    const searches = emulator.requests.filter((request) => request.path === USER_SEARCH);
    const limited429 = searches.flatMap((request, i) => (request.status === 429 ? [i] : []));
    expect(limited429).toHaveLength(3);
    for (const i of limited429) expect(searches[i + 1]!.at - searches[i]!.at).toBeGreaterThanOrEqual(retryAfterS * 1000 * TEST_TIME_SCALE - 5);
  });

  it("a second burst later in the sync is logged again; a burst is one message however many 429s it holds", async () => {
    emulator = await scaledEmulator({ users: 500, testUsers: 0 });
    faultOnNthSearch(emulator, 2, { kind: "rateLimit", retryAfterSeconds: 1, times: 4 });
    // Searches 2–5 are the first burst; the fifth page (the ninth search) meets the second.
    faultOnNthSearch(emulator, 9, { kind: "rateLimit", retryAfterSeconds: 1, times: 2 });
    const result = await runConnector("read", { config: emulatorConfig(emulator, { page_size: 100 }), catalog: configuredCatalog(["users"]) });
    expect(result.exitCode).toBe(0);
    expect(records(result, "users")).toHaveLength(500);
    expect(logs(result).filter((log) => /rate limit/i.test(log.message))).toHaveLength(2);
  });

  it("caps an absurd Retry-After, and says so (with the last STATE) before it starts waiting", async () => {
    emulator = await scaledEmulator({ users: 100, testUsers: 0 });
    faultOnNthSearch(emulator, 3, { kind: "rateLimit", retryAfterSeconds: 86_400 });
    // The cap is ten minutes; the test only needs to see what the connector plans, then stops it mid-wait.
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 20 }),
      catalog: configuredCatalog(["users"], "incremental"),
      onLine: (line) => (line.includes("RATE_LIMITED") ? "kill" : undefined),
    });
    expect(result.signal).toBe("SIGKILL");
    const [limited] = rateLimitedStatuses(result, "users");
    expect(limited).toBeDefined();
    const plannedWaitS = (limited!.quotaReset - limited!.emittedAt) / 1000 / TEST_TIME_SCALE;
    expect(plannedWaitS).toBeLessThanOrEqual(600 + 1);
    expect(logs(result).some((log) => /waiting 600s/.test(log.message))).toBe(true);
    // All of it reached stdout while the connector was still waiting: the retry was never sent (the count a full
    // read starts with, three pages and the first page's sort check).
    expect(emulator.requests.filter((request) => request.path === USER_SEARCH)).toHaveLength(5);
    expect(stateMessages(result, "users")).toHaveLength(2);
    expect(committedRecords(result, "users")).toEqual(records(result, "users"));
    expect(records(result, "users").length).toBeGreaterThan(20);
  });
});

describe("a fault that does not clear", () => {
  it("ends with a transient_error TRACE, INCOMPLETE for that stream, its last good STATE already out, and a non-zero exit", async () => {
    emulator = await scaledEmulator({ users: 500, testUsers: 0, seed: 5 });
    faultOnNthSearch(emulator, 3, { kind: "status", status: 503, body: cloudflarePage(503), times: Infinity });
    const config = emulatorConfig(emulator, { page_size: 100, max_retries: 2 });
    const catalog = configuredCatalog(["users", "tenants"], "incremental");
    const failed = await runConnector("read", { config, catalog });

    expect(failed.exitCode).not.toBe(0);
    expect(failed.exitCode).not.toBeNull();
    expectLifecycle(failed, "users", "INCOMPLETE");
    const [error, ...more] = errorTraces(failed);
    expect(more).toEqual([]);
    expect(error).toMatchObject({ failure_type: "transient_error", stream_descriptor: { name: "users" } });
    expect(error!.message).toMatch(/503/);
    expect(error!.message).not.toMatch(/<html/i);
    // Other streams still run: a failure in one stream does not cost the others their sync.
    expectLifecycle(failed, "tenants", "COMPLETE");
    expect(records(failed, "tenants")).toHaveLength(emulator.store.tenants.length);

    // Every user the run emitted is covered by a STATE that came out before the error.
    const states = stateMessages(failed, "users");
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(committedRecords(failed, "users")).toEqual(records(failed, "users"));
    const errorAt = failed.messages.findIndex((m) => m.type === "TRACE" && m.trace.type === "ERROR");
    const lastStateAt = failed.messages.findLastIndex((m) => m.type === "STATE" && m.state.stream.stream_descriptor.name === "users");
    expect(lastStateAt).toBeLessThan(errorAt);

    // Once the outage ends, a run from that state delivers the rest.
    emulator.faults.clear();
    const resumed = await runConnector("read", { config, catalog: configuredCatalog(["users"], "incremental"), state: nextState(failed) });
    expect(resumed.exitCode).toBe(0);
    expect(new Set([...records(failed, "users"), ...records(resumed, "users")].map((user) => user.userId)).size).toBe(500);
  });

  it("never exits 0 with records missing, whatever the fault", async () => {
    const permanent: Fault[] = [
      { kind: "rateLimit", retryAfterSeconds: 1 },
      { kind: "reset" },
      { kind: "truncatedJson" },
      { kind: "status", status: 522, body: cloudflarePage(522) },
      { kind: "hang" },
    ];
    emulator = await scaledEmulator({ users: 200, testUsers: 0 });
    for (const fault of permanent) {
      emulator.reset();
      emulator.faults.add({ ...fault, match: "/v1/mgmt/user/history", times: Infinity });
      const result = await runConnector("read", {
        config: emulatorConfig(emulator, { max_retries: 1, request_timeout_seconds: 1 }),
        catalog: configuredCatalog(["login_history"]),
      });
      expect(result.exitCode, fault.kind).not.toBe(0);
      expect(
        errorTraces(result).map((error) => error.failure_type),
        fault.kind,
      ).toEqual(["transient_error"]);
      const statuses = streamStatuses(result, "login_history");
      expect([statuses[0], statuses.at(-1)], fault.kind).toEqual(["STARTED", "INCOMPLETE"]);
      expect(records(result, "login_history"), fault.kind).toEqual([]);
    }
  });

  it("a 401 mid-sync is a config_error that names the management key, not its value", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 0 });
    const key = emulator.managementKey;
    faultOnNthSearch(emulator, 2, {
      kind: "status",
      status: 401,
      body: { errorCode: "E011003", errorDescription: "Unauthorized", errorMessage: "management key was revoked" },
    });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 100 }),
      catalog: configuredCatalog(["users", "tenants"], "incremental"),
    });
    expect(result.exitCode).not.toBe(0);
    const [error, ...more] = errorTraces(result);
    expect(more).toEqual([]);
    expect(error).toMatchObject({ failure_type: "config_error", stream_descriptor: { name: "users" } });
    expect(error!.message).toContain("management_key");
    expect(error!.message).toContain("401");
    expect(error!.stack_trace).toBeUndefined();
    expect(result.stdout).not.toContain(key);
    expectLifecycle(result, "users", "INCOMPLETE");
    // Bad credentials fail every stream alike, so the sync stops rather than collecting the same error again.
    expect(records(result, "tenants")).toEqual([]);
    // A 401 is not retried: the same key will not start working.
    // (the count a full read starts with, the first page, its sort check, and the refused second page)
    expect(emulator.requests.filter((request) => request.path === USER_SEARCH)).toHaveLength(4);
  });

  it("a 403 mid-sync fails that stream with a config_error about the key's permissions; the next stream still runs", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 0 });
    faultOnNthSearch(emulator, 2, { kind: "status", status: 403, body: { errorCode: "E011003", errorDescription: "Forbidden" } });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 100 }),
      catalog: configuredCatalog(["users", "tenants"]),
    });
    expect(result.exitCode).not.toBe(0);
    const [error, ...more] = errorTraces(result);
    expect(more).toEqual([]);
    expect(error).toMatchObject({ failure_type: "config_error", stream_descriptor: { name: "users" } });
    expect(error!.message).toMatch(/403/);
    expect(error!.message).toMatch(/management_key/);
    expect(error!.message).toMatch(/permission/);
    expectLifecycle(result, "users", "INCOMPLETE");
    // Unlike a 401, a permission one endpoint lacks says nothing about the others.
    expectLifecycle(result, "tenants", "COMPLETE");
    expect(records(result, "tenants")).toHaveLength(emulator.store.tenants.length);
  });
});

describe("answers a stream declares as empty", () => {
  it("provider token management off, in words the connector does not know: 20 'no token' answers before any token end the stream empty, once", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 0 });
    emulator.faults.add({
      match: "/v1/mgmt/user/provider/token",
      kind: "status",
      status: 400,
      body: { errorCode: "E011003", errorDescription: "Feature not enabled" },
      times: Infinity,
    });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["provider_tokens", "tenants"]) });
    expect(result.exitCode).toBe(0);
    expect(errorTraces(result)).toEqual([]);
    expect(records(result, "provider_tokens")).toEqual([]);
    expectLifecycle(result, "provider_tokens", "COMPLETE");
    expect(logs(result).filter((log) => /looks turned off/.test(log.message))).toHaveLength(1);
    const tokenCalls = emulator.requests.filter((request) => request.path === "/v1/mgmt/user/provider/token");
    expect(tokenCalls.length).toBeLessThan(20 + 8);
  });
});

describe("a role-scoped management key (403 on some endpoints only)", () => {
  const FORBIDDEN = ["/v1/mgmt/audit/search", "/v1/mgmt/group/all"];
  const STREAMS = ["users", "audit_events", "tenants", "groups", "roles"];

  it("read: each refused stream ends INCOMPLETE with a config_error naming it and what it reads; the others run to the end; exit 1", async () => {
    emulator = await scaledEmulator({ users: 80, testUsers: 0, tenants: 3, forbiddenPaths: FORBIDDEN });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(STREAMS) });
    expect(result.exitCode).toBe(1);
    const errors = errorTraces(result);
    expect(errors.map((error) => [error.stream_descriptor?.name, error.failure_type])).toEqual([
      ["audit_events", "config_error"],
      ["groups", "config_error"],
    ]);
    expect(errors[0]!.message).toContain('Stream "audit_events"');
    expect(errors[0]!.message).toContain("POST /v1/mgmt/audit/search");
    expect(errors[0]!.message).toContain("read the audit trail");
    expect(errors[1]!.message).toContain('Stream "groups"');
    expect(errors[1]!.message).toContain("read tenants' groups");
    for (const error of errors) {
      expect(error.message).toMatch(/role/);
      expect(error.stack_trace).toBeUndefined();
    }
    // Refused before their first record: STARTED, then INCOMPLETE.
    for (const stream of ["audit_events", "groups"]) expect(streamStatuses(result, stream).at(-1), stream).toBe("INCOMPLETE");
    for (const stream of ["users", "tenants", "roles"]) expectLifecycle(result, stream, "COMPLETE");
    expect(records(result, "users")).toHaveLength(80);
    expect(records(result, "roles").length).toBeGreaterThan(0);
    // A refused endpoint is not asked again: 403 is not retried.
    expect(emulator.requests.filter((request) => request.path === "/v1/mgmt/audit/search")).toHaveLength(1);
  });

  it("check: SUCCEEDED, with a message listing the streams this key cannot read (one probe each)", async () => {
    emulator = await scaledEmulator({ users: 20, testUsers: 0, forbiddenPaths: FORBIDDEN });
    const result = await runConnector("check", { config: emulatorConfig(emulator) });
    const status = result.messages.find((m) => m.type === "CONNECTION_STATUS");
    expect(status?.type === "CONNECTION_STATUS" && status.connectionStatus.status).toBe("SUCCEEDED");
    const message = status?.type === "CONNECTION_STATUS" ? (status.connectionStatus.message ?? "") : "";
    expect(message).toContain("audit_events (POST /v1/mgmt/audit/search: HTTP 403)");
    expect(message).toContain("groups (POST /v1/mgmt/group/all: HTTP 403)");
    expect(message).not.toMatch(/\b(users|tenants|roles|login_history|provider_tokens|analytics)\b \(/);
    // One cheap read per stream, none of them twice (the probes are not retried into a 403 storm).
    for (const path of FORBIDDEN) expect(emulator.requests.filter((request) => request.path === path)).toHaveLength(1);
  });

  it("check: a key that can read everything gets a plain SUCCEEDED", async () => {
    emulator = await scaledEmulator({ users: 20, testUsers: 0 });
    const result = await runConnector("check", { config: emulatorConfig(emulator) });
    const status = result.messages.find((m) => m.type === "CONNECTION_STATUS");
    expect(status?.type === "CONNECTION_STATUS" && status.connectionStatus).toEqual({ status: "SUCCEEDED" });
    // The probes' made-up IDs get 404s (no such user): that is an answer past the permission check, not a doubt.
    expect(logs(result).filter((log) => /could not tell/.test(log.message))).toEqual([]);
  });
});
