import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { afterEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { packageRoot } from "../src/cdk/package-root.js";
import type { AirbyteStream, JsonObject } from "../src/cdk/protocol.js";
import { parseMessages } from "./helpers/messages.js";
import { startEmulator, type Emulator } from "./emulator/server.js";
import { CLOCK_START_ENV } from "../src/descope/clock-start.js";
import { FIXTURE_EMULATOR, FIXTURE_NOW_MS, generateFixtures } from "./fixtures.js";
import { emulatorConfig, records, runConnector, SOURCE_BIN, stateMessages, streamStatuses } from "./helpers/connector.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ROOT = packageRoot(import.meta.url);
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const readJson = <T = JsonObject>(path: string) => JSON.parse(read(path)) as T;

interface Metadata {
  metadataSpecVersion: string;
  data: JsonObject & { dockerRepository: string; dockerImageTag: string; allowedHosts: { hosts: string[] } };
}
const metadata = () => parseYaml(read("metadata.yaml")) as Metadata;

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/**
 * The official bundled schema needs two fixes before ajv compiles it (see vendor/airbyte-metadata/NOTICE and
 * shared/airbyte-metadata/README.md): nested `$id`s break its root-relative `$ref`s, and one `type` is not a type.
 */
function metadataValidator() {
  const schema = JSON.parse(read("vendor/airbyte-metadata/ConnectorMetadataDefinitionV0.json")) as JsonObject;
  const fix = (node: unknown, root: boolean): void => {
    if (Array.isArray(node)) {
      for (const item of node) fix(item, false);
      return;
    }
    if (!node || typeof node !== "object") return;
    const object = node as JsonObject;
    if (!root) {
      delete object.$id;
      delete object.$schema;
    }
    if (object.type === "ConnectorMetric") object.type = "object";
    for (const value of Object.values(object)) fix(value, false);
  };
  fix(schema, true);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** The final LABEL and ENV key=value pairs and the last ENTRYPOINT of a Dockerfile (continuations joined). */
function dockerInstructions(dockerfile: string): { LABEL: Record<string, string>; ENV: Record<string, string>; ENTRYPOINT?: string } {
  const result = { LABEL: {} as Record<string, string>, ENV: {} as Record<string, string>, ENTRYPOINT: undefined as string | undefined };
  const lines = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"));
  for (const line of lines) {
    const [, instruction, rest] = /^\s*(LABEL|ENV|ENTRYPOINT)\s+(.*)$/.exec(line) ?? [];
    if (instruction === "ENTRYPOINT") result.ENTRYPOINT = rest!.trim();
    else if (instruction)
      for (const [, key, quoted, bare] of rest!.matchAll(/([\w.-]+)=(?:"([^"]*)"|(\S+))/g))
        result[instruction as "LABEL" | "ENV"][key!] = quoted ?? bare!;
  }
  return result;
}

async function discoveredStreams(config: JsonObject): Promise<AirbyteStream[]> {
  const result = await runConnector("discover", { config });
  expect(result.exitCode).toBe(0);
  return result.messages.flatMap((m) => (m.type === "CATALOG" ? m.catalog.streams : []));
}

describe("Airbyte conventions", () => {
  it("metadata.yaml validates against Airbyte's metadata schema and names this image and version", () => {
    const validate = metadataValidator();
    const file = metadata();
    expect(validate(file), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(file.data).toMatchObject({
      dockerRepository: "airbyte/source-descope",
      dockerImageTag: readJson<{ version: string }>("package.json").version,
      connectorType: "source",
      connectorSubtype: "api",
      releaseStage: "alpha",
      supportLevel: "community",
      license: "MIT",
    });
    expect(file.data.tags).toContain("language:typescript");
    // The release date stays a string: an unquoted YAML date would become a Date and fail the schema elsewhere.
    expect(read("metadata.yaml")).toMatch(/releaseDate: "\d{4}-\d{2}-\d{2}"/);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${field} is Airbyte's placeholder syntax, not a template
  it("allowedHosts covers Descope's API hosts, and every ${field} it references is a spec field", () => {
    const hosts = metadata().data.allowedHosts.hosts;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Airbyte's placeholder for the base_url config field
    expect(hosts).toEqual(expect.arrayContaining(["api.descope.com", "*.descope.com", "${base_url}"]));
    const spec = readJson<{ connectionSpecification: { properties: JsonObject } }>("integration_tests/spec.json");
    for (const host of hosts) {
      for (const [, field] of host.matchAll(/\$\{([^}]+)\}/g)) expect(Object.keys(spec.connectionSpecification.properties)).toContain(field);
    }
  });

  it.skipIf(!existsSync(join(ROOT, "Dockerfile")))(
    "the Dockerfile's labels and entrypoint match metadata.yaml (CAT test_image_labels, test_image_environment_variables)",
    () => {
      const instructions = dockerInstructions(read("Dockerfile"));
      const { data } = metadata();
      expect(instructions.LABEL["io.airbyte.name"]).toBe(data.dockerRepository);
      expect(instructions.LABEL["io.airbyte.version"]).toBe(data.dockerImageTag);
      expect(instructions.ENV.AIRBYTE_ENTRYPOINT).toBe((JSON.parse(instructions.ENTRYPOINT!) as string[]).join(" "));
    },
  );

  it("SPEC output equals integration_tests/spec.json", async () => {
    const result = await runConnector("spec");
    expect(result.exitCode).toBe(0);
    const spec = result.messages.find((m) => m.type === "SPEC");
    expect(spec?.type === "SPEC" && spec.spec).toEqual(readJson("integration_tests/spec.json"));
  });

  it("the committed fixtures are what `npm run fixtures` generates now", async () => {
    const generated = await generateFixtures();
    for (const [path, content] of generated) {
      expect(existsSync(join(ROOT, path)), `${path} is missing: run npm run fixtures`).toBe(true);
      expect(read(path), `${path} is out of date: run npm run fixtures`).toBe(content);
    }
  });

  it("acceptance-test-config.yml is a high-strictness config whose paths exist and whose fixtures cover every stream", () => {
    const config = parseYaml(read("acceptance-test-config.yml")) as {
      connector_image: string;
      test_strictness_level: string;
      acceptance_tests: Record<string, { tests?: JsonObject[]; bypass_reason?: string }>;
    };
    expect(config.test_strictness_level).toBe("high");
    expect(config.connector_image.split(":")[0]).toBe(metadata().data.dockerRepository);
    // High strictness needs all six core suites, each with tests or a bypass reason (never both).
    const suites = ["spec", "connection", "discovery", "basic_read", "full_refresh", "incremental"];
    expect(Object.keys(config.acceptance_tests).sort()).toEqual([...suites].sort());
    for (const suite of suites)
      expect(Boolean(config.acceptance_tests[suite]!.tests) !== Boolean(config.acceptance_tests[suite]!.bypass_reason)).toBe(true);
    // Every referenced file exists, except the git-ignored secrets CI writes.
    const paths: string[] = [];
    const collect = (node: unknown, key = ""): void => {
      if (Array.isArray(node)) for (const item of node) collect(item, key);
      else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) collect(v, k);
      else if (typeof node === "string" && (key.endsWith("_path") || key === "path")) paths.push(node);
    };
    collect(config.acceptance_tests);
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths.filter((p) => !p.startsWith("secrets/"))) expect(existsSync(join(ROOT, path)), path).toBe(true);
    // High strictness: the basic read takes its catalog from discover.
    expect(config.acceptance_tests.basic_read!.tests!.some((t) => "configured_catalog_path" in t)).toBe(false);

    const catalog = readJson<{ streams: { stream: { name: string }; sync_mode: string }[] }>("integration_tests/configured_catalog.json");
    const basicRead = config.acceptance_tests.basic_read!.tests![0]! as { empty_streams?: { name: string }[] };
    const empty = new Set((basicRead.empty_streams ?? []).map((s) => s.name));
    const withRecords = new Set(
      read("integration_tests/expected_records.jsonl")
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { stream: string }).stream),
    );
    for (const { stream } of catalog.streams)
      expect(withRecords.has(stream.name) || empty.has(stream.name), `${stream.name}: no expected records and not in empty_streams`).toBe(true);
    const future = readJson<{ stream: { stream_descriptor: { name: string } } }[]>("integration_tests/abnormal_state.json").map(
      (s) => s.stream.stream_descriptor.name,
    );
    const incremental = catalog.streams.filter((s) => s.sync_mode === "incremental").map((s) => s.stream.name);
    expect(future.sort()).toEqual([...incremental].sort());
  });

  it("CAT's basic read against the fixtures' emulator finds every expected record on any date (clock pinned by acceptance-test-config.yml)", async () => {
    const { custom_environment_variables: env = {}, acceptance_tests } = parseYaml(read("acceptance-test-config.yml")) as {
      custom_environment_variables?: Record<string, string>;
      acceptance_tests: { basic_read: { tests: { empty_streams?: { name: string }[] }[] } };
    };
    // The pin is the fixtures' instant; the real clock (today) is whatever it is, far from it.
    expect(Date.parse(env[CLOCK_START_ENV] ?? ""), `${CLOCK_START_ENV} in custom_environment_variables`).toBe(FIXTURE_NOW_MS);
    emulator = await startEmulator(FIXTURE_EMULATOR);
    const config = emulatorConfig(emulator);
    // High strictness: the catalog is discover's, minus empty_streams, each stream in its first sync mode.
    const empty = new Set((acceptance_tests.basic_read.tests[0]!.empty_streams ?? []).map((s) => s.name));
    const streams = (await runConnector("discover", { config, env })).messages.flatMap((m) => (m.type === "CATALOG" ? m.catalog.streams : []));
    const configured = streams
      .filter((stream) => !empty.has(stream.name))
      .map((stream) => ({
        stream,
        sync_mode: stream.supported_sync_modes[0],
        destination_sync_mode: "append",
        ...(stream.default_cursor_field ? { cursor_field: stream.default_cursor_field } : {}),
        primary_key: stream.source_defined_primary_key,
      }));
    const result = await runConnector("read", { config, catalog: { streams: configured }, env });
    expect(result.exitCode, result.stderr).toBe(0);

    const expected = read("integration_tests/expected_records.jsonl")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { stream: string; data: JsonObject });
    for (const { stream } of configured) {
      const actual = records(result, stream.name);
      // "All streams should return some records" (empty_streams aside).
      expect(actual.length, `${stream.name} returned no records`).toBeGreaterThan(0);
      // CAT compares streams with a primary key by key only: every expected key must be read.
      const keyOf = (data: JsonObject) =>
        JSON.stringify(
          stream.source_defined_primary_key!.map((path) => path.reduce<unknown>((value, field) => (value as JsonObject)?.[field], data)),
        );
      const actualKeys = new Set(actual.map(keyOf));
      const expectedKeys = expected.filter((e) => e.stream === stream.name).map((e) => keyOf(e.data));
      expect(expectedKeys.length, `${stream.name} has expected records`).toBeGreaterThan(0);
      expect(
        expectedKeys.filter((key) => !actualKeys.has(key)),
        `${stream.name}: expected keys not read`,
      ).toEqual([]);
    }
  });

  it("the abnormal (far-future) state reads no records and still ends every stream with a state", async () => {
    emulator = await startEmulator({ users: 30, testUsers: 3, auditEvents: 40 });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator),
      catalog: readJson("integration_tests/configured_catalog.json"),
      state: readJson("integration_tests/abnormal_state.json"),
    });
    expect(result.exitCode).toBe(0);
    const catalog = readJson<{ streams: { stream: { name: string }; sync_mode: string }[] }>("integration_tests/configured_catalog.json");
    for (const { stream, sync_mode } of catalog.streams) {
      if (sync_mode === "incremental") expect(records(result, stream.name), stream.name).toEqual([]);
      expect(stateMessages(result, stream.name).length, stream.name).toBeGreaterThanOrEqual(1);
    }
  });

  it("check answers FAILED (exit 0) for invalid_config.json, and sample_config.json fits the spec", async () => {
    emulator = await startEmulator({ users: 1, testUsers: 0 });
    const invalid = readJson("integration_tests/invalid_config.json");
    const result = await runConnector("check", { config: { ...invalid, base_url: emulator.url } });
    expect(result.exitCode).toBe(0);
    const status = result.messages.find((m) => m.type === "CONNECTION_STATUS");
    expect(status?.type === "CONNECTION_STATUS" && status.connectionStatus.status).toBe("FAILED");

    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const spec = readJson<{ connectionSpecification: JsonObject }>("integration_tests/spec.json");
    const validate = ajv.compile(spec.connectionSpecification);
    expect(validate(readJson("integration_tests/sample_config.json")), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(invalid), JSON.stringify(validate.errors)).toBe(true);
  });

  it("docs/descope.md documents every stream and has a changelog entry for this version", () => {
    const doc = read("docs/descope.md");
    for (const heading of ["## Prerequisites", "## Setup guide", "## Supported sync modes", "## Supported Streams", "## Changelog"])
      expect(doc).toContain(heading);
    const catalog = readJson<{ streams: { stream: { name: string }; primary_key: string[][] }[] }>("integration_tests/configured_catalog.json");
    for (const { stream, primary_key } of catalog.streams) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${stream.name}\` |`));
      expect(row, `docs/descope.md has no row for stream ${stream.name}`).toBeDefined();
      expect(row).toContain(primary_key.map(([key]) => `\`${key}\``).join(", "));
    }
    expect(doc).toMatch(new RegExp(`^\\| ${metadata().data.dockerImageTag.replace(/\./g, "\\.")} \\|`, "m"));
  });

  it("runs as PyAirbyte runs a local executable: --state [] , read-only files and folder, incremental asked for every stream", async () => {
    emulator = await startEmulator({ users: 25, testUsers: 2, tenants: 2, auditEvents: 20 });
    const config = emulatorConfig(emulator);
    const streams = await discoveredStreams(config);
    // airbyte/sources/base.py get_configured_catalog: always incremental (unless force_full_refresh), overwrite,
    // keys and cursors copied from discover.
    const catalog = {
      streams: streams.map((stream) => ({
        stream,
        sync_mode: "incremental",
        destination_sync_mode: "overwrite",
        primary_key: stream.source_defined_primary_key ?? [],
        cursor_field: stream.default_cursor_field ?? [],
      })),
    };
    const dir = mkdtempSync(join(tmpdir(), "pyairbyte-"));
    const files = { config, catalog, state: [] };
    for (const [name, value] of Object.entries(files)) {
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(value));
      chmodSync(join(dir, `${name}.json`), 0o444);
    }
    chmodSync(dir, 0o555);
    const args = ["read", "--config", join(dir, "config.json"), "--catalog", join(dir, "catalog.json"), "--state", join(dir, "state.json")];
    const child = spawn(SOURCE_BIN, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
    chmodSync(dir, 0o755);

    expect(exitCode, stderr).toBe(0);
    // PyAirbyte parses every stdout line as an AirbyteMessage and drops what does not validate.
    const messages = parseMessages(stdout);
    const result = { exitCode, signal: null, stdout, stderr, messages };
    for (const stream of streams) {
      expect(streamStatuses(result, stream.name), stream.name).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
      expect(stateMessages(result, stream.name).length, stream.name).toBeGreaterThanOrEqual(1);
    }
    expect(records(result, "users")).toHaveLength(25);
    expect(readFileSync(join(dir, "state.json"), "utf8")).toBe("[]");
  });
});
