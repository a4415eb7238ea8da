/**
 * `npm run demo [-- --singer]`: a first run with no Descope account, in seconds. Starts the emulator,
 * discovers the catalog and reads every stream with the built connector exactly as a host would (or with the
 * Singer tap, `--singer`), showing each stream's progress as it happens, then a sample of the messages, a
 * per-stream summary, and the commands that run the same against a real project.
 *
 * Against Descope the connector paces itself at Descope's rate limits (150 of the 200 user searches a minute,
 * 10 audit searches a minute, other management calls at the per-IP limit it finds), which would turn this local
 * run into minutes of waiting. So the
 * emulator's rate limits are off and the connector's budgets are raised through its ordinary config fields; the
 * banner says so.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../src/cdk/package-root.js";
import type { AirbyteMessage, AirbyteStream } from "../src/cdk/protocol.js";
import { startEmulator } from "./emulator/index.js";

const ROOT = packageRoot(import.meta.url);
const SOURCE_BIN = join(ROOT, "dist", "bin", "source-descope.js");
const TAP_BIN = join(ROOT, "dist", "bin", "tap-descope.js");

/** Enough that the fan-out streams make hundreds of calls, few enough to read in seconds. */
const SEEDED_USERS = 2000;
const SAMPLE_PER_KIND = 2;
const SAMPLE_MAX_CHARS = 220;
/** How often progress is printed when stdout is not a terminal (a terminal gets one line rewritten in place). */
const PROGRESS_INTERVAL_MS = 2000;
/** Far above what the emulator needs: pacing is for Descope's servers, not a local one with its limits off. */
const LOCAL_REQUESTS_PER_MINUTE = 1_000_000;

const { values: flags } = parseArgs({ options: { singer: { type: "boolean", default: false } }, strict: true });
const mode = flags.singer ? "singer" : "airbyte";

interface StreamProgress {
  records: number;
  status: string;
}

/**
 * Per-stream counts and statuses as the messages arrive. On a terminal one line shows the running streams and
 * is rewritten in place; elsewhere (a pipe, CI) a line is printed when a stream starts or ends and, while any is
 * running, every PROGRESS_INTERVAL_MS — so the output reads the same in a log file.
 */
class ProgressDisplay {
  private readonly streams = new Map<string, StreamProgress>();
  private readonly tty = Boolean(process.stdout.isTTY);
  private readonly startedAtMs = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    this.timer = setInterval(() => this.tick(), this.tty ? 200 : PROGRESS_INTERVAL_MS);
  }

  summary(): Map<string, StreamProgress> {
    return this.streams;
  }

  record(stream: string): void {
    if (!this.streams.has(stream)) this.status(stream, "RUNNING");
    this.streams.get(stream)!.records++;
  }

  status(stream: string, status: string): void {
    const known = this.streams.get(stream);
    const entry = known ?? { records: 0, status };
    entry.status = status;
    this.streams.set(stream, entry);
    if (status === "STARTED" || status === "RUNNING") {
      if (!known) this.print(`  ${stream}: started`);
    } else {
      this.print(`  ${stream}: ${status}, ${entry.records.toLocaleString("en-US")} records`);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) process.stdout.write("\r\x1b[K");
  }

  private running(): string {
    const running = [...this.streams].filter(([, s]) => s.status === "STARTED" || s.status === "RUNNING");
    return running.map(([name, s]) => `${name} ${s.records.toLocaleString("en-US")}`).join(", ");
  }

  private tick(): void {
    const running = this.running();
    if (!running) return;
    const line = `  … ${((Date.now() - this.startedAtMs) / 1000).toFixed(0)} s, reading ${running}`;
    if (this.tty) process.stdout.write(`\r\x1b[K${line.slice(0, (process.stdout.columns ?? 120) - 1)}`);
    else console.log(line);
  }

  private print(line: string): void {
    if (this.tty) process.stdout.write("\r\x1b[K");
    console.log(line);
  }
}

/** Runs a built binary, handing each stdout line to `onLine` as it arrives; stderr passes through. */
async function run(bin: string, args: string[], onLine: (line: string) => void = () => {}): Promise<{ lines: string[]; exitCode: number }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    for (const line of parts.filter(Boolean)) {
      lines.push(line);
      onLine(line);
    }
  });
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (partial) lines.push(partial);
  return { lines, exitCode: exitCode ?? 1 };
}

/** The stream an Airbyte message is about, and what it says about that stream's progress. */
function airbyteProgress(message: AirbyteMessage, progress: ProgressDisplay): void {
  if (message.type === "RECORD") progress.record(message.record.stream);
  if (message.type === "TRACE" && message.trace.type === "STREAM_STATUS") {
    progress.status(message.trace.stream_status.stream_descriptor.name, message.trace.stream_status.status);
  }
}

/** Singer has no stream statuses: a stream starts with its SCHEMA and is done when the next one starts or the tap exits. */
function singerProgress(message: { type: string; stream?: string }, progress: ProgressDisplay): void {
  if (message.type === "SCHEMA" && message.stream) {
    for (const [name, s] of progress.summary()) if (s.status === "RUNNING") progress.status(name, "DONE");
    progress.status(message.stream, "RUNNING");
  }
  if (message.type === "RECORD" && message.stream) progress.record(message.stream);
}

function kindOf(message: { type: string; trace?: { type: string } }): string {
  return message.type === "TRACE" ? `TRACE ${message.trace!.type}` : message.type;
}

