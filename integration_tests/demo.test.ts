import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/cdk/package-root.js";

const ROOT = packageRoot(import.meta.url);
/** Generous: the demo takes a few seconds; this only stops a hung run from holding the suite. */
const HANG_GUARD_MS = 180_000;

const streamNames = (
  JSON.parse(readFileSync(join(ROOT, "integration_tests/configured_catalog.json"), "utf8")) as { streams: { stream: { name: string } }[] }
).streams.map((s) => s.stream.name);

/** `npm run demo [-- --singer]` without the build step (the suite builds first), stdout a pipe as in CI. */
async function runDemo(args: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  if (!existsSync(join(ROOT, "dist/bin/source-descope.js"))) throw new Error("dist/bin is missing: run `npm run build` first (npm test does).");
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "integration_tests/demo.ts"), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { exitCode, stdout, stderr };
}

describe.each([
  {
    mode: "Airbyte",
    args: [],
    done: "COMPLETE",
    commands: ["source-descope.js check --config secrets/config.json", "source-descope.js discover", "source-descope.js read"],
  },
  {
    mode: "Singer",
    args: ["--singer"],
    done: "DONE",
    commands: ["tap-descope.js --config secrets/config.json --discover", "tap-descope.js --config secrets/config.json --catalog"],
  },
])("npm run demo ($mode)", ({ args, done, commands }) => {
  it(
    "says the local run is unpaced, reports every stream's progress while reading, then the summary and the commands for a real project",
    async () => {
      const { exitCode, stdout, stderr } = await runDemo(args);
      expect(exitCode, stderr).toBe(0);
      expect(stdout).toContain("rate limits are OFF");

      const lines = stdout.split("\n");
      const readEnd = lines.findIndex((line) => line.startsWith("read finished"));
      expect(readEnd, "the demo prints when the read finished").toBeGreaterThan(0);
      const progress = lines.slice(0, readEnd);
      const summary = lines.slice(readEnd);
      for (const stream of streamNames) {
        // Progress is printed as the read goes, before its end: a start line and an end line with a count.
        expect(progress, `${stream} start`).toContain(`  ${stream}: started`);
        const end = progress.find((line) => line.startsWith(`  ${stream}: ${done}, `));
        expect(end, `${stream} end`).toMatch(/records$/);
        // Every stream reads something from the seeded emulator and appears in the summary table.
        expect(end).not.toMatch(/: \w+, 0 records$/);
        expect(
          summary.some((line) => line.includes(`'${stream}'`) && line.includes(`'${done}'`)),
          `${stream} in the summary`,
        ).toBe(true);
      }
      const realProject = stdout.slice(stdout.indexOf("Against a real project"));
      for (const command of commands) expect(realProject).toContain(command);
    },
    HANG_GUARD_MS,
  );
});
