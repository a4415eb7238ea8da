import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../emulator/server.js";
import { configuredCatalog, emulatorConfig, logs, records, runConnector, scaledEmulator, stateMessages } from "../helpers/connector.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe("stopping", () => {
  it("SIGTERM mid-sync (docker stop, a cancelled job) ends promptly with exit 143 and only whole, valid lines", async () => {
    emulator = await scaledEmulator({ users: 3000, testUsers: 0, latencyMs: 100 });
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
});
