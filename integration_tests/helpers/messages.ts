import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { protocolProblems } from "./protocol-check.js";
import type { AirbyteMessage } from "../../src/cdk/protocol.js";

/** Writes each value as a read-only JSON file in a fresh temp dir (inputs must never be written to). */
export function inputFiles(files: Record<string, unknown>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "source-descope-"));
  const paths: Record<string, string> = {};
  for (const [name, value] of Object.entries(files)) {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
    chmodSync(path, 0o444);
    paths[name] = path;
  }
  return paths;
}

/** Parses connector output, failing on any line that is not a valid protocol message. */
export function parseMessages(stdout: string): AirbyteMessage[] {
  return stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const problems = protocolProblems(line);
      if (problems.length > 0) throw new Error(`Invalid protocol line: ${problems.join("; ")}\n${line}`);
      return JSON.parse(line) as AirbyteMessage;
    });
}

/** A stdout stand-in that collects everything written. */
export function captureStream(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}
