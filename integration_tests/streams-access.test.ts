/**
 * The "who can access what" streams of issue #13 (SSO settings, tenant settings, inbound apps and consents,
 * outbound apps, flows, ReBAC relations) and the groups key of issue #9: records equal the emulator's data, pages
 * are followed to Descope's total, a project without a feature reads as empty, and no secret reaches stdout.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../src/cdk/protocol.js";
import { SEEDED_SECRET_PREFIX } from "./emulator/seed-access.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "./emulator/server.js";
import { EXPECTED_RECORDS, keyedRows } from "./helpers/expected-records.js";
import { configuredCatalog, emulatorConfig, errorTraces, logs, records, runConnector, streamStatuses, type RunResult } from "./helpers/connector.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const ACCESS_STREAMS = [
  "tenant_sso_settings",
  "tenant_settings",
  "inbound_apps",
  "inbound_app_consents",
  "outbound_apps",
  "flows",
  "authz_relations",
];
const CONSENTS_PATH = "/v1/mgmt/thirdparty/consents/search";
const APPS_PATH = "/v2/mgmt/thirdparty/apps/load";

/** Records as they travel as JSON: fields holding `undefined` in the store are simply absent. */
const asJson = <T>(rows: T): T => JSON.parse(JSON.stringify(rows)) as T;

function byKey(rows: readonly object[], key: string[]): Map<string, JsonObject> {
  const keyed = new Map((rows as JsonObject[]).map((row) => [JSON.stringify(key.map((field) => row[field])), row]));
  expect(keyed.size, `duplicate ${key.join("+")} keys`).toBe(rows.length);
  return keyed;
}

async function read(options: EmulatorOptions, streams = ACCESS_STREAMS): Promise<RunResult> {
  emulator = await startEmulator({ users: 200, testUsers: 10, tenants: 6, auditEvents: 10, ...options });
  return runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(streams) });
}

/** What the connector promises for secrets: the seeded ones never appear, anywhere in stdout. */
function expectNoSeededSecret(result: RunResult): void {
  expect(result.stdout).not.toContain(SEEDED_SECRET_PREFIX);
  expect(result.stdout).not.toMatch(/"clientSecret"|"client_secret","value"/);
}

