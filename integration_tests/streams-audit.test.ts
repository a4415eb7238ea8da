import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "./emulator/server.js";
import type { AuditEvent } from "./emulator/types.js";
import { auditRange, expectedAuditEvents } from "./helpers/expected-records.js";
import {
  configuredCatalog,
  emulatorConfig,
  errorTraces,
  logs,
  nextState,
  records,
  runConnector,
  stateMessages,
  streamStatuses,
} from "./helpers/connector.js";

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
}

function auditRequests(emu: Emulator): AuditRequest[] {
  return emu.requests.filter((request) => request.path === AUDIT_PATH).map((request) => request.body as AuditRequest);
}

/** The store's events in the range the reads covered, as the stream delivers them: oldest first, ties by ID. */
function expectedEvents(emu: Emulator): JsonObject[] {
  return expectedAuditEvents(emu).sort((a, b) => Number(a.occurred) - Number(b.occurred) || (String(a.ID) < String(b.ID) ? -1 : 1));
}

const ids = (rows: readonly JsonObject[]) => rows.map((row) => row.ID as string);
const summaryOf = (result: Awaited<ReturnType<typeof runConnector>>) => logs(result).find((log) => log.message.startsWith("audit_events: "))?.message;

async function auditEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ users: 100, tenants: 3, rateLimits: false, ...options });
}

/** A deployment whose pages come oldest first although the connector does not ask (it sends no `oldestFirst`). */
const oldestFirstByDefault = (emu: Emulator) =>
  void emu.onRequest((request) => {
    if (request.path === AUDIT_PATH) (request.body as JsonObject).oldestFirst = true;
  });

/** Every way Descope may plausibly answer audit search; the stream must deliver the same events under each. */
const DEPLOYMENTS: [string, EmulatorOptions, ((emu: Emulator) => void)?][] = [
  ["inclusive bounds, newest first (the docs' default)", {}],
  ["exclusive from", { exclusiveAuditFrom: true }],
  ["exclusive to", { exclusiveAuditTo: true }],
  ["pages oldest first", {}, oldestFirstByDefault],
  ["exclusive bounds, the ID as id, oldest first", { exclusiveAuditFrom: true, exclusiveAuditTo: true, auditIdField: "id" }, oldestFirstByDefault],
];

