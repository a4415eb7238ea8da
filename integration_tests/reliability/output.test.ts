import { spawn, type ChildProcessByStdio } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { protocolProblems } from "../helpers/protocol-check.js";
import { inputFiles } from "../helpers/messages.js";
import type { Emulator } from "../emulator/server.js";
import { configuredCatalog, emulatorConfig, SOURCE_BIN, scaledEmulator, TEST_TIME_SCALE } from "../helpers/connector.js";
import { STACK_LINE } from "./support.js";

let emulator: Emulator | undefined;
let child: ChildProcessByStdio<null, Readable, Readable> | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  await emulator?.close();
  emulator = undefined;
});

/** Starts `read` of the users stream with stdout as a pipe the test reads at its own pace. */
function startRead(emu: Emulator): {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stderr: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
} {
  const paths = inputFiles({ config: emulatorConfig(emu), catalog: configuredCatalog(["users"]) });
  const started = spawn(process.execPath, [SOURCE_BIN, "read", "--config", paths.config!, "--catalog", paths.catalog!], {
    env: { ...process.env, SOURCE_DESCOPE_TIME_SCALE: String(TEST_TIME_SCALE) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  started.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => started.on("close", (code, signal) => resolve([code, signal])));
  return { child: started, stderr: () => stderr, exited };
}

function rssMegabytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

describe("stdout discipline", () => {
  it("a reader that closes stdout after a few lines (EPIPE) ends the process cleanly: no stack, no hang, no more API calls", async () => {
    emulator = await scaledEmulator({ users: 20_000, testUsers: 0 });
    const run = startRead(emulator);
    // Handlers use this run's own process: `child` is cleared by afterEach while late events may still arrive.
    const reader = run.child;
    child = reader;
    let lines = 0;
    await new Promise<void>((resolve) => {
      reader.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        lines += chunk.split("\n").length - 1;
        if (lines >= 3) {
          reader.stdout.destroy(); // like `source-descope read … | head -3`
          resolve();
        }
      });
    });
    const [exitCode, signal] = await run.exited; // a hang fails the test by its timeout
    expect(signal).toBeNull();
    expect(exitCode).not.toBe(0);
    expect(run.stderr()).not.toMatch(STACK_LINE);
    expect(run.stderr()).not.toMatch(/Error|EPIPE/);
    // It stopped reading Descope once nobody was listening (20 pages would be the whole project).
    expect(emulator.requests.filter((request) => request.path === "/v2/mgmt/user/search").length).toBeLessThan(20);
  });

  it("a slow consumer does not make memory grow: backpressure holds a 200k-user read to what the reader takes", { timeout: 120_000 }, async () => {
    emulator = await scaledEmulator({ users: 200_000, testUsers: 0 });
    const run = startRead(emulator);
    const reader = run.child;
    child = reader;
    const BYTES_PER_TICK = 100_000; // ~1 MB/s
    let budget = BYTES_PER_TICK;
    let text = "";
    let bytes = 0;
    reader.stdout.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      budget -= chunk.length;
      if (text.length < 2_000_000) text += chunk.toString("utf8");
      if (budget <= 0) reader.stdout.pause();
    });
    const tick = setInterval(() => {
      budget = BYTES_PER_TICK;
      reader.stdout.resume();
    }, 100);

    const samples: { rssMb: number; bytes: number }[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        await sleep(250);
        expect(reader.exitCode, "the connector must still be held back by the reader").toBeNull();
        samples.push({ rssMb: rssMegabytes(reader.pid!), bytes });
      }
    } finally {
      clearInterval(tick);
    }
    // Reading kept going the whole time...
    expect(samples.at(-1)!.bytes).toBeGreaterThan(samples[10]!.bytes);
    // ...while the connector, with ~150 MB of records still to send, stayed small.
    const peak = Math.max(...samples.map((sample) => sample.rssMb));
    expect(peak).toBeLessThan(200);
    // And what did arrive is whole protocol lines.
    const complete = text.slice(0, text.lastIndexOf("\n"));
    for (const line of complete.split("\n")) expect(protocolProblems(line)).toEqual([]);
    expect(complete).not.toContain(emulator.managementKey);
  });
});