const emulator = await startEmulator({ users: SEEDED_USERS, testUsers: 25, rateLimits: false });
const dir = mkdtempSync(join(tmpdir(), "source-descope-demo-"));
const configPath = join(dir, "config.json");
const config = {
  project_id: emulator.projectId,
  management_key: emulator.managementKey,
  base_url: emulator.url,
  user_search_requests_per_minute: LOCAL_REQUESTS_PER_MINUTE,
  management_requests_per_minute: LOCAL_REQUESTS_PER_MINUTE,
  audit_requests_per_minute: LOCAL_REQUESTS_PER_MINUTE,
};
writeFileSync(configPath, JSON.stringify(config, null, 2));
const bin = mode === "singer" ? TAP_BIN : SOURCE_BIN;
const command = mode === "singer" ? "tap-descope" : "source-descope";
console.log(
  `Descope emulator at ${emulator.url}: ${emulator.store.users.length.toLocaleString("en-US")} users, seeded tenants, audit and analytics.`,
);
console.log(
  "Local run: the emulator's rate limits are OFF and the connector's budgets are raised to " +
    `${LOCAL_REQUESTS_PER_MINUTE.toLocaleString("en-US")} requests/minute (*_requests_per_minute in ${configPath}).\n` +
    "Against Descope keep the defaults (150 user searches a minute, management calls finding Descope's per-IP limit, up to 6,000 a minute, 10 audit searches a minute): a real sync paces itself.\n",
);

const progress = new ProgressDisplay();
try {
  let readArgs: string[];
  if (mode === "singer") {
    const discovered = await run(bin, ["--config", configPath, "--discover"]);
    if (discovered.exitCode !== 0) throw new Error(`tap-descope --discover exited ${discovered.exitCode}`);
    const catalogPath = join(dir, "properties.json");
    writeFileSync(catalogPath, discovered.lines.join("\n"));
    readArgs = ["--config", configPath, "--catalog", catalogPath];
  } else {
    const discovered = await run(bin, ["discover", "--config", configPath]);
    const catalogMessage = discovered.lines.map((line) => JSON.parse(line) as AirbyteMessage).find((m) => m.type === "CATALOG");
    if (catalogMessage?.type !== "CATALOG") throw new Error("discover printed no CATALOG");
    const catalogPath = join(dir, "catalog.json");
    const streams = catalogMessage.catalog.streams as AirbyteStream[];
    const configured = streams.map((stream) => ({
      stream,
      sync_mode: stream.supported_sync_modes.includes("incremental") ? "incremental" : "full_refresh",
      destination_sync_mode: "append",
    }));
    writeFileSync(catalogPath, JSON.stringify({ streams: configured }));
    readArgs = ["read", "--config", configPath, "--catalog", catalogPath];
  }

  console.log(`$ ${command} ${readArgs.join(" ")}`);
  const startedAtMs = Date.now();
  const read = await run(bin, readArgs, (line) => {
    const message = JSON.parse(line) as AirbyteMessage & { stream?: string };
    if (mode === "singer") singerProgress(message, progress);
    else airbyteProgress(message, progress);
  });
  if (mode === "singer")
    for (const [name, s] of progress.summary()) if (s.status === "RUNNING") progress.status(name, read.exitCode === 0 ? "DONE" : "FAILED");
  progress.stop();
  console.log(`read finished in ${((Date.now() - startedAtMs) / 1000).toFixed(1)} s, exit code ${read.exitCode}\n`);

  console.log(`A sample of the ${read.lines.length.toLocaleString("en-US")} messages (the first ${SAMPLE_PER_KIND} of each kind):`);
  const kinds = new Map<string, number>();
  for (const line of read.lines) {
    const kind = kindOf(JSON.parse(line) as { type: string; trace?: { type: string } });
    const seen = kinds.get(kind) ?? 0;
    if (seen < SAMPLE_PER_KIND) console.log(line.length > SAMPLE_MAX_CHARS ? `${line.slice(0, SAMPLE_MAX_CHARS)}…` : line);
    kinds.set(kind, seen + 1);
  }
  console.log(`(${[...kinds].map(([kind, n]) => `${n.toLocaleString("en-US")} ${kind}`).join(", ")})\n`);
  console.table([...progress.summary()].map(([stream, s]) => ({ stream, records: s.records, status: s.status })));

  console.log("\nAgainst a real project: put your project ID and a management key in secrets/config.json (git-ignored),");
  console.log('  {"project_id": "P2…", "management_key": "K2…"}');
  console.log("then:");
  if (mode === "singer") {
    console.log("  node dist/bin/tap-descope.js --config secrets/config.json --discover > secrets/properties.json");
    console.log("  node dist/bin/tap-descope.js --config secrets/config.json --catalog secrets/properties.json");
    console.log("  node dist/bin/tap-descope.js --config secrets/config.json --catalog secrets/properties.json --state secrets/state.json");
  } else {
    console.log("  node dist/bin/source-descope.js check --config secrets/config.json");
    console.log("  node dist/bin/source-descope.js discover --config secrets/config.json");
    console.log("  node dist/bin/source-descope.js read --config secrets/config.json --catalog integration_tests/configured_catalog.json");
  }
  process.exitCode = read.exitCode;
} finally {
  progress.stop();
  await emulator.close();
}