describe.each(DEPLOYMENTS)("audit_events against %s", (_name, deployment, setUp) => {
  const auditEmulatorAs = async (options: EmulatorOptions): Promise<Emulator> => {
    const emu = await auditEmulator({ ...options, ...deployment });
    setUp?.(emu);
    return emu;
  };

  it("a backfill of many windows delivers every event of the last 30 days once, each window checked against its total", async () => {
    emulator = await auditEmulatorAs({ auditEvents: 5000, seed: 3 });
    // Events on a window's first and last millisecond are the ones exclusive bounds would drop. Where the windows
    // fall is the stream's choice, so a stretch with an event on every millisecond is sure to hold some edges.
    const denseFromMs = Date.now() - 2 * DAY_MS;
    for (let i = 0; i < 12_000; i++) emulator.store.addAuditEvent({ occurred: String(denseFromMs + i) });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog });
    expect(result.exitCode).toBe(0);
    expect(streamStatuses(result, "audit_events")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    const range = auditRange(emulator);
    expect(range.fromMs).toBeGreaterThan(Date.now() - 30 * DAY_MS);
    expect(Date.now() - range.toMs).toBeGreaterThanOrEqual(60_000);
    const expected = expectedEvents(emulator);
    expect(expected.length).toBeGreaterThan(15_000);
    expect(records(result, "audit_events")).toEqual(expected);

    // Windows of at most 10 pages (a minute at 10 requests a minute), so the 30-day edge never overtakes one.
    const windows = new Map<string, number>();
    for (const request of auditRequests(emulator)) windows.set(`${request.from}-${request.to}`, request.page + 1);
    expect(windows.size).toBeGreaterThan(2);
    expect(Math.max(...windows.values())).toBeLessThanOrEqual(10);
    expect(summaryOf(result)).toMatch(/audit search: \d+ window\(s\) in \d+ request\(s\); Descope counted \d+, \d+ distinct came back/);
  });

  it("an incremental read after new events, some in the very millisecond the last one ended on, delivers each once", async () => {
    emulator = await auditEmulatorAs({ auditEvents: 1500, seed: 11 });
    const config = emulatorConfig(emulator);
    const first = await runConnector("read", { config, catalog });
    expect(first.exitCode).toBe(0);
    const firstIds = new Set(ids(records(first, "audit_events")));
    const cursorMs = (stateMessages(first, "audit_events").at(-1)!.stream.stream_state as { occurredMs: number }).occurredMs;

    // Written late into the millisecond the cursor stands on (an exclusive `from` at the cursor would skip them),
    // and after it.
    const fiveMinutesAgo = Date.now() - 5 * 60_000;
    const added = [cursorMs, cursorMs, fiveMinutesAgo, fiveMinutesAgo + 1].map((ms) => emulator!.store.addAuditEvent({ occurred: String(ms) }));
    const second = await runConnector("read", { config, catalog, state: nextState(first) });
    expect(second.exitCode).toBe(0);
    const secondIds = ids(records(second, "audit_events"));
    expect(secondIds).toEqual(expect.arrayContaining(added.map((event) => event.ID!)));
    expect(secondIds.filter((id) => firstIds.has(id))).toEqual([]);
    // Only events that were still inside the first read's one-minute lag may come along.
    expect(secondIds.length).toBeLessThanOrEqual(added.length + 2);
  });

  it("more events in one millisecond than fit on a page are all delivered, once each", async () => {
    emulator = await auditEmulatorAs({ auditEvents: 300 });
    const burstMs = Date.now() - 3 * DAY_MS;
    const burst = Array.from({ length: 2300 }, () => emulator!.store.addAuditEvent({ occurred: String(burstMs) }));
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog });
    expect(result.exitCode).toBe(0);
    const emitted = ids(records(result, "audit_events"));
    expect(new Set(emitted).size).toBe(emitted.length);
    expect(emitted).toEqual(expect.arrayContaining(burst.map((event) => event.ID!)));
    expect(records(result, "audit_events")).toEqual(expectedEvents(emulator));
  });

  it("a read resumed from a mid-sync STATE delivers the rest: nothing lost, nothing repeated", async () => {
    emulator = await auditEmulatorAs({ auditEvents: 18_000, seed: 5 });
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
});

