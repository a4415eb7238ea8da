import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packageRoot } from "../src/cdk/package-root.js";
import type { JsonObject } from "../src/cdk/protocol.js";
import { inputFiles } from "./helpers/messages.js";
import type { SingerCatalog } from "../src/singer/catalog.js";
import type { Emulator } from "./emulator/server.js";
import { configuredCatalog, emulatorConfig, records, runConnector, scaledEmulator } from "./helpers/connector.js";

const ROOT = packageRoot(import.meta.url);
const TAP_BIN = join(ROOT, "dist", "bin", "tap-descope.js");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

type SingerLine =
  | { type: "SCHEMA"; stream: string; schema: JsonObject; key_properties: string[]; bookmark_properties?: string[] }
  | { type: "RECORD"; stream: string; record: JsonObject; time_extracted?: string }
  | { type: "STATE"; value: { bookmarks: Record<string, JsonObject> } };

interface TapResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built tap as Meltano does: flags only, input files read-only. */
async function runTap(args: string[], files: Record<string, unknown> = {}): Promise<TapResult> {
  if (!existsSync(TAP_BIN)) throw new Error(`${TAP_BIN} is missing: run \`npm run build\` first (npm test does).`);
  const paths = inputFiles(files);
  const fileArgs = Object.entries(paths).flatMap(([name, path]) => [`--${name}`, path]);
  const child = spawn(process.execPath, [TAP_BIN, ...args, ...fileArgs], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (emulator && (stdout.includes(emulator.managementKey) || stderr.includes(emulator.managementKey))) {
    throw new Error(`The management key appeared in the output of tap-descope ${args.join(" ")}`);
  }
  return { exitCode, stdout, stderr };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses sync output, failing on anything that is not a Singer message (singer-io/getting-started SPEC.md) with
 * its required keys, and on a RECORD whose stream had no SCHEMA before it.
 */
function singerMessages(stdout: string): SingerLine[] {
  const schemaSeen = new Set<string>();
  return stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const message = JSON.parse(line) as SingerLine;
      const fail = (why: string): never => {
        throw new Error(`Invalid Singer line (${why}): ${line.slice(0, 300)}`);
      };
      switch (message.type) {
        case "SCHEMA":
          if (typeof message.stream !== "string" || typeof message.schema !== "object" || !Array.isArray(message.key_properties))
            fail("SCHEMA needs stream, schema, key_properties");
          for (const key of message.key_properties)
            if (!(key in ((message.schema.properties ?? {}) as JsonObject))) fail(`key property ${key} not in the schema`);
          schemaSeen.add(message.stream);
          break;
        case "RECORD":
          if (typeof message.stream !== "string" || typeof message.record !== "object" || message.record === null)
            fail("RECORD needs stream and record");
          if (!schemaSeen.has(message.stream)) fail("RECORD before its stream's SCHEMA");
          if (!RFC3339.test(message.time_extracted ?? "")) fail("time_extracted is not RFC 3339");
          break;
        case "STATE":
          if (typeof message.value !== "object" || typeof message.value?.bookmarks !== "object") fail("STATE needs value.bookmarks");
          break;
        default:
          fail("unknown type");
      }
      return message;
    });
}

const tapRecords = (messages: SingerLine[], stream: string) =>
  messages.flatMap((m) => (m.type === "RECORD" && m.stream === stream ? [m.record] : []));
const lastState = (messages: SingerLine[]) => messages.filter((m) => m.type === "STATE").at(-1) as Extract<SingerLine, { type: "STATE" }>;

/** The discovered catalog with only the named streams selected, the way Meltano's `select:` writes it. */
function selectStreams(catalog: SingerCatalog, streams: string[], deselectedProperties: Record<string, string[]> = {}): SingerCatalog {
  return {
    streams: catalog.streams.map((entry) => ({
      ...entry,
      metadata: entry.metadata.map((md) => {
        if (md.breadcrumb.length === 0) return { ...md, metadata: { ...md.metadata, selected: streams.includes(entry.tap_stream_id) } };
        const property = md.breadcrumb[1]!;
        return (deselectedProperties[entry.tap_stream_id] ?? []).includes(property) ? { ...md, metadata: { ...md.metadata, selected: false } } : md;
      }),
    })),
  };
}

