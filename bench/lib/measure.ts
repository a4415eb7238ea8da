import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/cdk/package-root.js";

export const BENCH_ROOT = packageRoot(import.meta.url);

export interface RunSpec {
  /** Arguments to `node` (a script and its arguments). */
  args: string[];
  env?: Record<string, string>;
  /** Reads stdout no faster than this (a slow destination); unlimited when absent. */
  readBytesPerSecond?: number;
  /** Stops the process (SIGTERM) after this long and reports what it did until then. */
  stopAfterMs?: number;
  /** Hard bound: SIGKILL and fail after this long. */
  timeoutMs: number;
}

export interface RunMeasurement {
  elapsedMs: number;
  lines: number;
  bytes: number;
  /** Peak resident set (VmHWM) in MB, sampled from /proc while the process runs. */
  peakRssMb: number;
  exitCode: number | null;
}

const RSS_SAMPLE_MS = 50;

/**
 * Runs `node <args>` with stdout piped to a line counter (the stand-in for a destination), sampling its peak
 * RSS. Wall time is from spawn to exit.
 */
export async function runMeasured(spec: RunSpec): Promise<RunMeasurement> {
  const started = performance.now();
  const child = spawn(process.execPath, spec.args, { cwd: BENCH_ROOT, env: { ...process.env, ...spec.env }, stdio: ["ignore", "pipe", "pipe"] });
  let lines = 0;
  let bytes = 0;
  let peakRssKb = 0;
  let stderrTail = "";
  const sampleRss = (): void => {
    const kb = vmHwmKb(child.pid!);
    if (kb !== undefined) peakRssKb = Math.max(peakRssKb, kb);
  };
  const sampler = setInterval(sampleRss, RSS_SAMPLE_MS);
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderrTail = (stderrTail + text).slice(-4000)));
  child.stdout.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    if (spec.readBytesPerSecond === undefined) return;
    const aheadMs = (bytes / spec.readBytesPerSecond) * 1000 - (performance.now() - started);
    if (aheadMs > 0) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), aheadMs);
    }
  });
  const stopper = spec.stopAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGTERM"), spec.stopAfterMs);
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  try {
    const exitCode = await withTimeout(exited, spec.timeoutMs, `node ${spec.args.join(" ")}`, () => child.kill("SIGKILL"));
    if (exitCode !== 0 && spec.stopAfterMs === undefined) throw new Error(`node ${spec.args[0]} exited ${exitCode}: ${stderrTail}`);
    return { elapsedMs: performance.now() - started, lines, bytes, peakRssMb: peakRssKb / 1024, exitCode };
  } finally {
    clearInterval(sampler);
    if (stopper) clearTimeout(stopper);
  }
}

function vmHwmKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // already gone
  }
}

/** Wall time of `node <args>`, for start-up: no sampling, output discarded. */
export async function wallTimeMs(args: string[], timeoutMs: number): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: BENCH_ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const code = await withTimeout(exited, timeoutMs, `node ${args.join(" ")}`, () => child.kill("SIGKILL"));
  if (code !== 0) throw new Error(`node ${args.join(" ")} exited ${code}`);
  return performance.now() - started;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} took longer than ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const SOURCE_BIN = join("dist", "bin", "source-descope.js");
export const FLOOR_SCRIPT = join("bench", "floor.mjs");