describe("audit_events", () => {
  it("sends only page, size, from and to (one millisecond wide of the range), with an estimate and a summary", async () => {
    emulator = await auditEmulator({ auditEvents: 2500, rejectUnknownFields: true });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog });
    expect(result.exitCode).toBe(0);
    const requests = auditRequests(emulator);
    expect(requests.every((request) => Object.keys(request).sort().join() === "from,page,size,to")).toBe(true);
    const expected = expectedEvents(emulator);
    expect(requests.map((request) => request.page)).toEqual([0, 1]);
    expect(expected.length).toBeGreaterThan(1000);
    const estimate = result.messages.find((m) => m.type === "TRACE" && m.trace.type === "ESTIMATE" && m.trace.estimate.name === "audit_events");
    expect(estimate?.type === "TRACE" && estimate.trace.type === "ESTIMATE" && estimate.trace.estimate.row_estimate).toBe(expected.length);
    // The one window ends in one checkpoint at the last event's time.
    const states = stateMessages(result, "audit_events").map((state) => state.stream.stream_state as { occurredMs: number; readToMs: number });
    expect(states).toHaveLength(1);
    expect(states[0]).toMatchObject({ occurredMs: Number(expected.at(-1)!.occurred), readToMs: auditRange(emulator).toMs });
    expect(summaryOf(result)).toContain(
      `Descope counted ${expected.length}, ${expected.length} distinct came back (0 in the 1 ms margins of a window, 0 delivered by the last sync); pages came newest first (the read does not depend on order)`,
    );
  });

  it("a deployment that ignores page delivers fewer events than its total: an ERROR and a non-zero exit, not silent loss", async () => {
    emulator = await auditEmulator({ auditEvents: 2500 });
    emulator.onRequest((request) => {
      if (request.path === AUDIT_PATH) (request.body as AuditRequest).page = 0;
    });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog });
    expect(result.exitCode).toBe(1);
    expect(streamStatuses(result, "audit_events").at(-1)).toBe("INCOMPLETE");
    const [error] = errorTraces(result);
    expect(error?.message).toMatch(/Descope counted \d+ events between .* but 2 page\(s\) brought 1000 distinct ones/);
    expect(records(result, "audit_events")).toEqual([]);
  });

  it("a cursor older than Descope's 30 days is clamped, with a warning that events were lost between syncs", async () => {
    emulator = await auditEmulator({ auditEvents: 800 });
    const staleMs = Date.now() - 45 * DAY_MS;
    const state = [{ type: "STREAM", stream: { stream_descriptor: { name: "audit_events" }, stream_state: { occurredMs: staleMs } } }];
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog, state });
    expect(result.exitCode).toBe(0);
    const warnings = logs(result).filter((log) => log.level === "WARN" && log.message.includes("lost between syncs"));
    expect(warnings, JSON.stringify(warnings)).toHaveLength(1);
    expect(warnings[0]!.message).toContain(new Date(staleMs).toISOString());
    expect(auditRange(emulator).fromMs).toBeGreaterThan(Date.now() - 30 * DAY_MS);
    expect(records(result, "audit_events")).toEqual(expectedEvents(emulator));
  });

  it("a cursor on an old event ages out silently when the last sync had read up to a recent time", async () => {
    emulator = await auditEmulator({ auditEvents: 800 });
    const stream_state = { occurredMs: Date.now() - 31 * DAY_MS, readToMs: Date.now() - DAY_MS };
    const state = [{ type: "STREAM", stream: { stream_descriptor: { name: "audit_events" }, stream_state } }];
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog, state });
    expect(result.exitCode).toBe(0);
    expect(logs(result).filter((log) => log.level === "WARN")).toEqual([]);
  });

  it("the record ID sent as id is the key, delivered as ID", async () => {
    emulator = await auditEmulator({ auditEvents: 600, auditIdField: "id" });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog });
    expect(result.exitCode).toBe(0);
    expect(records(result, "audit_events")).toEqual(expectedEvents(emulator));
  });

  it("without Descope IDs, events are keyed by a hash and still checked against the total", async () => {
    emulator = await auditEmulator({ auditEvents: 1200, auditIds: false });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog });
    expect(result.exitCode).toBe(0);
    const expected = emulator.store.auditEvents.filter((event: AuditEvent) => {
      const { fromMs, toMs } = auditRange(emulator!);
      return Number(event.occurred) >= fromMs && Number(event.occurred) <= toMs;
    });
    const emitted = records(result, "audit_events");
    expect(new Set(ids(emitted)).size).toBe(expected.length);
    expect(emitted.every((event) => /^[0-9a-f]{32}$/.test(event.ID as string))).toBe(true);
  });

  it("a backfill of many windows paces itself to 10 requests a minute and never meets a 429 (time scaled 100×)", async () => {
    // 0.01 scale: the connector's one-minute budget window lasts about 600 ms; the emulator enforces 10 per 450 ms.
    // The slack stands for the time between the connector's clock and the server's (HTTP, and a test worker that
    // is busy when a request arrives). Without pacing, the pages would go out at once and most would get 429s.
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
    expect(records(result, "audit_events")).toEqual(expectedEvents(emulator));
  });
});
