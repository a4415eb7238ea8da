import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../emulator/server.js";
import { configuredCatalog, emulatorConfig, errorTraces, records, runConnector, scaledEmulator } from "../helpers/connector.js";
import { ofType, runWithArgs } from "./support.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A management key no other test uses, so a hit can only come from the run under test. */
const KEY = "K2reliability-secret-Zq81xv0TT";
const MASK = "**********";

/** A stand-in "connector" that echoes its config's management key on the given channel, to prove the scan bites. */
function echoingBin(channel: "stdout" | "stderr"): string {
  const path = join(mkdtempSync(join(tmpdir(), "echoing-bin-")), "echo.mjs");
  writeFileSync(
    path,
    `import { readFileSync } from "node:fs";
const config = JSON.parse(readFileSync(process.argv[process.argv.indexOf("--config") + 1], "utf8"));
process.${channel}.write(JSON.stringify({ type: "LOG", log: { level: "INFO", message: "using " + config.management_key } }) + "\\n");
`,
  );
  chmodSync(path, 0o555);
  return path;
}

describe("the key scan that every run goes through", () => {
  it.each(["stdout", "stderr"] as const)("fails a run that prints the management key on %s", async (channel) => {
    const config = { project_id: "P2scan", management_key: KEY };
    await expect(runConnector("check", { config, bin: echoingBin(channel) })).rejects.toThrow(/management key appeared/);
    await expect(
      runWithArgs(["check", "--config", "{config}"], { files: { config }, secrets: [KEY] }).then(() => undefined),
    ).resolves.toBeUndefined();
    // The same scan in this suite's own runner bites too.
    await expect(runWithArgs(["check", "--config", "{config}"], { files: { config }, secrets: [KEY], bin: echoingBin(channel) })).rejects.toThrow(
      /secret appeared/,
    );
  });
});

