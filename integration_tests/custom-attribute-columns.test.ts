import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { afterEach, describe, expect, it } from "vitest";
import type { AirbyteStream, JsonObject } from "../src/cdk/protocol.js";
import { packageRoot } from "../src/cdk/package-root.js";
import { inputFiles } from "./helpers/messages.js";
import { loadSchema } from "../src/descope/schemas.js";
import { AWKWARD_CUSTOM_ATTRIBUTES } from "./emulator/seed-custom-attributes.js";
import type { Emulator } from "./emulator/server.js";
import { emulatorConfig, logs, records, runConnector, scaledEmulator } from "./helpers/connector.js";

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function discover(emu: Emulator, overrides: JsonObject = {}): Promise<Map<string, AirbyteStream>> {
  const result = await runConnector("discover", { config: emulatorConfig(emu, overrides) });
  expect(result.exitCode).toBe(0);
  const catalog = result.messages.find((message) => message.type === "CATALOG");
  if (catalog?.type !== "CATALOG") throw new Error("no CATALOG message");
  return new Map(catalog.catalog.streams.map((stream) => [stream.name, stream]));
}

/** The configured catalog a host builds from a discover: the streams verbatim, read in full. */
function configured(streams: AirbyteStream[]): JsonObject {
  return { streams: streams.map((stream) => ({ stream, sync_mode: "full_refresh", destination_sync_mode: "overwrite" })) };
}

const customColumns = (stream: AirbyteStream) =>
  Object.fromEntries(Object.entries(stream.json_schema.properties as Record<string, JsonObject>).filter(([name]) => name.startsWith("custom_")));

