import { chmodSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GenericContainer, Wait } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../src/cdk/package-root.js";
import type { AirbyteMessage, JsonObject } from "../src/cdk/protocol.js";
import { inputFiles, parseMessages } from "./helpers/messages.js";
import { startEmulator, type Emulator } from "./emulator/index.js";
import { configuredCatalog, emulatorConfig, TEST_TIME_SCALE } from "./helpers/connector.js";

/**
 * The image as users run it. `.ci/run` builds it and names it in SOURCE_DESCOPE_IMAGE; without an image (a laptop
 * with no Docker engine) these tests are skipped, and `.ci/run` fails instead when it cannot build one.
 */
const IMAGE = process.env.SOURCE_DESCOPE_IMAGE;
const ROOT = packageRoot(import.meta.url);

let emulator: Emulator;
beforeAll(async () => {
  if (IMAGE) emulator = await startEmulator({ users: 300, testUsers: 10, rateLimits: false });
});
afterAll(async () => {
  await emulator?.close();
});

/**
 * Runs the image once to completion with the given input files mounted read-only, and returns what it printed.
 * A one-shot start succeeds only when the container exits 0. The container is removed afterwards (the reaper is
 * disabled here, so cleanup is ours). With host networking the container reaches the emulator on 127.0.0.1.
 */
async function runImage(options: {
  files?: Record<string, unknown>;
  mountAt: string;
  command: string[];
  entrypoint?: string[];
  workingDir?: string;
}) {
  const paths = inputFiles(options.files ?? {});
  let container = new GenericContainer(IMAGE!)
    .withNetworkMode(process.env.SOURCE_DESCOPE_DOCKER_NETWORK ?? "host")
    .withCommand(options.command)
    .withEnvironment({ SOURCE_DESCOPE_TIME_SCALE: String(TEST_TIME_SCALE) })
    .withWaitStrategy(Wait.forOneShotStartup())
    .withStartupTimeout(120_000);
  const dir = Object.values(paths)[0] ? dirname(Object.values(paths)[0]!) : undefined;
  if (dir) {
    chmodSync(dir, 0o755); // readable by the image's unprivileged user; the files themselves stay read-only
    container = container.withBindMounts([{ source: dir, target: options.mountAt, mode: "ro" }]);
  }
  if (options.entrypoint) container = container.withEntrypoint(options.entrypoint);
  if (options.workingDir) container = container.withWorkingDir(options.workingDir);
  const started = await container.start();
  try {
    const logs = await started.logs();
    let output = "";
    logs.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    await new Promise((resolve) => logs.on("end", resolve));
    // The connector writes nothing to stderr on success, so the combined log is exactly its stdout.
    return {
      output,
      get messages() {
        return parseMessages(output);
      },
    };
  } finally {
    await started.stop({ remove: true });
  }
}

const recordsOf = (messages: AirbyteMessage[], stream: string) =>
  messages.flatMap((m) => (m.type === "RECORD" && m.record.stream === stream ? [m.record.data] : []));

// Creating a container on the vfs storage driver takes seconds; each test runs one to three.
describe.skipIf(!IMAGE)("the Docker image", { timeout: 300_000 }, () => {
  it("spec through the image ENTRYPOINT (as the acceptance tests run it) equals integration_tests/spec.json", async () => {
    const { messages } = await runImage({ mountAt: "/data", command: ["spec"] });
    const expected = JSON.parse(readFileSync(join(ROOT, "integration_tests", "spec.json"), "utf8")) as JsonObject;
    expect(messages).toEqual([{ type: "SPEC", spec: expected }]);
  });

  it("check and discover with the config mounted read-only, as Airbyte's connector pods run them", async () => {
    const files = { connectionConfiguration: emulatorConfig(emulator) };
    const check = await runImage({
      files,
      mountAt: "/config",
      workingDir: "/config",
      entrypoint: ["sh", "-c"],
      command: ['eval "$AIRBYTE_ENTRYPOINT check --config /config/connectionConfiguration.json"'],
    });
    expect(check.messages).toEqual([{ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } }]);

    const wrongKey = await runImage({
      files: { connectionConfiguration: emulatorConfig(emulator, { management_key: "K2-not-the-key" }) },
      mountAt: "/config",
      command: ["check", "--config", "/config/connectionConfiguration.json"],
    });
    expect(wrongKey.messages).toMatchObject([{ type: "CONNECTION_STATUS", connectionStatus: { status: "FAILED" } }]);
    expect(wrongKey.output).not.toContain("K2-not-the-key");

    const discover = await runImage({ files, mountAt: "/config", command: ["discover", "--config", "/config/connectionConfiguration.json"] });
    const [catalog] = discover.messages;
    expect(catalog?.type === "CATALOG" && catalog.catalog.streams.map((s) => s.name)).toEqual(
      expect.arrayContaining(["users", "test_users", "login_history", "provider_tokens", "audit_events", "tenants", "groups"]),
    );
  });

  it('read, launched like Airbyte\'s replication pod (sh -c eval "$AIRBYTE_ENTRYPOINT read …" in /source with state)', async () => {
    const streams = ["users", "test_users", "login_history", "provider_tokens", "tenants"];
    const first = await runImage({
      files: { connectorConfig: emulatorConfig(emulator), catalog: configuredCatalog(streams, "incremental"), inputState: [] },
      mountAt: "/source",
      workingDir: "/source",
      entrypoint: ["sh", "-c"],
      command: [
        'eval "$AIRBYTE_ENTRYPOINT read --config /source/connectorConfig.json --catalog /source/catalog.json --state /source/inputState.json"',
      ],
    });
    expect(recordsOf(first.messages, "users")).toHaveLength(emulator.store.users.length);
    expect(recordsOf(first.messages, "test_users")).toHaveLength(emulator.store.testUsers.length);
    expect(recordsOf(first.messages, "tenants")).toHaveLength(emulator.store.tenants.length);
    for (const stream of streams) {
      const statuses = first.messages.flatMap((m) =>
        m.type === "TRACE" && m.trace.type === "STREAM_STATUS" && m.trace.stream_status.stream_descriptor.name === stream
          ? [m.trace.stream_status.status]
          : [],
      );
      expect(statuses.at(-1)).toBe("COMPLETE");
    }

    // Incremental: the next read from the emitted state brings only what changed.
    const latest = new Map(first.messages.flatMap((m) => (m.type === "STATE" ? [[m.state.stream.stream_descriptor.name, m.state] as const] : [])));
    const edited = emulator.store.updateUser(emulator.store.users[5]!.userId, { givenName: "FromContainerTest" });
    const second = await runImage({
      files: { config: emulatorConfig(emulator), catalog: configuredCatalog(["users"], "incremental"), state: [latest.get("users")] },
      mountAt: "/data",
      command: ["read", "--config", "/data/config.json", "--catalog", "/data/catalog.json", "--state", "/data/state.json"],
    });
    const changed = recordsOf(second.messages, "users");
    expect(changed.some((user) => user.userId === edited.userId && user.givenName === "FromContainerTest")).toBe(true);
    expect(changed.length).toBeLessThan(10);
  });

  it("runs as the non-root user airbyte, with /bin/sh and AIRBYTE_ENTRYPOINT equal to the entrypoint", async () => {
    const { output } = await runImage({ mountAt: "/data", entrypoint: ["/bin/sh", "-c"], command: ['id -un; echo "$AIRBYTE_ENTRYPOINT"'] });
    expect(output.trim().split("\n")).toEqual(["airbyte", "node /airbyte/integration_code/dist/bin/source-descope.js"]);
  });
});
