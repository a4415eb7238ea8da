import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "./emulator/server.js";
import { configuredCatalog, emulatorConfig, records, runConnector, streamStatuses } from "./helpers/connector.js";

const DAY_MS = 24 * 3600 * 1000;
const PATH = "/v1/mgmt/analytics/search";
/** The fields the go SDK sends that the stream uses (internal/mgmt/analytics.go); the gateway rejects others. */
const SDK_FIELDS = ["from", "to", "groupByCreated", "groupByAction", "groupByDevice", "groupByMethod", "groupByGeo", "groupByTenant"];

const emulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emulator) => emulator.close()));
});

/** Emulators on one frozen clock with one seed hold the same samples, so one can answer what another refuses. */
async function emulatorAt(nowMs: number, options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator({ users: 50, tenants: 3, now: () => nowMs, ...options });
  emulators.push(emulator);
  return emulator;
}

async function analyticsAnswer(emulator: Emulator, body: JsonObject): Promise<Response> {
  return fetch(`${emulator.url}${PATH}`, {
    method: "POST",
    headers: { authorization: `Bearer ${emulator.projectId}:${emulator.managementKey}` },
    body: JSON.stringify(body),
  });
}

type Window = { from: number; to: number } & JsonObject;

describe("analytics: the last 12 months a calendar month at a time", () => {
  it("no request is longer than a month, no day is split or asked twice, and the records equal the emulator's whole-window answer", async () => {
    const nowMs = Date.now();
    const capped = await emulatorAt(nowMs, { analyticsMaxDaysPerRequest: 31 });
    const result = await runConnector("read", { config: emulatorConfig(capped), catalog: configuredCatalog(["analytics"]) });
    expect(result.exitCode).toBe(0);
    expect(streamStatuses(result, "analytics")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);

    const asked = capped.requests.filter((request) => request.path === PATH);
    expect(asked.every((request) => request.status === 200)).toBe(true);
    const windows = asked.map((request) => request.body as Window);
    expect(windows.every((window) => Object.keys(window).sort().join() === [...SDK_FIELDS].sort().join())).toBe(true);
    // Each request asks one millisecond before its first UTC midnight (a `from` that may be exclusive) up to its
    // end: the next month's first midnight, or now for the current month.
    const firstDayMs = windows[0]!.from + 1;
    expect(firstDayMs % DAY_MS).toBe(0);
    expect(nowMs - firstDayMs).toBeGreaterThan(364 * DAY_MS);
    expect(nowMs - firstDayMs).toBeLessThan(365 * DAY_MS);
    expect(windows.length).toBeGreaterThanOrEqual(12);
    windows.forEach((window, index) => {
      const startMs = window.from + 1;
      expect(startMs % DAY_MS).toBe(0);
      if (index > 0) {
        expect(startMs, "the next request starts where the previous one ended").toBe(windows[index - 1]!.to);
        expect(new Date(startMs).getUTCDate(), "chunks begin at month starts").toBe(1);
      }
      expect(window.to - startMs).toBeLessThanOrEqual(31 * DAY_MS);
    });
    expect(windows.at(-1)!.to).toBeGreaterThanOrEqual(nowMs);

    // The same samples, answered in one request by an emulator without the cap (the capped one refuses it).
    const whole = { ...windows[0], from: firstDayMs, to: windows.at(-1)!.to };
    expect((await analyticsAnswer(capped, whole)).status).toBe(400);
    const uncapped = await emulatorAt(nowMs);
    const { analytics } = (await (await analyticsAnswer(uncapped, whole)).json()) as { analytics: JsonObject[] };
    const rows = records(result, "analytics");
    expect(rows.length).toBeGreaterThan(365);
    expect(rows.map(({ id: _id, ...row }) => row)).toEqual(analytics);
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);

    const inWindow = capped.store.analyticsSamples.filter((sample) => sample.createdMs >= whole.from && sample.createdMs <= whole.to);
    expect(rows.reduce((sum, row) => sum + Number(row.cnt), 0)).toBe(inWindow.reduce((sum, sample) => sum + sample.count, 0));
  });

  it("a Descope whose days are not UTC days fails the stream instead of delivering split days", async () => {
    const nowMs = Date.now();
    const emulator = await emulatorAt(nowMs);
    // The first month the stream asks for, as a project bucketing days in UTC−5 would answer it.
    const firstDayMs = nowMs - (nowMs % DAY_MS) - 364 * DAY_MS;
    const nextMonthMs = Date.UTC(new Date(firstDayMs).getUTCFullYear(), new Date(firstDayMs).getUTCMonth() + 1, 1);
    const firstMonth = { from: firstDayMs, to: nextMonthMs - 1, groupByCreated: "d", groupByAction: true };
    const { analytics } = (await (await analyticsAnswer(emulator, firstMonth)).json()) as { analytics: JsonObject[] };
    const shifted = analytics.map((row) => ({ ...row, created: String(Number(row.created) + 5 * 3600 * 1000) }));
    emulator.faults.add({ kind: "status", status: 200, body: { analytics: shifted }, match: PATH });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["analytics"]) });
    expect(result.exitCode).toBe(1);
    expect(streamStatuses(result, "analytics").at(-1)).toBe("INCOMPLETE");
    expect(records(result, "analytics")).toEqual([]);
  });
});
