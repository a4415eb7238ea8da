import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import { startEmulator, type Emulator } from "./emulator/server.js";
import { EXPECTED_RECORDS, keyedRows } from "./helpers/expected-records.js";
import { configuredCatalog, emulatorConfig, logs, records, runConnector, scaledEmulator, streamStatuses } from "./helpers/connector.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** The streams issue #3 added: every Descope resource a warehouse user wants beyond users. */
const PROJECT_STREAMS = ["tenants", "roles", "permissions", "access_keys", "groups", "sso_applications", "custom_attributes"];
const NEW_STREAMS = ["audit_events", ...PROJECT_STREAMS, "analytics"];

async function discoveredSchemas(config: JsonObject): Promise<Map<string, JsonObject>> {
  const discover = await runConnector("discover", { config });
  expect(discover.exitCode).toBe(0);
  const catalog = discover.messages.find((m) => m.type === "CATALOG")!;
  return new Map(catalog.catalog.streams.map((stream) => [stream.name, stream.json_schema as JsonObject]));
}

describe("full-refresh streams: records equal the emulator's data", () => {
  it("tenants, roles, permissions, access keys, groups, SSO apps and custom attributes, keyed as discovered", async () => {
    emulator = await startEmulator({ users: 150, tenants: 7 });
    const config = emulatorConfig(emulator);
    const result = await runConnector("read", { config, catalog: configuredCatalog(PROJECT_STREAMS) });
    expect(result.exitCode).toBe(0);
    for (const stream of PROJECT_STREAMS) expect(streamStatuses(result, stream)).toEqual(["STARTED", "RUNNING", "COMPLETE"]);

    for (const stream of PROJECT_STREAMS) {
      const expectation = EXPECTED_RECORDS[stream]!;
      expect(keyedRows(records(result, stream), expectation), stream).toEqual(keyedRows(await expectation.expected(emulator), expectation));
    }
    expect(records(result, "roles").some((role) => role.tenantId === "")).toBe(true);

    // The primary keys the host is told about are the ones the records were checked by.
    const discover = await runConnector("discover", { config });
    const keys = Object.fromEntries(
      discover.messages.flatMap((m) => (m.type === "CATALOG" ? m.catalog.streams.map((s) => [s.name, s.source_defined_primary_key]) : [])),
    );
    expect(keys).toMatchObject({
      tenants: [["id"]],
      roles: [["tenantId"], ["name"]],
      permissions: [["name"]],
      access_keys: [["id"]],
      groups: [["tenantId"], ["ssoId"], ["id"]],
      sso_applications: [["id"]],
      custom_attributes: [["name"]],
      audit_events: [["ID"]],
      analytics: [["id"]],
    });
  });

  it("groups answered in the OpenAPI's {groups: [...]} wrapper read the same as the bare array", async () => {
    emulator = await startEmulator({ users: 80, tenants: 4, groupsWrapper: true });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["groups"]) });
    expect(result.exitCode).toBe(0);
    const groups = EXPECTED_RECORDS.groups!;
    expect(keyedRows(records(result, "groups"), groups)).toEqual(keyedRows(await groups.expected(emulator), groups));
  });
});

describe("schemas", () => {
  it("every record of every stream validates against its discovered schema with additionalProperties: false forced", async () => {
    // Every stream in one read is well over 100 management calls: rate windows run at the connector's time scale.
    emulator = await scaledEmulator({ users: 150, testUsers: 10, tenants: 6, auditEvents: 400 });
    const config = emulatorConfig(emulator, { include_provider_token_values: true });
    const schemas = await discoveredSchemas(config);
    const streams = [...schemas.keys()];
    expect(streams).toEqual(expect.arrayContaining([...NEW_STREAMS, "users", "test_users", "login_history", "provider_tokens"]));

    const result = await runConnector("read", { config, catalog: configuredCatalog(streams) });
    expect(result.exitCode).toBe(0);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    for (const [stream, schema] of schemas) {
      const validate = ajv.compile({ ...schema, additionalProperties: false });
      const rows = records(result, stream);
      expect(rows.length, `${stream} read no records to check`).toBeGreaterThan(0);
      for (const row of rows) {
        if (!validate(row)) expect.fail(`${stream} record does not match its schema: ${JSON.stringify(validate.errors)}\n${JSON.stringify(row)}`);
      }
    }
  });

  it("audit events without Descope IDs get deterministic synthetic keys that validate too", async () => {
    emulator = await startEmulator({ users: 60, auditEvents: 300, auditIds: false });
    const config = emulatorConfig(emulator);
    const catalog = configuredCatalog(["audit_events"]);
    const [first, second] = [await runConnector("read", { config, catalog }), await runConnector("read", { config, catalog })];
    const ids = records(first, "audit_events").map((event) => event.ID);
    expect(ids.length).toBeGreaterThan(100);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => typeof id === "string" && /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(records(second, "audit_events").map((event) => event.ID)).toEqual(ids);
  });
});

describe("a project without tenants, groups, SSO apps or access keys", () => {
  it("check succeeds: it needs nothing but a user search", async () => {
    emulator = await startEmulator({ emptyProject: true, users: 5 });
    const result = await runConnector("check", { config: emulatorConfig(emulator) });
    expect(result.exitCode).toBe(0);
    expect(result.messages.find((m) => m.type === "CONNECTION_STATUS")?.connectionStatus.status).toBe("SUCCEEDED");
  });

  it("reads cleanly: empty streams, every one COMPLETE, no groups call without tenants", async () => {
    emulator = await startEmulator({ emptyProject: true, users: 20 });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(NEW_STREAMS) });
    expect(result.exitCode).toBe(0);
    for (const stream of NEW_STREAMS) expect(streamStatuses(result, stream), stream).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    for (const stream of PROJECT_STREAMS) expect(records(result, stream), stream).toEqual([]);
    expect(emulator.requests.some((request) => request.path === "/v1/mgmt/group/all")).toBe(false);
    expect(logs(result).filter((log) => log.level === "WARN" || log.level === "ERROR")).toEqual([]);
  });
});
