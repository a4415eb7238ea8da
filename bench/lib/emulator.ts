import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { BENCH_ROOT, withTimeout } from "./measure.js";

/** The emulator in its own process, so its CPU is not mixed into the measured connector or floor. */
export interface EmulatorProcess {
  url: string;
  projectId: string;
  managementKey: string;
  /** Unauthenticated admin API (`/__emulator/...`): request log, counters, reset. */
  admin<T>(method: "GET" | "POST", path: string): Promise<T>;
  close(): Promise<void>;
}

export interface RequestLog {
  /** `at`: epoch ms when the request arrived; headers without Authorization. */
  requests: { method: string; path: string; status: number; at: number; headers: Record<string, string> }[];
  rateLimitHits: Record<string, number>;
}

const START_TIMEOUT_MS = 120_000;

/** Starts `integration_tests/emulator/cli.ts` with the given flags and waits for its one JSON line. */
export async function startEmulatorProcess(flags: string[]): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "integration_tests/emulator/cli.ts", "--port", "0", "--host", "127.0.0.1", ...flags], {
    cwd: BENCH_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=4096" },
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
  });
  const ready = JSON.parse(await withTimeout(firstLine, START_TIMEOUT_MS, "emulator start-up", () => child.kill("SIGKILL"))) as {
    url: string;
    projectId: string;
    managementKey: string;
  };
  return {
    ...ready,
    async admin<T>(method: "GET" | "POST", path: string): Promise<T> {
      const response = await fetch(`${ready.url}/__emulator/${path}`, { method, signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`emulator admin ${path}: HTTP ${response.status}`);
      return (await response.json()) as T;
    },
    close: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  return withTimeout(exited, 10_000, "emulator shutdown", () => child.kill("SIGKILL")).catch(() => undefined);
}
