import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/cdk/package-root.js";
import type { AirbyteMessage, JsonObject } from "../../src/cdk/protocol.js";
import { inputFiles, parseMessages } from "./messages.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "../emulator/server.js";

const ROOT = packageRoot(import.meta.url);
export const SOURCE_BIN = join(ROOT, "dist", "bin", "source-descope.js");
export const TAP_BIN = join(ROOT, "dist", "bin", "tap-descope.js");

/**
 * Tests run Descope's one-minute rate windows, backoffs and Retry-After waits 100 times faster: the connector
 * through its time-scale knob, the emulator through `scaledEmulator` below. Ratios, not durations, are tested.
 */
export const TEST_TIME_SCALE = 0.01;

/**
 * An emulator on the tests' time scale: Descope's limits (emulator defaults) and any `latencyMs` in Descope's
 * units, lasting TEST_TIME_SCALE times as long, with Retry-After in Descope's seconds as the time-scaled
 * connector expects.
 */
export function scaledEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ timeScale: TEST_TIME_SCALE, ...options });
}

/** Every management key any test run used; each run's whole output is checked against all of them. */
const knownSecrets = new Set<string>();

export interface RunOptions {
  config?: JsonObject | string;
  catalog?: JsonObject | string;
  state?: unknown;
  env?: Record<string, string>;
  /** Called with every stdout line as it arrives; return "kill" to SIGKILL the connector right there, or a signal to send. */
  onLine?: (line: string) => void | "kill" | "SIGTERM" | "SIGINT";
  bin?: string;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  messages: AirbyteMessage[];
}

/**
 * Runs the built connector as a host would (input files read-only, arguments as file paths), validates every
 * stdout line against the official protocol schema, and fails if the management key shows up anywhere.
 */
export async function runConnector(command: string, options: RunOptions = {}): Promise<RunResult> {
  const bin = options.bin ?? SOURCE_BIN;
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first (npm test does).`);
  const files: Record<string, unknown> = {};
  if (options.config !== undefined) files.config = options.config;
  if (options.catalog !== undefined) files.catalog = options.catalog;
  if (options.state !== undefined) files.state = options.state;
  const paths = inputFiles(files);
  const key = typeof options.config === "object" ? options.config.management_key : undefined;
  if (typeof key === "string" && key.length > 0) knownSecrets.add(key);
  const args = [command];
  for (const name of ["config", "catalog", "state"]) if (paths[name]) args.push(`--${name}`, paths[name]!);

  const { exitCode, signal, stdout, stderr, killed } = await runProcess(bin, args, {
    env: { SOURCE_DESCOPE_TIME_SCALE: String(TEST_TIME_SCALE), ...options.env },
    onLine: options.onLine,
  });

  for (const secret of knownSecrets) {
    if (stdout.includes(secret) || stderr.includes(secret)) throw new Error(`The management key appeared in the output of \`${command}\``);
  }
  // A killed process may leave half a line; everything complete must still be valid.
  const complete = killed ? stdout.slice(0, stdout.lastIndexOf("\n") + 1) : stdout;
  return { exitCode, signal, stdout, stderr, messages: parseMessages(complete) };
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when `onLine` asked for a SIGKILL: stdout may then end in half a line. */
  killed: boolean;
}

/**
 * Runs a built CLI (either protocol) with `onLine` seeing every stdout line as it arrives, able to kill the process
 * right there or send it a signal. Nothing is parsed or checked: `runConnector` does that for Airbyte output.
 */
export async function runProcess(bin: string, args: string[], options: Pick<RunOptions, "env" | "onLine"> = {}): Promise<ProcessResult> {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let partial = "";
  let killed = false;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (!options.onLine || killed) return;
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      const action = options.onLine(line);
      if (action === "kill") {
        killed = true;
        child.kill("SIGKILL");
        break;
      }
      if (action) child.kill(action);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on("close", (code, sig) => resolve([code, sig])),
  );
  return { exitCode, signal, stdout, stderr, killed };
}

export function emulatorConfig(emulator: Emulator, overrides: JsonObject = {}): JsonObject {
  return { project_id: emulator.projectId, management_key: emulator.managementKey, base_url: emulator.url, ...overrides };
}

export function configuredCatalog(streams: string[], syncMode: "full_refresh" | "incremental" = "full_refresh"): JsonObject {
  return {
    streams: streams.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh", "incremental"] },
      sync_mode: syncMode,
      destination_sync_mode: syncMode === "incremental" ? "append_dedup" : "overwrite",
    })),
  };
}

/**
 * The same catalog as Airbyte's tools write it: every optional field of a configured stream and of its stream
 * present and null (CAT 0.11.5 writes `namespace`, `cursor_field`, `default_cursor_field`, `source_defined_cursor`
 * so; newer platforms add `is_resumable`, `generation_id`, `minimum_generation_id`, `sync_id`).
 */
export function withNullOptionals(catalog: JsonObject): JsonObject {
  return {
    streams: (catalog.streams as JsonObject[]).map((configured) => ({
      ...configured,
      cursor_field: null,
      primary_key: null,
      generation_id: null,
      minimum_generation_id: null,
      sync_id: null,
      stream: {
        ...(configured.stream as JsonObject),
        namespace: null,
        default_cursor_field: null,
        source_defined_cursor: null,
        source_defined_primary_key: null,
        is_resumable: null,
      },
    })),
  };
}

export function records(result: RunResult, stream: string): JsonObject[] {
  return result.messages.flatMap((m) => (m.type === "RECORD" && m.record.stream === stream ? [m.record.data] : []));
}

export function stateMessages(result: RunResult, stream?: string) {
  return result.messages.flatMap((m) => (m.type === "STATE" && (!stream || m.state.stream.stream_descriptor.name === stream) ? [m.state] : []));
}

/** The state file a host would pass next: the latest STATE of each stream. */
export function nextState(...results: RunResult[]): unknown[] {
  const latest = new Map<string, unknown>();
  for (const result of results) for (const state of stateMessages(result)) latest.set(state.stream.stream_descriptor.name, state);
  return [...latest.values()];
}

export function streamStatuses(result: RunResult, stream: string): string[] {
  return result.messages.flatMap((m) =>
    m.type === "TRACE" && m.trace.type === "STREAM_STATUS" && m.trace.stream_status.stream_descriptor.name === stream
      ? [m.trace.stream_status.status]
      : [],
  );
}

/** The CAT's rule: STARTED first, the given final status last, only RUNNING (possibly rate-limited) between. */
export function expectLifecycle(result: RunResult, stream: string, final: "COMPLETE" | "INCOMPLETE"): void {
  const statuses = streamStatuses(result, stream);
  const ok = statuses.length >= 3 && statuses[0] === "STARTED" && statuses.at(-1) === final && statuses.slice(1, -1).every((s) => s === "RUNNING");
  if (!ok) throw new Error(`Stream ${stream} had statuses ${statuses.join(", ")}; expected STARTED, RUNNING…, ${final}`);
}

export function errorTraces(result: RunResult) {
  return result.messages.flatMap((m) => (m.type === "TRACE" && m.trace.type === "ERROR" ? [m.trace.error] : []));
}

export function logs(result: RunResult): { level: string; message: string }[] {
  return result.messages.flatMap((m) => (m.type === "LOG" ? [m.log] : []));
}
