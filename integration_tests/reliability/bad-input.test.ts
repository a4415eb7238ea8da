import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/cdk/protocol.js";
import type { Emulator } from "../emulator/server.js";
import {
  configuredCatalog,
  emulatorConfig,
  errorTraces,
  logs,
  records,
  runConnector,
  scaledEmulator,
  stateMessages,
  withNullOptionals,
} from "../helpers/connector.js";
import type { RunResult } from "../helpers/connector.js";
import { missingPath, ofType, runWithArgs, STACK_LINE } from "./support.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await scaledEmulator({ users: 30, testUsers: 3, auditEvents: 50 });
});
afterAll(() => emulator.close());

/** The one answer every bad input gets from `read`: a config_error naming what to fix, no stack, a failed exit. */
function expectConfigError(result: RunResult, ...mentions: (string | RegExp)[]): string {
  expect(result.exitCode).not.toBe(0);
  expect(result.exitCode).not.toBeNull();
  const errors = errorTraces(result);
  expect(errors).toHaveLength(1);
  const [error] = errors;
  expect(error!.failure_type).toBe("config_error");
  expect(error!.stack_trace).toBeUndefined();
  for (const mention of mentions) expect(error!.message).toMatch(mention);
  expect(result.stdout).not.toMatch(STACK_LINE);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(ofType(result, "RECORD")).toEqual([]);
  return error!.message;
}

/** `check` answers a bad config with CONNECTION_STATUS FAILED and exit 0 (the platform's "user error"). */
function expectCheckFailed(result: RunResult, ...mentions: (string | RegExp)[]): void {
  expect(result.exitCode).toBe(0);
  const statuses = ofType(result, "CONNECTION_STATUS");
  expect(statuses).toHaveLength(1);
  expect(statuses[0]!.connectionStatus.status).toBe("FAILED");
  for (const mention of mentions) expect(statuses[0]!.connectionStatus.message).toMatch(mention);
  expect(result.stdout).not.toMatch(STACK_LINE);
  expect(result.stderr).not.toMatch(STACK_LINE);
}

const good = () => emulatorConfig(emulator);
const without = (config: JsonObject, field: string) => Object.fromEntries(Object.entries(config).filter(([name]) => name !== field));

