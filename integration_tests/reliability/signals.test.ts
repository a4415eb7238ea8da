import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../emulator/server.js";
import {
  configuredCatalog,
  emulatorConfig,
  logs,
  records,
  runConnector,
  runProcess,
  scaledEmulator,
  stateMessages,
  TAP_BIN,
  TEST_TIME_SCALE,
} from "../helpers/connector.js";
import { inputFiles } from "../helpers/messages.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** In Descope's milliseconds, which the scaled emulator runs at TEST_TIME_SCALE: 100 ms a page, so a signal lands mid-read. */
const SLOW_PAGE_MS = 100 / TEST_TIME_SCALE;

describe("stopping", () => {
  it("SIGTERM mid-sync (docker stop, a cancelled job) ends promptly with exit 143 and only whole, valid lines", async () => {
    emulator = await scaledEmulator({ users: 3000, testUsers: 0, latencyMs: SLOW_PAGE_MS });
    let sent = false;
    const result = await runConnector("read", {
      config: emulatorConfig(emulator, { page_size: 100 }),
      catalog: configuredCatalog(["users"], "incremental"),
      onLine: (line) => {
        if (sent || !line.includes('"type":"STATE"')) return;
        sent = true;
        return "SIGTERM";
      },
    });
    expect(sent).toBe(true);
    expect(result.exitCode).toBe(143);
    // runConnector has parsed every line: the output ends on a complete message, and the warning says why.
    expect(result.stdout.endsWith("\n")).toBe(true);
    expect(logs(result).some((log) => log.message.includes("Received SIGTERM"))).toBe(true);
    expect(records(result, "users").length).toBeLessThan(3000);
    expect(stateMessages(result, "users").length).toBeGreaterThanOrEqual(1);
    expect(result.stderr).toBe("");
  });

  for (const [signal, exitCode] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    it(`the Singer tap stops on ${signal} like the Airbyte source: whole lines flushed, exit ${exitCode}`, async () => {
      emulator = await scaledEmulator({ users: 3000, testUsers: 0, latencyMs: SLOW_PAGE_MS });
      const files = inputFiles({ config: emulatorConfig(emulator, { page_size: 100 }) });
      let sent = false;
      const result = await runProcess(TAP_BIN, ["--config", files.config!], {
        env: { SOURCE_DESCOPE_TIME_SCALE: String(TEST_TIME_SCALE) },
        onLine: (line) => {
          if (sent || !line.includes('"type":"STATE"')) return;
          sent = true;
          return signal;
        },
      });
      expect(sent).toBe(true);
      expect(result.exitCode).toBe(exitCode);
      expect(result.stdout.endsWith("\n")).toBe(true);
      const lines = result.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { type: string; stream?: string });
      expect(lines.filter((line) => line.type === "RECORD").length).toBeLessThan(3000);
      expect(lines.some((line) => line.type === "STATE")).toBe(true);
      expect(result.stderr).toContain(`WARNING Received ${signal}; stopping.`);
    });
  }
});