async function discover(config: JsonObject): Promise<SingerCatalog> {
  const result = await runTap(["--discover"], { config });
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout) as SingerCatalog;
}

describe("tap-descope (Singer)", () => {
  it("--about describes the tap: version, capabilities, settings from the same spec (secret marked)", async () => {
    const json = await runTap(["--about", "--format", "json"]);
    expect(json.exitCode).toBe(0);
    const about = JSON.parse(json.stdout) as {
      name: string;
      version: string;
      capabilities: string[];
      settings: { properties: Record<string, JsonObject>; required: string[] };
    };
    expect(about).toMatchObject({ name: "tap-descope", version: VERSION, capabilities: ["catalog", "discover", "state", "about"] });
    const spec = JSON.parse(readFileSync(join(ROOT, "integration_tests", "spec.json"), "utf8")) as {
      connectionSpecification: { properties: JsonObject; required: string[] };
    };
    expect(Object.keys(about.settings.properties)).toEqual(Object.keys(spec.connectionSpecification.properties));
    expect(about.settings.required).toEqual(spec.connectionSpecification.required);
    expect(about.settings.properties.management_key).toMatchObject({ secret: true, writeOnly: true });

    const markdown = await runTap(["--about", "--format", "markdown"]);
    expect(markdown.stdout).toContain("| management_key | True |");
    expect((await runTap(["--about"])).stdout).toContain("Capabilities: [catalog, discover, state, about]");
  });

  it("--discover lists the same streams as the Airbyte catalog, with keys, replication keys and selection metadata", async () => {
    emulator = await scaledEmulator({ users: 5, testUsers: 1 });
    const config = emulatorConfig(emulator);
    const catalog = await discover(config);
    const airbyte = await runConnector("discover", { config });
    const airbyteStreams = airbyte.messages.flatMap((m) => (m.type === "CATALOG" ? m.catalog.streams : []));
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual(airbyteStreams.map((s) => s.name));
    for (const stream of airbyteStreams) {
      const entry = catalog.streams.find((s) => s.tap_stream_id === stream.name)!;
      expect(entry.schema).toEqual(stream.json_schema);
      expect(entry.key_properties).toEqual(stream.source_defined_primary_key!.map((path) => path[0]));
      const root = entry.metadata.find((md) => md.breadcrumb.length === 0)!.metadata;
      expect(root).toMatchObject({
        inclusion: "available",
        "selected-by-default": true,
        "table-key-properties": entry.key_properties,
        "valid-replication-keys": stream.default_cursor_field ?? [],
        "forced-replication-method": stream.default_cursor_field ? "INCREMENTAL" : "FULL_TABLE",
      });
      for (const key of entry.key_properties) {
        expect(entry.metadata.find((md) => md.breadcrumb[1] === key)!.metadata.inclusion).toBe("automatic");
      }
    }
  });

  it("a sync writes only Singer messages: SCHEMA before RECORDs, STATE with every bookmark, the same rows as the Airbyte source", async () => {
    emulator = await scaledEmulator({ users: 40, testUsers: 4, tenants: 2, auditEvents: 30, seed: 11 });
    const config = emulatorConfig(emulator, { page_size: 15 });
    const result = await runTap([], { config });
    expect(result.exitCode).toBe(0);
    const messages = singerMessages(result.stdout);
    // stderr is for logs only: every line is LEVEL message.
    for (const line of result.stderr.split("\n").filter(Boolean)) expect(line).toMatch(/^(DEBUG|INFO|WARNING|ERROR|CRITICAL) /);

    const catalog = await discover(config);
    const schemas = messages.filter((m) => m.type === "SCHEMA");
    expect(schemas.map((m) => m.stream)).toEqual(catalog.streams.map((s) => s.tap_stream_id));
    for (const schema of schemas) {
      const entry = catalog.streams.find((s) => s.tap_stream_id === schema.stream)!;
      expect(schema.key_properties).toEqual(entry.key_properties);
      expect(schema.bookmark_properties).toEqual(entry.replication_key ? [entry.replication_key] : []);
    }
    const incremental = catalog.streams.filter((s) => s.replication_key).map((s) => s.tap_stream_id);
    expect(Object.keys(lastState(messages).value.bookmarks).sort()).toEqual([...incremental].sort());
    // Every STATE carries all bookmarks known so far: a later one never drops a stream an earlier one had.
    let known = new Set<string>();
    for (const state of messages.filter((m) => m.type === "STATE")) {
      const now = new Set(Object.keys(state.value.bookmarks));
      for (const stream of known) expect(now.has(stream)).toBe(true);
      known = now;
    }

    const airbyte = await runConnector("read", {
      config,
      catalog: configuredCatalog(
        catalog.streams.map((s) => s.tap_stream_id),
        "incremental",
      ),
    });
    expect(airbyte.exitCode).toBe(0);
    for (const entry of catalog.streams) {
      const keyOf = (record: JsonObject) => JSON.stringify(entry.key_properties.map((key) => record[key]));
      const tapKeys = new Set(tapRecords(messages, entry.tap_stream_id).map(keyOf));
      expect(tapKeys, entry.tap_stream_id).toEqual(new Set(records(airbyte, entry.tap_stream_id).map(keyOf)));
    }
    expect(tapRecords(messages, "users")).toHaveLength(40);
  });

  it("honours the catalog: unselected streams are skipped, deselected properties dropped, automatic ones kept", async () => {
    emulator = await scaledEmulator({ users: 20, testUsers: 2 });
    const config = emulatorConfig(emulator);
    const selected = selectStreams(await discover(config), ["users"], { users: ["email", "phone"] });
    // Meltano may say `selected: false` on a key property; `inclusion: automatic` wins, as in the Singer SDK.
    selected.streams[0]!.metadata.find((md) => md.breadcrumb[1] === "userId")!.metadata.selected = false;
    const result = await runTap(["--properties"]);
    expect(result.exitCode).not.toBe(0); // --properties needs a file: the usage error, not a crash
    const run = await runTap([], { config, properties: selected });
    expect(run.exitCode).toBe(0);
    const messages = singerMessages(run.stdout);
    expect(new Set(messages.flatMap((m) => (m.type === "STATE" ? [] : [m.stream])))).toEqual(new Set(["users"]));
    const schema = messages.find((m) => m.type === "SCHEMA")!;
    expect(Object.keys(schema.schema.properties as JsonObject)).not.toContain("email");
    const users = tapRecords(messages, "users");
    expect(users).toHaveLength(20);
    for (const user of users) {
      expect(user).not.toHaveProperty("email");
      expect(user).not.toHaveProperty("phone");
      expect(typeof user.userId).toBe("string");
      expect(typeof user.modifiedTime).toBe("number");
    }

    // FULL_TABLE asked for an incremental stream: everything is read and no bookmark is written for it.
    const fullTable = structuredClone(selected);
    fullTable.streams[0]!.metadata[0]!.metadata["replication-method"] = "FULL_TABLE";
    const full = singerMessages((await runTap([], { config, catalog: fullTable })).stdout);
    expect(tapRecords(full, "users")).toHaveLength(20);
    expect(lastState(full).value.bookmarks).toEqual({});
  });

  it("two runs: the second, given the first's last STATE, returns only what changed in between", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 5, seed: 5 });
    const config = emulatorConfig(emulator, { page_size: 50 });
    const catalog = selectStreams(await discover(config), ["users", "test_users"]);
    const first = await runTap([], { config, catalog });
    expect(first.exitCode).toBe(0);
    const firstMessages = singerMessages(first.stdout);
    expect(tapRecords(firstMessages, "users")).toHaveLength(300);
    const state = lastState(firstMessages).value;
    const cursor = state.bookmarks.users!.modifiedTime as number;

    const edited = [emulator.store.users[1]!, emulator.store.users[150]!, emulator.store.users[299]!].map((user) =>
      emulator!.store.updateUser(user.userId, { familyName: "Changed" }),
    );
    const second = await runTap([], { config, catalog, state });
    expect(second.exitCode).toBe(0);
    const secondMessages = singerMessages(second.stdout);
    const changed = tapRecords(secondMessages, "users");
    expect(
      changed
        .filter((user) => user.familyName === "Changed")
        .map((user) => user.userId)
        .sort(),
    ).toEqual(edited.map((user) => user.userId).sort());
    // Besides the edits, only the boundary second the bookmark points at is re-read (on purpose: see users.ts).
    for (const user of changed) if (user.familyName !== "Changed") expect(user.modifiedTime).toBe(cursor);
    expect(changed.length).toBeLessThan(10);
    expect(lastState(secondMessages).value.bookmarks.users!.modifiedTime).toBeGreaterThanOrEqual(cursor);
  });

  it("a deleted user reaches Singer targets as _sdc_deleted_at, declared in the SCHEMA, beside Airbyte's _ab_cdc_deleted_at", async () => {
    emulator = await scaledEmulator({ users: 30, testUsers: 1 });
    const config = emulatorConfig(emulator);
    const catalog = selectStreams(await discover(config), ["users"]);
    const first = singerMessages((await runTap([], { config, catalog })).stdout);
    const deletedId = emulator.store.users[3]!.userId;
    const deletedAtMs = Math.floor((Date.now() - 5 * 60_000) / 1000) * 1000;
    emulator.store.deleteUsers([deletedId], { atMs: deletedAtMs });
    // The first sync's deletion check reached about a minute before it ran; the deletion happened before that.
    const bookmarks = lastState(first).value.bookmarks;
    const users = bookmarks.users as JsonObject;
    const state = { bookmarks: { ...bookmarks, users: { ...users, deletionsCheckedUntilMs: deletedAtMs - 60_000 } } };

    const second = singerMessages((await runTap([], { config, catalog, state })).stdout);
    const schema = second.find((m) => m.type === "SCHEMA" && m.stream === "users");
    const properties = (schema?.type === "SCHEMA" ? schema.schema.properties : {}) as JsonObject;
    expect(properties._ab_cdc_deleted_at).toBeDefined();
    expect(properties._sdc_deleted_at).toEqual(properties._ab_cdc_deleted_at);
    const tombstones = tapRecords(second, "users").filter((user) => user._sdc_deleted_at);
    expect(tombstones).toEqual([
      {
        userId: deletedId,
        modifiedTime: deletedAtMs / 1000,
        _ab_cdc_deleted_at: new Date(deletedAtMs).toISOString(),
        _sdc_deleted_at: new Date(deletedAtMs).toISOString(),
      },
    ]);
    expect(
      tapRecords(second, "users")
        .filter((user) => user.userId !== deletedId)
        .every((user) => !("_sdc_deleted_at" in user)),
    ).toBe(true);
  });

  it("bookmarks of streams not synced this run are carried into every STATE", async () => {
    emulator = await scaledEmulator({ users: 10, testUsers: 1 });
    const config = emulatorConfig(emulator);
    const catalog = selectStreams(await discover(config), ["users"]);
    const state = { bookmarks: { login_history: { loginTime: 1700000000 }, some_retired_stream: { cursor: 1 } } };
    const run = await runTap([], { config, catalog, state });
    expect(run.exitCode).toBe(0);
    const bookmarks = lastState(singerMessages(run.stdout)).value.bookmarks;
    expect(bookmarks).toMatchObject(state.bookmarks);
    expect(bookmarks.users).toBeDefined();
  });

  it("bad input fails before any output, on stderr, naming the file and the field", async () => {
    emulator = await scaledEmulator({ users: 1, testUsers: 0 });
    const missingKey = await runTap([], { config: { project_id: emulator.projectId } });
    expect(missingKey.exitCode).not.toBe(0);
    expect(missingKey.stdout).toBe("");
    expect(missingKey.stderr).toMatch(/^CRITICAL Invalid config file \/.*config\.json: missing required field "management_key"\./m);

    const wrongType = await runTap(["--discover"], { config: emulatorConfig(emulator, { page_size: "big" }) });
    expect(wrongType.exitCode).not.toBe(0);
    expect(wrongType.stderr).toContain('field "page_size" must be integer');

    const badBookmark = await runTap([], { config: emulatorConfig(emulator), state: { bookmarks: { users: { modifiedTime: "yesterday" } } } });
    expect(badBookmark.exitCode).not.toBe(0);
    expect(badBookmark.stderr).toMatch(/Invalid state file \/.*state\.json: field "bookmarks\.users\.modifiedTime" must be integer/);

    const airbyteState = await runTap([], { config: emulatorConfig(emulator), state: [] });
    expect(airbyteState.exitCode).not.toBe(0);
    expect(airbyteState.stderr).toContain('Singer state: {"bookmarks": {...}}');

    const unknownStream = await runTap([], {
      config: emulatorConfig(emulator),
      catalog: { streams: [{ tap_stream_id: "nope", schema: {}, metadata: [{ breadcrumb: [], metadata: { selected: true } }] }] },
    });
    expect(unknownStream.exitCode).not.toBe(0);
    expect(unknownStream.stderr).toContain("selects streams this tap does not have: nope");
  });

  it("every selected stream's bookmark is validated before any stream is read, as the Airbyte source does", async () => {
    emulator = await scaledEmulator({ users: 20, testUsers: 2 });
    const config = emulatorConfig(emulator);
    const catalog = selectStreams(await discover(config), ["users", "test_users"]);
    const state = { bookmarks: { users: { modifiedTime: 1700000000 }, test_users: { modifiedTime: "yesterday" } } };
    const run = await runTap([], { config, catalog, state });
    expect(run.exitCode).not.toBe(0);
    // Not a SCHEMA or RECORD of users first: the bad bookmark of the second stream stops the sync at the door.
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/CRITICAL Invalid state file \/.*state\.json: field "bookmarks\.test_users\.modifiedTime" must be integer/);
  });

  it("a wrong management key fails the sync with a non-zero exit and the key masked", async () => {
    emulator = await scaledEmulator({ users: 3, testUsers: 0 });
    const config = emulatorConfig(emulator, { management_key: "K2-wrong-key-do-not-print", max_retries: 0 });
    const run = await runTap([], { config, catalog: selectStreams(await discover(config), ["users", "tenants"]) });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).not.toContain("K2-wrong-key-do-not-print");
    expect(run.stderr).toMatch(/ERROR Stream "users" failed/);
    // A config error stops the sync: the next stream is not attempted, and the state still closes the output.
    expect(run.stderr).not.toMatch(/Stream "tenants" failed/);
    const messages = singerMessages(run.stdout);
    expect(messages.at(-1)?.type).toBe("STATE");
  });
});

describe("examples/meltano", () => {
  it("the native-tap meltano.yml declares exactly the tap's settings, its capabilities, and the key as sensitive", async () => {
    const { parse } = await import("yaml");
    const project = parse(readFileSync(join(ROOT, "examples", "meltano", "meltano.yml"), "utf8")) as {
      plugins: { extractors: { name: string; executable: string; capabilities: string[]; settings: { name: string; sensitive?: boolean }[] }[] };
    };
    const tap = project.plugins.extractors.find((plugin) => plugin.name === "tap-descope")!;
    expect(tap.executable).toBe("tap-descope");
    const about = JSON.parse((await runTap(["--about", "--format", "json"])).stdout) as {
      capabilities: string[];
      settings: { properties: Record<string, JsonObject> };
    };
    expect(tap.capabilities).toEqual(about.capabilities);
    expect(tap.settings.map((setting) => setting.name)).toEqual(Object.keys(about.settings.properties));
    for (const setting of tap.settings)
      expect(Boolean(setting.sensitive), setting.name).toBe(about.settings.properties[setting.name]!.secret === true);
  });
});
