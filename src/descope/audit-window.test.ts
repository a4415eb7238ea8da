import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../integration_tests/emulator/index.js";
import { AuditReadTally, readAuditWindow } from "./audit-window.js";
import { DescopeClient } from "./client.js";

const DAY_MS = 24 * 3600 * 1000;
const AUDIT_PATH = "/v1/mgmt/audit/search";
const NO_MAX = Number.POSITIVE_INFINITY;

let emulator: Emulator | undefined;
let client: DescopeClient | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  [client, emulator] = [undefined, undefined];
});

/** An in-process emulator and a client for it; no pacing (the emulator enforces no limits here). */
async function connect(options: EmulatorOptions = {}): Promise<{ emu: Emulator; client: DescopeClient }> {
  emulator = await startEmulator({ users: 20, tenants: 2, auditEvents: 0, rateLimits: false, ...options });
  client = new DescopeClient({
    projectId: emulator.projectId,
    managementKey: emulator.managementKey,
    baseUrl: emulator.url,
    requestTimeoutMs: 10_000,
    maxRetries: 0,
    requestsPerMinute: { userSearch: 1e6, management: 1e6, audit: 1e6 },
    maxConnections: 2,
    log: { info: () => {}, warn: () => {} },
  });
  return { emu: emulator, client };
}

/** A window with events on its first and last millisecond and just outside both, and a dense middle. */
function seedWindow(emu: Emulator): { fromMs: number; toMs: number; inside: string[] } {
  const fromMs = Date.now() - 2 * DAY_MS;
  const toMs = fromMs + 2_499;
  for (let ms = fromMs - 2; ms <= toMs + 2; ms++) emu.store.addAuditEvent({ occurred: String(ms) });
  const inside = emu.store.auditEvents.filter((e) => Number(e.occurred) >= fromMs && Number(e.occurred) <= toMs).map((e) => e.ID!);
  return { fromMs, toMs, inside };
}

describe("readAuditWindow", () => {
  it.each<[string, EmulatorOptions]>([
    ["inclusive bounds", {}],
    ["exclusive from and to, the ID as id", { exclusiveAuditFrom: true, exclusiveAuditTo: true, auditIdField: "id" }],
  ])("delivers exactly the window's events, edges included, oldest first (%s)", async (_name, options) => {
    const { emu, client } = await connect(options);
    const { fromMs, toMs, inside } = seedWindow(emu);
    const tally = new AuditReadTally();
    const window = await readAuditWindow(client, { fromMs, toMs, maxEvents: NO_MAX }, tally);
    expect(window.events.map((event) => event.ID)).toEqual(inside);
    expect(tally).toMatchObject({ windows: 1, requests: 3, distinct: window.total, outsideBounds: window.total! - inside.length });
  });

  it("a window holding more than maxEvents costs one request and says so", async () => {
    const { emu, client } = await connect();
    const { fromMs, toMs } = seedWindow(emu);
    const window = await readAuditWindow(client, { fromMs, toMs, maxEvents: 1000 }, new AuditReadTally());
    expect(window).toMatchObject({ tooMany: true, events: [] });
    expect(emu.requests.filter((request) => request.path === AUDIT_PATH)).toHaveLength(1);
  });

  it("a deployment that caps the page size below 1000 is read to the end by its total", async () => {
    const { emu, client } = await connect();
    const { fromMs, toMs, inside } = seedWindow(emu);
    emu.onRequest((request) => {
      (request.body as { size: number }).size = 300;
    });
    const window = await readAuditWindow(client, { fromMs, toMs, maxEvents: NO_MAX }, new AuditReadTally());
    expect(window.events.map((event) => event.ID)).toEqual(inside);
    expect(emu.requests.filter((request) => request.path === AUDIT_PATH).length).toBe(Math.ceil(window.total! / 300));
  });

  it("a deployment that ignores page fails with the numbers instead of losing events", async () => {
    const { emu, client } = await connect();
    const { fromMs, toMs } = seedWindow(emu);
    emu.onRequest((request) => {
      (request.body as { page: number }).page = 0;
    });
    await expect(readAuditWindow(client, { fromMs, toMs, maxEvents: NO_MAX }, new AuditReadTally())).rejects.toThrow(
      /Descope counted 2502 events .* but 2 page\(s\) brought 1000 distinct ones \(2000 in all\)/,
    );
  });

  it("a window whose total changes while it is read is read again, and nothing is lost", async () => {
    const { emu, client } = await connect();
    const { fromMs, toMs } = seedWindow(emu);
    let pages = 0;
    emu.onRequest((request) => {
      if (request.path === AUDIT_PATH && ++pages === 2) emu.store.addAuditEvent({ occurred: String(fromMs + 7) });
    });
    const tally = new AuditReadTally();
    const window = await readAuditWindow(client, { fromMs, toMs, maxEvents: NO_MAX }, tally);
    const inside = emu.store.auditEvents.filter((e) => Number(e.occurred) >= fromMs && Number(e.occurred) <= toMs).map((e) => e.ID!);
    expect(window.events.map((event) => event.ID).sort()).toEqual([...inside].sort());
    expect(tally.rereads).toBe(1);
  });

  it("events without an ID that are identical in every hashed field count against the total, kept once", async () => {
    const { emu, client } = await connect({ auditIds: false });
    const fromMs = Date.now() - DAY_MS;
    const twin = {
      occurred: String(fromMs + 5),
      userId: "U2twin",
      action: "LoginSucceed",
      actorId: "U2twin",
      remoteAddress: "1.2.3.4",
      device: "Bot",
      method: "otp",
    };
    emu.store.addAuditEvent(twin);
    emu.store.addAuditEvent(twin);
    const tally = new AuditReadTally();
    const window = await readAuditWindow(client, { fromMs, toMs: fromMs + 10, maxEvents: NO_MAX }, tally);
    expect(window.events).toHaveLength(1);
    expect(tally.identicalWithoutId).toBe(1);
    expect(tally.summary()).toContain("1 identical to another event and without an ID, kept once");
  });
});
