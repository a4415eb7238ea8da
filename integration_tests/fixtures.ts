/**
 * Generates the acceptance-test fixtures under integration_tests/ from the source itself and the emulator's seeded
 * data, so they never drift from the code and nobody lists streams by hand:
 *
 *   npm run fixtures                      # rewrites the files
 *   npm run -s fixtures -- --serve [--host H] [--port P] > secrets/config.json
 *                                         # serves the emulator the fixtures were made from, for a CAT run;
 *                                         # prints the config to use and serves until SIGTERM/SIGINT
 *
 * The emulator runs with a fixed seed and a fixed clock, so the output is the same on every machine and every day;
 * conventions.test.ts regenerates in memory and fails when a committed file is out of date. The connector reads
 * audit (last 30 days) and analytics (last 12 months) relative to its clock, so a run that must find the fixture
 * data starts the connector's clock at FIXTURE_NOW_MS too: in-process here, and through SOURCE_DESCOPE_CLOCK_START
 * (set in acceptance-test-config.yml) for the built image.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { startClockAt } from "../src/cdk/clock.js";
import { CLOCK_START_ENV } from "../src/descope/clock-start.js";
import { packageRoot } from "../src/cdk/package-root.js";
import type { AirbyteMessage, AirbyteStream, ConfiguredAirbyteStream, JsonObject } from "../src/cdk/protocol.js";
import { runAirbyte } from "../src/cdk/runner.js";
import { captureStream, inputFiles, parseMessages } from "./helpers/messages.js";
import { descopeSource } from "../src/descope/source.js";
import { startEmulator, type EmulatorOptions } from "./emulator/index.js";

const ROOT = packageRoot(import.meta.url);

/** The emulator's "now" for every seeded time. Any fixed instant works; this one is only ever changed on purpose. */
export const FIXTURE_NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0);

/** Small enough to read in a diff, large enough that every stream has rows. */
export const FIXTURE_EMULATOR: EmulatorOptions = {
  seed: 20250115,
  users: 12,
  testUsers: 3,
  tenants: 2,
  auditEvents: 25,
  rateLimits: false,
  now: () => FIXTURE_NOW_MS,
};

/** The first records of each stream in emission order go into expected_records.jsonl. */
export const EXPECTED_RECORDS_PER_STREAM = 10;

/** How far abnormal_state.json pushes every cursor: the acceptance tests expect "far in the future" to yield nothing. */
const FUTURE_YEARS = 1000;
const YEAR_S = 31_556_952;

/** Placeholder values that pass the spec's validation; the key is not a real one. */
const SAMPLE_CONFIG = {
  project_id: "P2AbCdEfGhIjKlMnOpQrStUvWxYz",
  management_key: "K2-your-management-key",
  start_date: "2024-01-01T00:00:00Z",
};

/** Well-formed, wrong credentials: `check` must answer FAILED (not crash) with them. */
const INVALID_CONFIG = {
  project_id: "P2InvalidProject000000000000",
  management_key: "K2-this-is-not-a-valid-management-key",
};

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

async function airbyte(args: string[], files: Record<string, unknown> = {}): Promise<AirbyteMessage[]> {
  const paths = inputFiles(files);
  const fileArgs = Object.entries(paths).flatMap(([name, path]) => [`--${name}`, path]);
  const out = captureStream();
  const exitCode = await runAirbyte(descopeSource, [...args, ...fileArgs], out.stream);
  const messages = parseMessages(out.text());
  if (exitCode !== 0) throw new Error(`\`${args.join(" ")}\` exited ${exitCode}:\n${out.text()}`);
  return messages;
}

/** A configured stream as hosts build it from discover: incremental where supported, the source's own keys. */
export function configuredStream(stream: AirbyteStream): ConfiguredAirbyteStream {
  const incremental = stream.supported_sync_modes.includes("incremental");
  return {
    // The acceptance tests replace the stream object with the discovered one; the schema here would only go stale.
    stream: { ...stream, json_schema: {} },
    sync_mode: incremental ? "incremental" : "full_refresh",
    destination_sync_mode: incremental ? "append_dedup" : "overwrite",
    ...(stream.default_cursor_field ? { cursor_field: stream.default_cursor_field } : {}),
    primary_key: stream.source_defined_primary_key ?? [],
  } as ConfiguredAirbyteStream;
}