describe("bad configs", () => {
  const cases: [name: string, config: () => JsonObject | string, mentions: (string | RegExp)[]][] = [
    ["not JSON", () => "{ project_id: P2abc", [/not valid JSON/]],
    ["an empty object", () => ({}), [/"project_id"/, /"management_key"/]],
    ["a JSON array", () => "[]", [/must be object/]],
    ["missing project_id", () => without(good(), "project_id"), [/missing required field "project_id"/]],
    ["missing management_key", () => without(good(), "management_key"), [/missing required field "management_key"/]],
    ["an empty project_id", () => ({ ...good(), project_id: "" }), [/"project_id"/]],
    // As text: runConnector would otherwise treat "" as the key to look for in every later run's output.
    ["an empty management_key", () => JSON.stringify({ ...good(), management_key: "" }), [/"management_key"/]],
    ["a numeric project_id", () => ({ ...good(), project_id: 12345 }), [/"project_id" must be string/]],
    ["a page_size given as a string", () => ({ ...good(), page_size: "100" }), [/"page_size" must be integer/]],
    ["a negative max_retries", () => ({ ...good(), max_retries: -1 }), [/"max_retries"/]],
    ["an invalid start_date", () => ({ ...good(), start_date: "last tuesday" }), [/"start_date"/]],
    ["http:// to a non-loopback host", () => ({ ...good(), base_url: "http://api.descope.example.com" }), [/"base_url"/, /https/]],
    ["a base_url that is not a URL", () => ({ ...good(), base_url: "not a url" }), [/"base_url"/]],
  ];

  it.each(cases)("read with %s: a config_error naming the config file and the field", async (_name, config, mentions) => {
    const result = await runConnector("read", { config: config(), catalog: configuredCatalog(["users"]) });
    expectConfigError(result, /config file/, /config\.json/, ...mentions);
  });

  // check goes through the same door; a representative subset keeps the suite fast.
  const checkCases = cases.filter(([name]) => /not JSON|empty object|empty management_key|string|http:\/\//.test(name));
  it.each(checkCases)("check with %s: CONNECTION_STATUS FAILED with the reason", async (_name, config, mentions) => {
    expectCheckFailed(await runConnector("check", { config: config() }), ...mentions);
  });

  it("a missing config file is named, for read, discover and check", async () => {
    const path = missingPath("config");
    const read = await runWithArgs(["read", "--config", path, "--catalog", "{catalog}"], { files: { catalog: configuredCatalog(["users"]) } });
    expectConfigError(read, path, /no such file/);
    const discover = await runWithArgs(["discover", "--config", path]);
    expectConfigError(discover, path);
    expectCheckFailed(await runWithArgs(["check", "--config", path]), path);
  });

  it("a config path that is a directory, or no --config at all, is a config_error", async () => {
    expectConfigError(await runWithArgs(["discover", "--config", missingPath("x").replace(/\/x\.json$/, "")]), /config file/);
    expectConfigError(await runWithArgs(["read", "--catalog", "{catalog}"], { files: { catalog: configuredCatalog(["users"]) } }), /config/);
    expectConfigError(await runWithArgs(["sync", "--config", "{config}"], { files: { config: good() } }), /sync/);
  });

  it("an optional config field given as null acts as absent", async () => {
    const config = { ...good(), start_date: null, page_size: null, max_retries: null };
    const check = await runConnector("check", { config });
    expect(ofType(check, "CONNECTION_STATUS")[0]!.connectionStatus.status).toBe("SUCCEEDED");
    const read = await runConnector("read", { config, catalog: configuredCatalog(["users"], "incremental") });
    expect(read.exitCode).toBe(0);
    expect(records(read, "users")).toHaveLength(emulator.store.users.length);
  });

  it("unknown config keys are tolerated (hosts and older versions add their own)", async () => {
    const config = { ...good(), some_future_option: true, nested: { anything: [1, 2] } };
    const check = await runConnector("check", { config });
    expect(ofType(check, "CONNECTION_STATUS")[0]!.connectionStatus.status).toBe("SUCCEEDED");
    const read = await runConnector("read", { config, catalog: configuredCatalog(["tenants"]) });
    expect(read.exitCode).toBe(0);
    expect(records(read, "tenants")).toHaveLength(emulator.store.tenants.length);
  });
});

describe("bad catalogs", () => {
  const catalogWith = (patch: (stream: JsonObject) => void) => {
    const catalog = configuredCatalog(["users"]) as { streams: JsonObject[] };
    patch(catalog.streams[0]!);
    return catalog as unknown as JsonObject;
  };
  const cases: [name: string, catalog: () => JsonObject | string, mentions: (string | RegExp)[]][] = [
    ["not JSON", () => "streams: [users]", [/not valid JSON/]],
    ["an empty file", () => "", [/must be object/]],
    ["no streams field", () => ({ stream: [] }), [/missing required field "streams"/]],
    ["an unknown stream", () => configuredCatalog(["users", "employees"]), [/employees/, /Available: .*users/]],
    ["an invalid sync mode", () => catalogWith((s) => (s.sync_mode = "sometimes")), [/streams\.0\.sync_mode/, /full_refresh/]],
    ["a stream without a name", () => catalogWith((s) => delete (s.stream as JsonObject).name), [/streams\.0\.stream\.name/]],
    ["no destination_sync_mode", () => catalogWith((s) => delete s.destination_sync_mode), [/destination_sync_mode/]],
  ];

  it.each(cases)("%s: a config_error naming the catalog file", async (_name, catalog, mentions) => {
    emulator.reset();
    const result = await runConnector("read", { config: good(), catalog: catalog() });
    expectConfigError(result, /catalog file/, /catalog\.json/, ...mentions);
    // Rejected at the door: no API call but the one that reads the custom attribute definitions the streams' schemas
    // are built from (and the license handshake every client makes before its first request).
    const beforeReading = new Set(["/v1/mgmt/user/customattributes", "/v1/mgmt/license"]);
    expect(emulator.requests.filter((request) => !beforeReading.has(request.path))).toEqual([]);
  });

  it("a catalog with null optional fields, as CAT 0.11.5 and newer platforms write it, reads exactly like one without", async () => {
    const streams = ["users", "tenants"];
    const withNulls = withNullOptionals(configuredCatalog(streams, "incremental"));
    const plain = await runConnector("read", { config: good(), catalog: configuredCatalog(streams, "incremental") });
    const nulls = await runConnector("read", { config: good(), catalog: withNulls });
    expect(plain.exitCode).toBe(0);
    expect(nulls.exitCode).toBe(0);
    for (const stream of streams) {
      expect(records(nulls, stream), stream).toEqual(records(plain, stream));
      expect(stateMessages(nulls, stream).map((state) => state.stream.stream_state)).toEqual(
        stateMessages(plain, stream).map((state) => state.stream.stream_state),
      );
    }
    expect(records(nulls, "users")).toHaveLength(emulator.store.users.length);
  });

  it("a missing catalog file is named", async () => {
    const path = missingPath("catalog");
    const result = await runWithArgs(["read", "--config", "{config}", "--catalog", path], { files: { config: good() } });
    expectConfigError(result, path, /no such file/);
  });

  it("incremental on a full-refresh-only stream is read in full, with a log line saying so", async () => {
    const result = await runConnector("read", { config: good(), catalog: configuredCatalog(["tenants", "roles"], "incremental") });
    expect(result.exitCode).toBe(0);
    expect(records(result, "tenants")).toHaveLength(emulator.store.tenants.length);
    for (const stream of ["tenants", "roles"]) {
      expect(logs(result).filter((log) => log.message.includes(`"${stream}"`) && /full refresh/.test(log.message))).toHaveLength(1);
    }
  });
});

describe("bad states", () => {
  const catalog = configuredCatalog(["users", "test_users", "login_history", "audit_events"], "incremental");
  const streamState = (name: string, stream_state: unknown) => ({ type: "STREAM", stream: { stream_descriptor: { name }, stream_state } });

  const invalid: [name: string, state: () => unknown, mentions: (string | RegExp)[]][] = [
    ["garbage", () => "\u0000\u0001 not json at all", [/not valid JSON/]],
    ["a bare number", () => "42", [/expected an array/]],
    ["an element that is not an object", () => [7], [/element \[0\]/]],
    ["an element without a stream name", () => [{ type: "STREAM", stream: { stream_state: {} } }], [/stream_descriptor\.name/]],
    ["a stream_state that is a string", () => [streamState("users", "2024-01-01")], [/"users"/, /must be an object/]],
    ["a cursor of the wrong type", () => [streamState("users", { modifiedTime: "yesterday" })], [/modifiedTime/, /integer/, /"users"/]],
    ["a negative cursor", () => [streamState("audit_events", { occurredMs: -5 })], [/occurredMs/, /"audit_events"/]],
    ["a state without its cursor", () => [streamState("test_users", { seenUserIds: [] })], [/modifiedTime/, /"test_users"/]],
  ];

  it.each(invalid)("%s: a config_error naming the state file", async (_name, state, mentions) => {
    const result = await runConnector("read", { config: good(), catalog, state: state() });
    expectConfigError(result, /state file/, /state\.json/, ...mentions);
  });

  it("a legacy dict is reported and ignored: every stream starts fresh", async () => {
    const result = await runConnector("read", { config: good(), catalog, state: { users: { modifiedTime: 32503680000 } } });
    expect(result.exitCode).toBe(0);
    expect(records(result, "users")).toHaveLength(emulator.store.users.length);
    expect(logs(result).some((log) => log.level === "WARN" && /legacy/.test(log.message))).toBe(true);
  });

  it("null, [], an empty file and states of streams not in the catalog all mean a fresh start", async () => {
    for (const state of ["null", "[]", "", [streamState("no_such_stream", { x: 1 }), streamState("users", null)]]) {
      const result = await runConnector("read", { config: good(), catalog: configuredCatalog(["users"], "incremental"), state });
      expect(result.exitCode, JSON.stringify(state)).toBe(0);
      expect(records(result, "users")).toHaveLength(emulator.store.users.length);
    }
  });

  it("a far-future cursor yields zero records and still a STATE for every stream", async () => {
    const future = 32503680000; // year 3000, in seconds
    const state = [
      streamState("users", { modifiedTime: future }),
      streamState("test_users", { modifiedTime: future }),
      streamState("login_history", { loginTime: future }),
      streamState("audit_events", { occurredMs: future * 1000 }),
    ];
    const result = await runConnector("read", { config: good(), catalog, state });
    expect(result.exitCode).toBe(0);
    expect(ofType(result, "RECORD")).toEqual([]);
    for (const name of ["users", "test_users", "login_history", "audit_events"])
      expect(stateMessages(result, name).length, name).toBeGreaterThanOrEqual(1);
  });

  it("a missing state file is named", async () => {
    const path = missingPath("state");
    const result = await runWithArgs(["read", "--config", "{config}", "--catalog", "{catalog}", "--state", path], {
      files: { config: good(), catalog },
    });
    expectConfigError(result, path, /no such file/);
  });
});