describe("access streams: records equal the emulator's data", () => {
  it("all seven, keyed as discovered, without a secret on stdout", async () => {
    const result = await read({});
    expect(result.exitCode).toBe(0);
    for (const stream of ACCESS_STREAMS) expect(streamStatuses(result, stream), stream).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    const store = emulator!.store;
    const { access } = store;
    for (const stream of ACCESS_STREAMS) {
      const expectation = EXPECTED_RECORDS[stream]!;
      expect(keyedRows(records(result, stream), expectation), stream).toEqual(keyedRows(await expectation.expected(emulator!), expectation));
    }
    // The awkward cases the data must hold for that comparison to mean something.
    expect(new Set(store.tenants.map((tenant) => store.ssoConfigurationsOf(tenant.id).length))).toEqual(new Set([0, 1, 2]));
    expect(
      store.tenants.some((tenant) =>
        store.ssoConfigurationsOf(tenant.id).some((configuration) => typeof configuration.oidc?.clientSecret === "string"),
      ),
    ).toBe(true);
    expect(access.consents.length).toBeGreaterThan(100);
    expect(access.outboundApps.some((app) => app.clientSecret)).toBe(true);

    // Relations of every user, test users included, over several namespaces; the key is stable across runs.
    const relations = records(result, "authz_relations");
    expect(new Set(access.relations.map((relation) => relation.namespace)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(relations.map((relation) => relation.id)).size).toBe(relations.length);
    const again = await runConnector("read", { config: emulatorConfig(emulator!), catalog: configuredCatalog(["authz_relations"]) });
    expect(new Set(records(again, "authz_relations").map((relation) => relation.id))).toEqual(new Set(relations.map((relation) => relation.id)));

    expectNoSeededSecret(result);
    // Never a secret or token endpoint, never a flow export.
    expect(emulator!.requests.filter((request) => /secret|token|export/.test(request.path))).toEqual([]);

    const discover = await runConnector("discover", { config: emulatorConfig(emulator!) });
    const keys = Object.fromEntries(
      discover.messages.flatMap((m) => (m.type === "CATALOG" ? m.catalog.streams.map((s) => [s.name, s.source_defined_primary_key]) : [])),
    );
    expect(keys).toMatchObject({
      tenant_sso_settings: [["tenantId"], ["ssoId"]],
      tenant_settings: [["tenantId"]],
      inbound_apps: [["id"]],
      inbound_app_consents: [["id"]],
      outbound_apps: [["id"]],
      flows: [["id"]],
      authz_relations: [["id"]],
      groups: [["tenantId"], ["ssoId"], ["id"]],
    });
  });

  it("consents and apps are read page by page up to Descope's total, also when the server caps the page size", async () => {
    // Over a hundred pages: the emulator's rate limit is not what this test is about.
    const result = await read({ thirdPartyMaxPageSize: 2, rateLimits: false }, ["inbound_apps", "inbound_app_consents"]);
    expect(result.exitCode).toBe(0);
    const { access } = emulator!.store;
    expect(byKey(records(result, "inbound_app_consents"), ["id"])).toEqual(byKey(asJson(access.consents), ["id"]));
    expect(byKey(records(result, "inbound_apps"), ["id"])).toEqual(byKey(asJson(access.inboundApps), ["id"]));
    const pages = (path: string) =>
      emulator!.requests.filter((request) => request.path === path).map((request) => (request.body as { page: number }).page);
    expect(pages(CONSENTS_PATH)).toEqual([...Array(Math.ceil(access.consents.length / 2)).keys()]);
    expect(pages(APPS_PATH)).toEqual([0, 1, 2]);
    expect(logs(result).some((log) => log.message.includes(`${access.consents.length} distinct of Descope's total ${access.consents.length}`))).toBe(
      true,
    );
  });

  it("a page that loses rows against the total fails the stream loudly instead of ending short", async () => {
    emulator = await startEmulator({ users: 200, testUsers: 10, tenants: 3, auditEvents: 10 });
    // The second page comes back empty, as if rows vanished under the paging: the total no longer adds up.
    emulator.onRequest((request) => {
      if (request.path === CONSENTS_PATH && (request.body as { page: number }).page === 1) {
        emulator!.faults.add({ kind: "status", status: 200, body: { total: emulator!.store.access.consents.length }, match: CONSENTS_PATH });
      }
    });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["inbound_app_consents", "flows"]) });
    expect(result.exitCode).toBe(1);
    expect(streamStatuses(result, "inbound_app_consents").at(-1)).toBe("INCOMPLETE");
    expect(streamStatuses(result, "flows").at(-1)).toBe("COMPLETE");
    expect(
      errorTraces(result)
        .map((error) => error.message)
        .join("\n"),
    ).toMatch(/reported \d+ rows but paging delivered 100/);
  });

  it("an older deployment without the v2 apps route is read through GET /v1/mgmt/thirdparty/apps/load", async () => {
    const result = await read({ inboundAppsV1Only: true }, ["inbound_apps"]);
    expect(result.exitCode).toBe(0);
    expect(byKey(records(result, "inbound_apps"), ["id"])).toEqual(byKey(asJson(emulator!.store.access.inboundApps), ["id"]));
    expect(emulator!.requests.map((request) => `${request.method} ${request.path}`)).toContain("GET /v1/mgmt/thirdparty/apps/load");
  });
});

