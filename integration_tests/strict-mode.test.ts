/**
 * Every stream, against the default emulator and the strict one (every unfriendly behaviour the real API may
 * have, at once: STRICT_SWITCHES): a full read, an incremental read after edits, and a read resumed after kill -9
 * each deliver exactly the emulator's data — none missing, none extra. Streams are taken from `discover`, so a
 * new stream is covered as soon as it has an entry in helpers/expected-records.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import { STRICT_SWITCHES, startEmulator, type Emulator, type EmulatorOptions } from "./emulator/server.js";
import { EXPECTED_RECORDS, keyedRows } from "./helpers/expected-records.js";
import {
  configuredCatalog,
  emulatorConfig,
  errorTraces,
  nextState,
  records,
  runConnector,
  streamStatuses,
  type RunResult,
} from "./helpers/connector.js";
import { killAt } from "./reliability/support.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const MODES: [string, EmulatorOptions][] = [
  ["default", {}],
  ["strict", { strict: true }],
];
const PROJECT: EmulatorOptions = { users: 300, testUsers: 30, tenants: 4, auditEvents: 3000, seed: 31, rateLimits: false };

async function discoveredStreams(config: JsonObject): Promise<string[]> {
  const discover = await runConnector("discover", { config });
  expect(discover.exitCode).toBe(0);
  return discover.messages.flatMap((m) => (m.type === "CATALOG" ? m.catalog.streams.map((stream) => stream.name) : []));
}

function expectCleanRun(run: RunResult, streams: string[]): void {
  expect(errorTraces(run)).toEqual([]);
  expect(run.exitCode).toBe(0);
  for (const stream of streams) expect(streamStatuses(run, stream).at(-1), stream).toBe("COMPLETE");
}

/**
 * What the runs delivered together, each record's latest version by key (a host deduplicating on the primary key
 * sees this), equals what the emulator holds now: none missing, none extra, every field as Descope has it.
 */
async function expectEmulatorData(emu: Emulator, runs: RunResult[], streams: string[]): Promise<void> {
  for (const stream of streams) {
    const expectation = EXPECTED_RECORDS[stream];
    expect(expectation, `${stream} has no entry in helpers/expected-records.ts`).toBeDefined();
    const delivered = new Map<string, JsonObject>();
    for (const run of runs) for (const [key, row] of keyedRows(records(run, stream), expectation!)) delivered.set(key, row);
    const expected = keyedRows(await expectation!.expected(emu), expectation!);
    expect(expected.size, `${stream}: the emulator holds no data to compare with`).toBeGreaterThan(0);
    expect(
      [...delivered.keys()].filter((key) => !expected.has(key)),
      `${stream}: extra records`,
    ).toEqual([]);
    expect(
      [...expected.keys()].filter((key) => !delivered.has(key)),
      `${stream}: missing records`,
    ).toEqual([]);
    for (const [key, row] of expected) expect(delivered.get(key), `${stream} ${key}`).toEqual(row);
  }
}

describe.each(MODES)("every stream against the %s emulator", (_mode, modeOptions) => {
  const setUp = async () => {
    emulator = await startEmulator({ ...PROJECT, ...modeOptions });
    const config = emulatorConfig(emulator, { page_size: 100, include_provider_token_values: true });
    const streams = await discoveredStreams(config);
    return { emu: emulator, config, streams, catalog: configuredCatalog(streams, "incremental") };
  };

  it("a full read delivers exactly the emulator's data", async () => {
    const { emu, config, streams, catalog } = await setUp();
    const run = await runConnector("read", { config, catalog });
    expectCleanRun(run, streams);
    await expectEmulatorData(emu, [run], streams);
  });

  it("an incremental read after users were edited and new events and logins written delivers the final data", async () => {
    const { emu, config, streams, catalog } = await setUp();
    const first = await runConnector("read", { config, catalog });
    expectCleanRun(first, streams);
    const { store } = emu;
    for (const user of [...store.users].filter((_, i) => i % 17 === 0)) store.updateUser(user.userId, { givenName: `edited-${user.userId}` });
    for (const user of [...store.testUsers].filter((_, i) => i % 7 === 0)) store.updateUser(user.userId, { givenName: `edited-${user.userId}` });
    for (const user of store.users.slice(0, 5)) store.addLogin(user.userId);
    // Older than the one-minute lag the audit read keeps from "now", so this read must deliver them.
    for (let i = 0; i < 40; i++) store.addAuditEvent({ occurred: String(Date.now() - 2 * 60_000 + i) });
    const second = await runConnector("read", { config, catalog, state: nextState(first) });
    expectCleanRun(second, streams);
    await expectEmulatorData(emu, [first, second], streams);
  });

  const killPoints: [string, (line: string) => "kill" | undefined][] = [
    ["in the middle of users", killAt(150, (m) => m.type === "RECORD" && m.record?.stream === "users")],
    ["in the middle of audit_events", killAt(1200, (m) => m.type === "RECORD" && m.record?.stream === "audit_events")],
  ];

  it.each(killPoints)("killed %s, the rerun from the last STATEs completes the data", async (_name, onLine) => {
    const { emu, config, streams, catalog } = await setUp();
    const killed = await runConnector("read", { config, catalog, onLine });
    expect(killed.signal).toBe("SIGKILL");
    const resumed = await runConnector("read", { config, catalog, state: nextState(killed) });
    expectCleanRun(resumed, streams);
    await expectEmulatorData(emu, [killed, resumed], streams);
  });
});

/**
 * Each unfriendly behaviour alone, too: a switch can hide behind another in strict mode (a rejected sort means no
 * sort to ignore), so every one of them gets its own full read.
 */
const SINGLE_SWITCHES = Object.entries(STRICT_SWITCHES).map(([name, value]) => [name, { [name]: value } as EmulatorOptions] as const);

describe.each(SINGLE_SWITCHES)("every stream against an emulator with only %s", (_name, switchOptions) => {
  it("a full read delivers exactly the emulator's data", async () => {
    emulator = await startEmulator({ ...PROJECT, ...switchOptions });
    const config = emulatorConfig(emulator, { page_size: 100, include_provider_token_values: true });
    const streams = await discoveredStreams(config);
    const run = await runConnector("read", { config, catalog: configuredCatalog(streams, "full_refresh") });
    expectCleanRun(run, streams);
    await expectEmulatorData(emulator, [run], streams);
  });
});
