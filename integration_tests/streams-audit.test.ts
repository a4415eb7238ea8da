import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "./emulator/server.js";
import { configuredCatalog, emulatorConfig, logs, nextState, records, runConnector, stateMessages, streamStatuses } from "./helpers/connector.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const DAY_MS = 24 * 3600 * 1000;
const AUDIT_PATH = "/v1/mgmt/audit/search";
const catalog = configuredCatalog(["audit_events"], "incremental");

interface AuditRequest {
  from: number;
  to: number;
  page: number;
  size: number;
  oldestFirst: boolean;
}

function auditRequests(emu: Emulator): AuditRequest[] {
  return emu.requests.filter((request) => request.path === AUDIT_PATH).map((request) => request.body as AuditRequest);
}

/** The store's events a read should deliver: those in its window, [first `from`, `to`]. */
function eventsInWindow(emu: Emulator, window: { from: number; to: number }) {
  return emu.store.auditEvents.filter((event) => Number(event.occurred) >= window.from && Number(event.occurred) <= window.to);
}

const ids = (rows: readonly JsonObject[]) => rows.map((row) => row.ID as string);

async function auditEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ users: 100, tenants: 3, rateLimits: false, ...options });
}

describe("audit_events", () => {
  it("reads the last 30 days oldest first, once each, as Descope returns them, with an estimate and the occurred time as a timestamp", async () => {
    emulator = await auditEmulator({ auditEvents: 2500 });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog });
    expect(result.exitCode).toBe(0);
    expect(streamStatuses(result, "audit_events")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    const [first] = auditRequests(emulator);
    expect(first).toMatchObject({ page: 0, size: 1000, oldestFirst: true });
    expect(first!.from).toBeGreaterThan(Date.now() - 30 * DAY_MS);
    expect(Date.now() - first!.to).toBeGreaterThanOrEqual(60_000);
    // The window's end never moves during the sync.
    expect(new Set(auditRequests(emulator).map((request) => request.to)).size).toBe(1);

    const expected = eventsInWindow(emulator, first!);
    expect(expected.length).toBeGreaterThan(1000);
    const events = records(result, "audit_events");
    expect(events).toEqual(expected.map((event) => ({ ...event, occurredAt: new Date(Number(event.occurred)).toISOString() })));
    const estimate = result.messages.find((m) => m.type === "TRACE" && m.trace.type === "ESTIMATE" && m.trace.estimate.name === "audit_events");
    expect(estimate?.type === "TRACE" && estimate.trace.type === "ESTIMATE" && estimate.trace.estimate.row_estimate).toBe(expected.length);
    // One checkpoint per full page, then the final one at the last event's time.
    const states = stateMessages(result, "audit_events").map((state) => state.stream.stream_state as { occurredMs: number });
    expect(states.length).toBe(auditRequests(emulator).length);
    expect(states.at(-1)!.occurredMs).toBe(Number(expected.at(-1)!.occurred));
  });

  it("a second incremental read returns only the events written since the first", async () => {
    emulator = await auditEmulator({ auditEvents: 1500, seed: 11 });
    const config = emulatorConfig(emulator);
    const first = await runConnector("read", { config, catalog });
    expect(first.exitCode).toBe(0);
    const firstIds = new Set(ids(records(first, "audit_events")));

    const fiveMinutesAgo = Date.now() - 5 * 60_000;
    const added = [0, 1, 2].map((i) => emulator!.store.addAuditEvent({ occurred: String(fiveMinutesAgo + i) }));
    const second = await runConnector("read", { config, catalog, state: nextState(first) });
    expect(second.exitCode).toBe(0);
    const secondIds = ids(records(second, "audit_events"));
    expect(secondIds).toEqual(expect.arrayContaining(added.map((event) => event.ID!)));
    expect(secondIds.filter((id) => firstIds.has(id))).toEqual([]);
    // Only events that were still inside the first read's one-minute lag may come along.
    expect(secondIds.length).toBeLessThanOrEqual(added.length + 2);
    expect(stateMessages(second, "audit_events").at(-1)!.stream.stream_state).toMatchObject({ occurredMs: fiveMinutesAgo + 2 });
  });

  it("a cursor older than Descope's 30 days is clamped, with a warning that events were lost between syncs", async () => {
    emulator = await auditEmulator({ auditEvents: 800 });
    const staleMs = Date.now() - 45 * DAY_MS;
    const state = [{ type: "STREAM", stream: { stream_descriptor: { name: "audit_events" }, stream_state: { occurredMs: staleMs } } }];
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog, state });
    expect(result.exitCode).toBe(0);
    expect(streamStatuses(result, "audit_events")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    const warnings = logs(result).filter((log) => log.level === "WARN" && log.message.includes("lost between syncs"));
    expect(warnings, JSON.stringify(warnings)).toHaveLength(1);
    expect(warnings[0]!.message).toContain(new Date(staleMs).toISOString());
    const [first] = auditRequests(emulator);
    expect(first!.from).toBeGreaterThan(Date.now() - 30 * DAY_MS);
    expect(ids(records(result, "audit_events"))).toEqual(ids(eventsInWindow(emulator, first!) as unknown as JsonObject[]));
  });

  it("more events in one millisecond than fit on a page are all delivered, once each", async () => {
    emulator = await auditEmulator({ auditEvents: 300 });
    const burstMs = Date.now() - 3 * DAY_MS;
    const burst = Array.from({ length: 2300 }, () => emulator!.store.addAuditEvent({ occurred: String(burstMs) }));
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog });
    expect(result.exitCode).toBe(0);
    const emitted = ids(records(result, "audit_events"));
    expect(new Set(emitted).size).toBe(emitted.length);
    expect(emitted).toEqual(expect.arrayContaining(burst.map((event) => event.ID!)));
    expect(emitted).toHaveLength(eventsInWindow(emulator, auditRequests(emulator)[0]!).length);
    expect(auditRequests(emulator).some((request) => request.page > 0)).toBe(true);
  });

  it("a read resumed from a mid-sync STATE delivers the rest: nothing lost, nothing repeated", async () => {
    emulator = await auditEmulator({ auditEvents: 4000, seed: 5 });
    const config = emulatorConfig(emulator);
    const full = await runConnector("read", { config, catalog });
    const midState = stateMessages(full, "audit_events")[1]!;
    const ordered = full.messages.filter((m) => m.type === "RECORD" || m.type === "STATE");
    const upTo = ordered.findIndex((m) => m.type === "STATE" && m.state === midState);
    const delivered = ordered.slice(0, upTo).flatMap((m) => (m.type === "RECORD" ? [m.record.data] : []));
    expect(delivered.length).toBeGreaterThan(1000);

    const resumed = await runConnector("read", { config, catalog, state: [midState] });
    expect(resumed.exitCode).toBe(0);
    expect([...ids(delivered), ...ids(records(resumed, "audit_events"))]).toEqual(ids(records(full, "audit_events")));
  });

  it("a backfill of many pages paces itself to 10 requests a minute and never meets a 429 (time scaled 100×)", async () => {
    // 0.01 scale: the connector's one-minute budget window lasts about 600 ms; the emulator enforces 10 per 450 ms.
    // The slack stands for the time between the connector's clock and the server's (HTTP, and a test worker that
    // is busy when a request arrives). Without pacing, the 16 pages would go out at once and most would get 429s.
    emulator = await startEmulator({ users: 100, tenants: 3, auditEvents: 16_000, rateLimits: { audit: { limit: 10, windowMs: 450 } } });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator),
      catalog,
      env: { SOURCE_DESCOPE_TIME_SCALE: "0.01" },
    });
    expect(result.exitCode).toBe(0);
    const requests = emulator.requests.filter((request) => request.path === AUDIT_PATH);
    expect(requests.length).toBeGreaterThan(10);
    expect(emulator.rateLimitHits.audit).toBe(0);
    for (let i = 10; i < requests.length; i++) expect(requests[i]!.at - requests[i - 10]!.at).toBeGreaterThanOrEqual(450);
    const emitted = ids(records(result, "audit_events"));
    expect(new Set(emitted).size).toBe(emitted.length);
    expect(emitted).toHaveLength(eventsInWindow(emulator, auditRequests(emulator)[0]!).length);
  });
});