describe("the management key never reaches stdout or stderr", () => {
  it("not when a hand-typed config forgets the quotes around it (JSON.parse quotes the text it choked on)", async () => {
    for (const text of [
      `{"project_id": "P2abc", "management_key": ${KEY}}`,
      `{"project_id": "P2abc", "management_key": "${KEY}",}`,
      `{"project_id": "P2abc", "management_key": '${KEY}'}`,
      `project_id: P2abc\nmanagement_key: ${KEY}\n`,
      `{"management_key": "${KEY}" "project_id": "P2abc"}`,
    ]) {
      for (const command of ["check", "discover"]) {
        const result = await runWithArgs([command, "--config", "{config}"], {
          files: { config: text },
          secrets: [KEY, KEY.slice(0, 8), KEY.slice(-8)],
        });
        expect(result.stdout, text).toMatch(/not valid JSON/);
      }
    }
  });

  it("not when a config error message would quote it", async () => {
    emulator = await scaledEmulator({ users: 10, testUsers: 0 });
    const configs = [
      emulatorConfig(emulator, { management_key: KEY, base_url: `http://remote.example.com/${KEY}` }),
      emulatorConfig(emulator, { management_key: KEY, base_url: `${KEY}` }),
      emulatorConfig(emulator, { management_key: KEY, start_date: KEY }),
    ];
    for (const config of configs) {
      const read = await runConnector("read", { config, catalog: configuredCatalog(["users"]) });
      expect(errorTraces(read).map((error) => error.failure_type)).toEqual(["config_error"]);
      const check = await runConnector("check", { config });
      expect(ofType(check, "CONNECTION_STATUS")[0]!.connectionStatus.status).toBe("FAILED");
    }
  });

  it("not when Descope's 401 body echoes the Authorization header, on check and mid-read, with --debug", async () => {
    emulator = await scaledEmulator({ users: 300, testUsers: 0, managementKey: KEY });
    const authorization = `Bearer ${emulator.projectId}:${KEY}`;
    const echo = { errorCode: "E011003", errorDescription: "Unauthorized", errorMessage: `invalid authorization header: ${authorization}` };
    const config = emulatorConfig(emulator, { page_size: 100 });

    emulator.faults.add({ match: "/v2/mgmt/user/search", kind: "status", status: 401, body: echo });
    const check = await runWithArgs(["check", "--config", "{config}", "--debug"], { files: { config }, secrets: [KEY] });
    const status = ofType(check, "CONNECTION_STATUS")[0]!.connectionStatus;
    expect(status.status).toBe("FAILED");
    expect(status.message).toContain(MASK);

    let searches = 0;
    emulator.onRequest((request) => {
      if (request.path === "/v2/mgmt/user/search" && ++searches === 2)
        emulator!.faults.add({ match: request.path, kind: "status", status: 401, body: echo });
    });
    const read = await runWithArgs(["read", "--config", "{config}", "--catalog", "{catalog}", "--debug"], {
      files: { config, catalog: configuredCatalog(["users"], "incremental") },
      secrets: [KEY],
    });
    const [error] = errorTraces(read);
    expect(error!.failure_type).toBe("config_error");
    expect(error!.message).toContain("management_key");
    expect(error!.message).toContain(MASK);
  });

  it("not when error bodies of retried and failed requests echo it (logs, traces, stack traces)", async () => {
    emulator = await scaledEmulator({ users: 50, testUsers: 0, managementKey: KEY });
    const echo = (status: number) => ({ kind: "status" as const, status, body: { errorCode: "E000000", errorDescription: `oops for key ${KEY}` } });
    emulator.faults.add({ ...echo(503), match: "/v1/mgmt/tenant/all", times: Infinity });
    emulator.faults.add({ ...echo(400), match: "/v1/mgmt/role/search", times: Infinity });
    emulator.faults.add({ ...echo(502), match: "/v2/mgmt/user/search", times: 2 });
    const read = await runWithArgs(["read", "--config", "{config}", "--catalog", "{catalog}", "--debug"], {
      files: { config: emulatorConfig(emulator, { max_retries: 2 }), catalog: configuredCatalog(["users", "tenants", "roles"]) },
      secrets: [KEY],
    });
    expect(read.exitCode).not.toBe(0);
    expect(records(read, "users")).toHaveLength(50);
    expect(
      errorTraces(read)
        .map((error) => error.failure_type)
        .sort(),
    ).toEqual(["system_error", "transient_error"]);
    expect(read.stdout).toContain(MASK);
  });
});

describe("provider tokens", () => {
  const allTokenValues = (emu: Emulator) =>
    emu.store.providerTokens.flatMap((token) => [token.accessToken, token.refreshToken]).filter(Boolean) as string[];

  it("never appear in any output unless include_provider_token_values is on", async () => {
    emulator = await scaledEmulator({ users: 80, testUsers: 5 });
    const read = await runWithArgs(["read", "--config", "{config}", "--catalog", "{catalog}", "--debug"], {
      files: { config: emulatorConfig(emulator), catalog: configuredCatalog(["users", "test_users", "provider_tokens", "login_history"]) },
      secrets: [emulator.managementKey, ...allTokenValues(emulator)],
    });
    expect(read.exitCode).toBe(0);
    expect(records(read, "provider_tokens").length).toBeGreaterThan(0);
  });

  it("when on, appear only inside provider_tokens records", async () => {
    emulator = await scaledEmulator({ users: 80, testUsers: 5 });
    const values = allTokenValues(emulator);
    const read = await runWithArgs(["read", "--config", "{config}", "--catalog", "{catalog}", "--debug"], {
      files: { config: emulatorConfig(emulator, { include_provider_token_values: true }), catalog: configuredCatalog(["users", "provider_tokens"]) },
      secrets: [emulator.managementKey],
    });
    expect(read.exitCode).toBe(0);
    const lines = read.stdout.split("\n").filter(Boolean);
    const tokenLines = lines.filter((line) => values.some((value) => line.includes(value)));
    expect(tokenLines.length).toBeGreaterThan(0);
    for (const line of tokenLines) expect(JSON.parse(line)).toMatchObject({ type: "RECORD", record: { stream: "provider_tokens" } });
    for (const value of values) expect(read.stderr).not.toContain(value);
  });
});