function expectValid(rows: JsonObject[], schema: JsonObject): void {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  for (const row of rows) expect(validate(row), `${row.userId}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

describe("custom attributes as typed columns", () => {
  it("discover declares one typed, nullable column per attribute of each of the seven types, on users and test_users", async () => {
    emulator = await scaledEmulator({ users: 50, testUsers: 5 });
    const streams = await discover(emulator);
    for (const name of ["users", "test_users"]) {
      const stream = streams.get(name)!;
      expect(stream.json_schema.additionalProperties).toBe(true);
      const columns = customColumns(stream);
      expect(Object.keys(columns)).toHaveLength(emulator.store.customAttributes.length);
      expect(columns).toMatchObject({
        custom_plan: { type: ["string", "null"] },
        custom_seats: { type: ["number", "null"] },
        custom_beta: { type: ["boolean", "null"] },
        custom_department: { type: ["string", "null"] },
        custom_interests: { type: ["array", "null"], items: { type: "string" } },
        custom_contractStart: { type: ["string", "null"], format: "date-time" },
        custom_birthday: { type: ["string", "null"] },
      });
      // "région préférée" is no column name: folded to ASCII, tied to the exact name by a hash.
      expect(Object.keys(columns).find((column) => /^custom_region_preferee_[0-9a-f]{8}$/.test(column))).toBeDefined();
    }
  });

  it("records fill the columns, validate against the discovered schema, and a wrong-typed value is counted once and kept raw", async () => {
    emulator = await scaledEmulator({ users: 400, testUsers: 0 });
    const streams = await discover(emulator);
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configured([streams.get("users")!]) });
    expect(result.exitCode).toBe(0);
    const users = records(result, "users");
    expectValid(users, streams.get("users")!.json_schema);

    const raw = (user: JsonObject) => (user.customAttributes ?? {}) as JsonObject;
    const withSeatsText = users.find((user) => raw(user).seats === "12")!;
    expect(withSeatsText).toMatchObject({ custom_seats: null, custom_beta: null, customAttributes: { seats: "12", beta: "yes" } });
    const withDateMs = users.find((user) => raw(user).contractStart === 1_704_067_200_000)!;
    expect(withDateMs).toMatchObject({
      custom_contractStart: "2024-01-01T00:00:00.000Z",
      custom_interests: ["security", "billing"],
      custom_birthday: "03-14",
    });
    const withDateText = users.find((user) => raw(user).contractStart === "2023-11-05")!;
    expect(withDateText.custom_contractStart).toBe("2023-11-05T00:00:00.000Z");
    const unicode = users.find((user) => typeof raw(user).department === "string" && (raw(user).department as string).includes("東京"))!;
    expect(unicode.custom_department).toBe(raw(unicode).department);
    expect(
      users.find((user) => Array.isArray(raw(user).interests) && (raw(user).interests as unknown[]).length === 300)?.custom_interests,
    ).toHaveLength(300);

    // The seeded misfits: every awkward value set's values of the wrong type, once per user holding it.
    const misfitsPerSet = new Map<JsonObject, number>([
      [AWKWARD_CUSTOM_ATTRIBUTES[3]!, 2],
      [AWKWARD_CUSTOM_ATTRIBUTES[4]!, 3],
      [AWKWARD_CUSTOM_ATTRIBUTES[5]!, 2],
    ]);
    let expectedMisfits = 0;
    for (const user of emulator.store.users) {
      for (const [set, count] of misfitsPerSet) if (JSON.stringify(user.customAttributes) === JSON.stringify(set)) expectedMisfits += count;
    }
    expect(expectedMisfits).toBeGreaterThan(0);
    const warnings = logs(result).filter((log) => log.level === "WARN" && log.message.includes("did not fit their declared type"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain(`users: ${expectedMisfits} custom attribute values`);
  });

  it("the Singer tap discovers the same columns through the same streams", async () => {
    emulator = await scaledEmulator({ users: 20, testUsers: 2 });
    const airbyte = await discover(emulator);
    const tap = join(packageRoot(import.meta.url), "dist", "bin", "tap-descope.js");
    const { config } = inputFiles({ config: emulatorConfig(emulator) });
    // Asynchronously: the emulator answering the tap runs in this process.
    const { stdout } = await promisify(execFile)(process.execPath, [tap, "--config", config!, "--discover"], { encoding: "utf8" });
    const catalog = JSON.parse(stdout) as {
      streams: { tap_stream_id: string; schema: JsonObject }[];
    };
    const singerUsers = catalog.streams.find((stream) => stream.tap_stream_id === "users")!;
    const singerColumns = Object.keys(singerUsers.schema.properties as JsonObject).filter((name) => name.startsWith("custom_"));
    expect(singerColumns).toEqual(Object.keys(customColumns(airbyte.get("users")!)));
  });

  it("custom_attribute_columns: false gives exactly the schema and records without the columns", async () => {
    emulator = await scaledEmulator({ users: 30, testUsers: 3 });
    const streams = await discover(emulator, { custom_attribute_columns: false });
    expect(streams.get("users")!.json_schema).toEqual(loadSchema("users"));
    expect(streams.get("test_users")!.json_schema).toEqual(loadSchema("test_users"));
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { custom_attribute_columns: false }),
      catalog: configured([streams.get("users")!]),
    });
    expect(records(result, "users").some((user) => Object.keys(user).some((key) => key.startsWith("custom_")))).toBe(false);
    expect(emulator.requests.some((request) => request.path === "/v1/mgmt/user/customattributes")).toBe(false);
  });

  it("a catalog configured before attributes were added and removed keeps working: its records stay valid against that schema", async () => {
    emulator = await scaledEmulator({ users: 200, testUsers: 0 });
    const before = await discover(emulator);
    emulator.store.removeCustomAttribute("seats");
    emulator.store.defineCustomAttribute({ name: "nickname", type: 1, displayName: "Nickname" });
    emulator.store.updateUser(emulator.store.users[0]!.userId, { customAttributes: { nickname: "Jay", seats: 3 } });

    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configured([before.get("users")!]) });
    expect(result.exitCode).toBe(0);
    const users = records(result, "users");
    expectValid(users, before.get("users")!.json_schema);
    expect(users.every((user) => user.custom_seats === null && !("custom_nickname" in user))).toBe(true);
    expect(logs(result).some((log) => log.level === "WARN" && log.message.includes("custom_seats"))).toBe(true);

    const after = await discover(emulator);
    expect(Object.keys(customColumns(after.get("users")!))).toContain("custom_nickname");
    expect(Object.keys(customColumns(after.get("users")!))).not.toContain("custom_seats");
  });

  it("definitions the key may not read leave the schema without columns, with a warning, and the raw values in place", async () => {
    emulator = await scaledEmulator({ users: 20, testUsers: 0 });
    emulator.faults.add({
      match: "/v1/mgmt/user/customattributes",
      kind: "status",
      status: 403,
      body: { errorCode: "E011003", errorDescription: "Forbidden" },
      times: Infinity,
    });
    const result = await runConnector("discover", { config: emulatorConfig(emulator) });
    expect(result.exitCode).toBe(0);
    const catalog = result.messages.find((message) => message.type === "CATALOG");
    const users = catalog?.type === "CATALOG" ? catalog.catalog.streams.find((stream) => stream.name === "users") : undefined;
    expect(users?.json_schema).toEqual(loadSchema("users"));
    expect(logs(result).some((log) => log.level === "WARN" && /no custom_ attribute columns.*403/.test(log.message))).toBe(true);
  });
});
