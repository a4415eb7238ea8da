/**
 * Fidelity of the access endpoints (issue #13): the official @descope/node-sdk, pointed at the emulator, parses
 * SSO settings, tenant settings, inbound apps and consents, outbound apps, flows and ReBAC relations into exactly
 * the data the emulator's store holds.
 */
import DescopeClient from "@descope/node-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "./index.js";

let emu: Emulator;
let management: ReturnType<typeof DescopeClient>["management"];

beforeAll(async () => {
  emu = await startEmulator({ users: 200, testUsers: 5, tenants: 6, auditEvents: 10, rateLimits: false });
  management = DescopeClient({ projectId: emu.projectId, managementKey: emu.managementKey, baseUrl: emu.url }).management;
});
afterAll(() => emu.close());

function data<T>(response: { ok: boolean; data?: T; error?: unknown }): T {
  expect(response.error).toBeUndefined();
  expect(response.ok).toBe(true);
  return response.data as T;
}

const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("node-sdk reads the access endpoints", () => {
  it("loads every SSO configuration of tenants with none, one and two (SSOSettings, renamed as the SDK does)", async () => {
    const counts = [];
    for (const tenant of emu.store.tenants) {
      const configurations = data(await management.sso.loadAllSettings(tenant.id));
      const expected = asJson(emu.store.ssoConfigurationsOf(tenant.id)).map(({ oidc, saml, ...rest }) => ({
        ...rest,
        ...(saml
          ? {
              saml: {
                ...saml,
                groupsMapping: (saml.groupsMapping as { role: { name: string }; groups: string[] }[]).map(({ role, groups }) => ({
                  groups,
                  roleName: role.name,
                })),
              },
            }
          : {}),
        ...(oidc ? { oidc: (({ userAttrMapping, ...other }) => ({ ...other, attributeMapping: userAttrMapping }))(oidc) } : {}),
      }));
      expect(configurations).toEqual(expected);
      counts.push(configurations.length);
    }
    expect(new Set(counts)).toEqual(new Set([0, 1, 2]));
  });

  it("loads tenant settings with step-up and inactivity fields", async () => {
    for (const tenant of emu.store.tenants)
      expect(data(await management.tenant.getSettings(tenant.id))).toEqual(asJson(emu.store.tenantSettings(tenant)));
  });

  it("loads inbound apps (v1 GET) and searches consents page by page", async () => {
    expect(data(await management.inboundApplication.loadAllApplications())).toEqual(asJson(emu.store.access.inboundApps));
    const { consents } = emu.store.access;
    expect(consents.length).toBeGreaterThan(100);
    const pages = [
      data(await management.inboundApplication.searchConsents({ page: 0 })),
      data(await management.inboundApplication.searchConsents({ page: 1 })),
    ];
    expect(pages.flat()).toEqual(asJson(consents.slice(0, 200)));
    const app = consents[0].appId;
    expect(data(await management.inboundApplication.searchConsents({ appId: app }))).toEqual(
      asJson(consents.filter((c) => c.appId === app).slice(0, 100)),
    );
  });

  it("loads outbound apps, lists flows with their total and reads relations of a batch of users", async () => {
    expect(data(await management.outboundApplication.loadAllApplications())).toEqual(asJson(emu.store.access.outboundApps));
    expect(data(await management.flow.list())).toEqual({ flows: asJson(emu.store.access.flows), total: emu.store.access.flows.length });
    const userIds = emu.store
      .allUsersInOrder()
      .slice(0, 100)
      .map((user) => user.userId);
    const relations = data(await management.authz.targetsRelations(userIds));
    expect(relations).toEqual(asJson(emu.store.relationsOfTargets(userIds)));
    expect(new Set(relations.map((relation) => relation.namespace)).size).toBeGreaterThanOrEqual(3);
  });
});
