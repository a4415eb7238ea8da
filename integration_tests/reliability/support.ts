import { spawn } from "node:child_process";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { mkdtempSync } from "node:fs";
import type { AirbyteMessage, JsonObject } from "../../src/cdk/protocol.js";
import { inputFiles, parseMessages } from "../helpers/messages.js";
import { SOURCE_BIN, TEST_TIME_SCALE, type RunResult } from "../helpers/connector.js";

/**
 * Runs the built connector with exactly the arguments given, for what `runConnector` cannot express: a missing
 * file, `--debug`, a path that is not a file. `files` become read-only JSON files; `{config}` etc. in `args` are
 * replaced by their paths. Like `runConnector`, every stdout line must be a protocol message and no `secrets`
 * may appear on stdout or stderr.
 */
export async function runWithArgs(
  args: string[],
  options: { files?: Record<string, unknown>; secrets?: string[]; env?: Record<string, string>; bin?: string } = {},
): Promise<RunResult> {
  const paths = inputFiles(options.files ?? {});
  const argv = args.map((arg) => arg.replace(/^\{(\w+)\}$/, (whole, name: string) => paths[name] ?? whole));
  const child = spawn(process.execPath, [options.bin ?? SOURCE_BIN, ...argv], {
    env: { ...process.env, SOURCE_DESCOPE_TIME_SCALE: String(TEST_TIME_SCALE), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on("close", (code, sig) => resolve([code, sig])),
  );
  for (const secret of options.secrets ?? []) {
    if (stdout.includes(secret) || stderr.includes(secret)) throw new Error(`A secret appeared in the output of \`${args.join(" ")}\``);
  }
  return { exitCode, signal, stdout, stderr, messages: parseMessages(stdout) };
}

/** A path in a fresh directory where no file exists. */
export function missingPath(name: string): string {
  return join(mkdtempSync(join(tmpdir(), "source-descope-missing-")), `${name}.json`);
}

/** A line of a JavaScript stack trace ("    at fn (file:line:col)"), which users must never have to read. */
export const STACK_LINE = /^\s+at .+:\d+/m;

export function ofType<T extends AirbyteMessage["type"]>(result: RunResult, type: T): Extract<AirbyteMessage, { type: T }>[] {
  return result.messages.filter((m): m is Extract<AirbyteMessage, { type: T }> => m.type === type);
}

/** RUNNING statuses that carry a RATE_LIMITED reason, with the promised quota reset. */
export function rateLimitedStatuses(result: RunResult, stream: string): { emittedAt: number; quotaReset: number }[] {
  return result.messages.flatMap((m) => {
    if (m.type !== "TRACE" || m.trace.type !== "STREAM_STATUS") return [];
    const status = m.trace.stream_status;
    const reason = status.reasons?.find((r) => r.type === "RATE_LIMITED");
    if (status.stream_descriptor.name !== stream || !reason) return [];
    return [{ emittedAt: m.trace.emitted_at, quotaReset: reason.rate_limited?.quota_reset ?? NaN }];
  });
}

/** Records of a stream emitted before the last STATE of that stream: what a host has committed. */
export function committedRecords(result: RunResult, stream: string): JsonObject[] {
  const lastState = result.messages.findLastIndex((m) => m.type === "STATE" && m.state.stream.stream_descriptor.name === stream);
  return result.messages.slice(0, Math.max(0, lastState)).flatMap((m) => (m.type === "RECORD" && m.record.stream === stream ? [m.record.data] : []));
}

/** Kills the connector at the `n`-th stdout line for which `pick` is true. */
export function killAt(n: number, pick: (message: { type: string; record?: { stream: string } }) => boolean) {
  let seen = 0;
  return (line: string): "kill" | undefined => (pick(JSON.parse(line)) && ++seen === n ? "kill" : undefined);
}

/** Cloudflare's error page, as a CDN answers in front of an API. */
export function cloudflarePage(status: number): string {
  return `<!DOCTYPE html>\n<html><head><title>api.descope.com | ${status}: Origin error</title></head>\n<body><h1>Error ${status}</h1><p>Ray ID: 8a1b2c3d4e5f</p></body></html>\n`;
}