describe("a project without a feature", () => {
  it("reads inbound apps, consents, outbound apps, flows and relations as empty, one LOG line each, exit 0", async () => {
    const disabled = ["inbound_apps", "inbound_app_consents", "outbound_apps", "flows", "authz_relations"];
    const result = await read({ disabledFeatures: ["inboundApps", "outboundApps", "flows", "authz"] }, disabled);
    expect(result.exitCode).toBe(0);
    for (const stream of disabled) {
      expect(streamStatuses(result, stream), stream).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
      expect(records(result, stream), stream).toEqual([]);
      expect(
        logs(result).filter((log) => log.message.startsWith(`${stream}: `) && log.message.includes("not enabled")),
        stream,
      ).toHaveLength(1);
    }
    expect(logs(result).filter((log) => log.level === "WARN" || log.level === "ERROR")).toEqual([]);
    // ReBAC is judged on its first call, not after a fan-out over every user.
    expect(emulator!.requests.filter((request) => request.path === "/v1/mgmt/authz/re/targets").length).toBeLessThanOrEqual(4);
  });

  it("any other 400 is not taken for a missing feature: the stream fails", async () => {
    emulator = await startEmulator({ users: 50, tenants: 2, auditEvents: 10 });
    emulator.faults.add({
      kind: "status",
      status: 400,
      body: { errorCode: "E011003", errorDescription: "Request is invalid", errorMessage: "unknown field" },
      match: "/v1/mgmt/outbound/apps",
    });
    const result = await runConnector("read", { config: emulatorConfig(emulator), catalog: configuredCatalog(["outbound_apps"]) });
    expect(result.exitCode).toBe(1);
    expect(streamStatuses(result, "outbound_apps").at(-1)).toBe("INCOMPLETE");
  });

  it('"not enabled" after the first answer is a failure, not an empty stream: relations and consents cut short fail', async () => {
    emulator = await startEmulator({ users: 250, testUsers: 10, tenants: 3, auditEvents: 10 });
    const notEnabled = (path: string) => ({
      kind: "status" as const,
      status: 400,
      match: path,
      body: { errorCode: "E011003", errorDescription: "Request is invalid", errorMessage: "feature is not enabled for this project" },
    });
    const calls = new Map<string, number>();
    emulator.onRequest((request) => {
      const count = (calls.get(request.path) ?? 0) + 1;
      calls.set(request.path, count);
      if (count === 2 && (request.path === "/v1/mgmt/authz/re/targets" || request.path === CONSENTS_PATH))
        emulator!.faults.add(notEnabled(request.path));
    });
    const result = await runConnector("read", {
      config: emulatorConfig(emulator),
      catalog: configuredCatalog(["authz_relations", "inbound_app_consents"]),
    });
    expect(result.exitCode).toBe(1);
    expect(streamStatuses(result, "authz_relations").at(-1)).toBe("INCOMPLETE");
    expect(streamStatuses(result, "inbound_app_consents").at(-1)).toBe("INCOMPLETE");
  });

  it("an empty project answers empty lists: every access stream COMPLETE with no records and no warning", async () => {
    const result = await read({ emptyProject: true });
    expect(result.exitCode).toBe(0);
    for (const stream of ACCESS_STREAMS) {
      expect(streamStatuses(result, stream), stream).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
      expect(records(result, stream), stream).toEqual([]);
    }
    expect(logs(result).filter((log) => log.level === "WARN" || log.level === "ERROR")).toEqual([]);
  });
});

describe("groups keyed by (tenantId, ssoId, id)", () => {
  it('ids repeating across a tenant\'s SSO configurations are separate records, and a missing ssoId reads as ""', async () => {
    const result = await read({}, ["groups"]);
    expect(result.exitCode).toBe(0);
    const groups = records(result, "groups");
    expect(byKey(groups, ["tenantId", "ssoId", "id"])).toEqual(byKey(asJson(emulator!.store.groups), ["tenantId", "ssoId", "id"]));
    const perTenantAndId = new Map<string, Set<unknown>>();
    for (const group of groups) {
      const key = `${group.tenantId}/${group.id}`;
      perTenantAndId.set(key, (perTenantAndId.get(key) ?? new Set()).add(group.ssoId));
    }
    expect([...perTenantAndId.values()].some((ssoIds) => ssoIds.size === 2)).toBe(true);
    expect(groups.filter((group) => group.ssoId === "")).toHaveLength(1);
  });
});