/** Moves every timestamp-like value (epoch s, epoch ms, ISO date-time) in a state FUTURE_YEARS ahead. */
export function farFuture(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(farFuture);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, farFuture(inner)]));
  if (typeof value === "number" && value >= 1e9 && value < 1e11) return value + FUTURE_YEARS * YEAR_S;
  if (typeof value === "number" && value >= 1e12 && value < 1e14) return value + FUTURE_YEARS * YEAR_S * 1000;
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) {
    return `${Number(value.slice(0, 4)) + FUTURE_YEARS}${value.slice(4)}`;
  }
  return value;
}

/** Every fixture, keyed by its path relative to the package root. */
export async function generateFixtures(): Promise<Map<string, string>> {
  const restoreClock = startClockAt(FIXTURE_NOW_MS);
  try {
    return await generate();
  } finally {
    restoreClock();
  }
}

async function generate(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const [specMessage] = await airbyte(["spec"]);
  if (specMessage?.type !== "SPEC") throw new Error("spec did not answer with a SPEC message");
  files.set("integration_tests/spec.json", json(specMessage.spec));
  files.set("integration_tests/sample_config.json", json(SAMPLE_CONFIG));
  files.set("integration_tests/invalid_config.json", json(INVALID_CONFIG));

  const emulator = await startEmulator(FIXTURE_EMULATOR);
  try {
    const config = { project_id: emulator.projectId, management_key: emulator.managementKey, base_url: emulator.url };
    const catalogMessage = (await airbyte(["discover"], { config })).find((m) => m.type === "CATALOG");
    if (catalogMessage?.type !== "CATALOG") throw new Error("discover did not answer with a CATALOG message");
    const catalog = { streams: catalogMessage.catalog.streams.map(configuredStream) };
    files.set("integration_tests/configured_catalog.json", json(catalog));

    const messages = await airbyte(["read"], { config, catalog });
    // The acceptance tests check that every expected record's primary key is read (a subset is fine), so a few
    // records per stream pin the data without a multi-megabyte file (analytics alone has thousands of rows).
    const perStream = new Map<string, number>();
    const records = messages.flatMap((m) => {
      if (m.type !== "RECORD") return [];
      const count = (perStream.get(m.record.stream) ?? 0) + 1;
      perStream.set(m.record.stream, count);
      if (count > EXPECTED_RECORDS_PER_STREAM) return [];
      return [JSON.stringify({ stream: m.record.stream, data: m.record.data, emitted_at: FIXTURE_NOW_MS })];
    });
    files.set("integration_tests/expected_records.jsonl", records.map((line) => `${line}\n`).join(""));

    // The state a host would pass next: each incremental stream's last STATE (full-refresh streams keep none).
    const incremental = new Set(catalog.streams.filter((s) => s.sync_mode === "incremental").map((s) => s.stream.name));
    const lastStates = new Map<string, JsonObject>();
    for (const m of messages) {
      if (m.type === "STATE" && incremental.has(m.state.stream.stream_descriptor.name)) {
        // audit_events' `readToMs` is the sync's own "now minus a lag", which differs on every run: left out, as
        // an older state without it is still valid.
        const { readToMs: _runClock, ...state } = m.state.stream.stream_state ?? {};
        lastStates.set(m.state.stream.stream_descriptor.name, state);
      }
    }
    const stateFile = (transform: (state: JsonObject) => unknown) =>
      [...incremental].map((name) => ({
        type: "STREAM",
        stream: { stream_descriptor: { name }, stream_state: transform(lastStates.get(name) ?? {}) },
      }));
    files.set("integration_tests/sample_state.json", json(stateFile((state) => state)));
    files.set("integration_tests/abnormal_state.json", json(stateFile(farFuture)));
  } finally {
    await emulator.close();
  }
  return files;
}

/** `--serve`: the fixtures' emulator on a chosen address, until SIGTERM/SIGINT; prints the config pointing at it. */
async function serve(host: string | undefined, port: number): Promise<void> {
  const emulator = await startEmulator({ ...FIXTURE_EMULATOR, host, port });
  const config = { project_id: emulator.projectId, management_key: emulator.managementKey, base_url: emulator.url };
  process.stdout.write(`${JSON.stringify(config)}\n`);
  process.stderr.write(`Fixture emulator at ${emulator.url}; run the connector with ${CLOCK_START_ENV}=${new Date(FIXTURE_NOW_MS).toISOString()}\n`);
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void emulator.close().then(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: flags } = parseArgs({
    options: { serve: { type: "boolean", default: false }, host: { type: "string" }, port: { type: "string", default: "0" } },
    strict: true,
  });
  if (flags.serve) await serve(flags.host, Number(flags.port));
  else {
    const files = await generateFixtures();
    for (const [path, content] of files) {
      writeFileSync(join(ROOT, path), content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
}
