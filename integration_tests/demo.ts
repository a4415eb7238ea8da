// `npm run demo`: a first run with no Descope account. Starts the emulator, discovers the catalog, reads every
// stream with the built connector exactly as a host would, shows a sample of the protocol messages and a
// per-stream summary.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AirbyteMessage, AirbyteStream } from "../src/cdk/protocol.js";
import { startEmulator } from "./emulator/index.js";
import { SOURCE_BIN } from "./helpers/connector.js";

const SAMPLE_PER_KIND = 2;

async function connector(args: string[]): Promise<{ lines: string[]; exitCode: number | null }> {
  const child = spawn(process.execPath, [SOURCE_BIN, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { lines: text.split("\n").filter(Boolean), exitCode };
}

const emulator = await startEmulator({ users: 2000, testUsers: 25, rateLimits: false });
const dir = mkdtempSync(join(tmpdir(), "source-descope-demo-"));
const configPath = join(dir, "config.json");
writeFileSync(configPath, JSON.stringify({ project_id: emulator.projectId, management_key: emulator.managementKey, base_url: emulator.url }));
console.log(`Emulator at ${emulator.url} with ${emulator.store.users.length} users; config in ${configPath}\n`);

try {
  const discovered = await connector(["discover", "--config", configPath]);
  const catalogMessage = discovered.lines.map((line) => JSON.parse(line) as AirbyteMessage).find((m) => m.type === "CATALOG");
  if (!catalogMessage || catalogMessage.type !== "CATALOG") throw new Error("discover printed no CATALOG");
  const streams = catalogMessage.catalog.streams as AirbyteStream[];
  const catalogPath = join(dir, "catalog.json");
  writeFileSync(
    catalogPath,
    JSON.stringify({
      streams: streams.map((stream) => ({
        stream,
        sync_mode: stream.supported_sync_modes.includes("incremental") ? "incremental" : "full_refresh",
        destination_sync_mode: "append",
      })),
    }),
  );

  console.log(`$ source-descope read --config ${configPath} --catalog ${catalogPath}`);
  const read = await connector(["read", "--config", configPath, "--catalog", catalogPath]);
  const shown = new Map<string, number>();
  const summary = new Map<string, { records: number; states: number; status: string }>();
  for (const line of read.lines) {
    const message = JSON.parse(line) as AirbyteMessage;
    const kind = message.type === "TRACE" ? `TRACE ${message.trace.type}` : message.type;
    const count = shown.get(kind) ?? 0;
    if (count < SAMPLE_PER_KIND) console.log(line.length > 220 ? `${line.slice(0, 220)}…` : line);
    shown.set(kind, count + 1);
    const stream =
      message.type === "RECORD" ? message.record.stream
      : message.type === "STATE" ? message.state.stream.stream_descriptor.name
      : message.type === "TRACE" && message.trace.type === "STREAM_STATUS" ? message.trace.stream_status.stream_descriptor.name
      : undefined;
    if (!stream) continue;
    const entry = summary.get(stream) ?? { records: 0, states: 0, status: "" };
    if (message.type === "RECORD") entry.records++;
    if (message.type === "STATE") entry.states++;
    if (message.type === "TRACE" && message.trace.type === "STREAM_STATUS") entry.status = message.trace.stream_status.status;
    summary.set(stream, entry);
  }
  console.log(`\n(${read.lines.length} messages in all: ${[...shown].map(([kind, n]) => `${n} ${kind}`).join(", ")})\n`);
  console.table([...summary].map(([stream, s]) => ({ stream, records: s.records, states: s.states, status: s.status })));
  console.log(`exit code ${read.exitCode}`);
  process.exitCode = read.exitCode ?? 1;
} finally {
  await emulator.close();
}
