/**
 * What a complete read of each stream must deliver, derived from the emulator's store (and, for windows the
 * connector chooses, from its request log): one entry per stream, keyed like the stream's records. A stream added
 * to the connector needs one entry here; `strict-mode.test.ts` fails for a discovered stream without one.
 */
import type { JsonObject } from "../../src/cdk/protocol.js";
import type { Emulator } from "../emulator/server.js";

export interface StreamExpectation {
  /** Fields that identify a record (the primary key, or the natural key where the key is a hash). */
  key: string[];
  /** Fields of a record left out of the comparison: synthetic hashes, whose inputs `key` already compares. */
  ignore?: string[];
  /** The records a complete read delivers now, as JSON (fields holding `undefined` are absent). */
  expected(emulator: Emulator): JsonObject[] | Promise<JsonObject[]>;
}

/** Records as they travel as JSON: fields holding `undefined` in the store are simply absent. */
export const asJson = (rows: readonly unknown[]) => JSON.parse(JSON.stringify(rows)) as JsonObject[];

const AUDIT_PATH = "/v1/mgmt/audit/search";

/**
 * The time range audit reads meant to cover, over every read in the request log: each request asks one
 * millisecond more on each side (Descope's bounds may be exclusive), so the range is one millisecond inside.
 */
export function auditRange(emulator: Emulator): { fromMs: number; toMs: number } {
  const bodies = emulator.requests.filter((request) => request.path === AUDIT_PATH).map((request) => request.body as { from: number; to: number });
  return { fromMs: Math.min(...bodies.map((body) => body.from)) + 1, toMs: Math.max(...bodies.map((body) => body.to)) - 1 };
}

/** The store's audit events in the range the reads covered, as the stream delivers them: with `occurredAt`. */
export function expectedAuditEvents(emulator: Emulator): JsonObject[] {
  const { fromMs, toMs } = auditRange(emulator);
  return asJson(emulator.store.auditEvents)
    .filter((event) => Number(event.occurred) >= fromMs && Number(event.occurred) <= toMs)
    .map((event) => ({ ...event, occurredAt: new Date(Number(event.occurred)).toISOString() }));
}

/**
 * The emulator's own answer for the whole window the stream read month by month: one request from the first
 * chunk's start to the last chunk's end, keeping the days the chunks meant (each asked one millisecond before its
 * first midnight, so the day before is not theirs).
 */
async function analyticsAnswer(emulator: Emulator): Promise<JsonObject[]> {
  const bodies = emulator.requests
    .filter((r) => r.path === "/v1/mgmt/analytics/search")
    .map((r) => r.body as JsonObject & { from: number; to: number });
  if (bodies.length === 0) return [];
  const fromMs = Math.min(...bodies.map((body) => body.from)) + 1;
  const toMs = Math.max(...bodies.map((body) => body.to));
  const answer = await fetch(`${emulator.url}/v1/mgmt/analytics/search`, {
    method: "POST",
    headers: { authorization: `Bearer ${emulator.projectId}:${emulator.managementKey}` },
    body: JSON.stringify({ ...bodies[0], from: fromMs - 1, to: toMs }),
  });
  const rows = ((await answer.json()) as { analytics?: JsonObject[] }).analytics ?? [];
  return rows.filter((row) => Number(row.created) >= fromMs && Number(row.created) < toMs);
}

const withoutFields = <T extends object>(row: T, ...fields: string[]) =>
  Object.fromEntries(Object.entries(row).filter(([field]) => !fields.includes(field)));

/** Each tenant's SSO configurations (none, one or two), with an OIDC `clientSecret` dropped and `ssoId` never null. */
function expectedSsoSettings({ store }: Emulator): JsonObject[] {
  const configurations = store.tenants.flatMap((tenant) =>
    store.ssoConfigurationsOf(tenant.id).map((configuration) => ({ tenantId: tenant.id, configuration })),
  );
  return asJson(configurations).map(({ tenantId, configuration }) => ({
    ...(configuration as JsonObject),
    ...((configuration as { oidc?: JsonObject }).oidc ? { oidc: withoutFields((configuration as { oidc: JsonObject }).oidc, "clientSecret") } : {}),
    tenantId,
    ssoId: (configuration as { ssoId?: string }).ssoId ?? "",
  })) as JsonObject[];
}

/** Outbound apps without their `clientSecret`, nor the value of a `client_secret` token URL parameter. */
function expectedOutboundApps({ store }: Emulator): JsonObject[] {
  return asJson(store.access.outboundApps).map((app) => ({
    ...withoutFields(app, "clientSecret"),
    ...(Array.isArray(app.tokenUrlParams)
      ? { tokenUrlParams: (app.tokenUrlParams as JsonObject[]).map((param) => (param.key === "client_secret" ? { key: param.key } : param)) }
      : {}),
  })) as JsonObject[];
}

/** Provider tokens as the stream delivers them with `include_provider_token_values: true`. */
function expectedProviderTokens(emulator: Emulator): JsonObject[] {
  const { store } = emulator;
  return asJson(
    [...store.users, ...store.testUsers].flatMap((user) =>
      Object.keys(user.OAuth ?? {}).flatMap((provider) => {
        const token = store.providerToken(user, provider);
        return token ? [{ ...token, loginId: user.loginIds[0] ?? user.userId }] : [];
      }),
    ),
  );
}

export const EXPECTED_RECORDS: Readonly<Record<string, StreamExpectation>> = {
  users: { key: ["userId"], expected: ({ store }) => asJson(store.users) },
  test_users: { key: ["userId"], expected: ({ store }) => asJson(store.testUsers) },
  login_history: {
    key: ["userId", "loginTime", "ip", "city", "country", "selectedTenant"],
    ignore: ["id"],
    expected: ({ store }) => asJson(store.loginsOf([...store.users, ...store.testUsers].map((user) => user.userId))),
  },
  provider_tokens: { key: ["userId", "provider"], expected: expectedProviderTokens },
  audit_events: { key: ["ID"], expected: expectedAuditEvents },
  tenants: { key: ["id"], expected: ({ store }) => asJson(store.tenants) },
  // Project roles come without tenantId; the stream sets "" so no key column is null.
  roles: { key: ["tenantId", "name"], expected: ({ store }) => asJson(store.roles).map((role) => ({ ...role, tenantId: role.tenantId ?? "" })) },
  permissions: { key: ["name"], expected: ({ store }) => asJson(store.permissions) },
  access_keys: { key: ["id"], expected: ({ store }) => asJson(store.accessKeys) },
  groups: { key: ["tenantId", "ssoId", "id"], expected: ({ store }) => asJson(store.groups) },
  sso_applications: { key: ["id"], expected: ({ store }) => asJson(store.ssoApps) },
  custom_attributes: { key: ["name"], expected: ({ store }) => asJson(store.customAttributes) },
  analytics: { key: ["created", "action", "device", "method", "geo", "tenant"], ignore: ["id"], expected: analyticsAnswer },
  tenant_sso_settings: { key: ["tenantId", "ssoId"], expected: expectedSsoSettings },
  tenant_settings: {
    key: ["tenantId"],
    expected: ({ store }) => store.tenants.map((tenant) => ({ ...asJson([store.tenantSettings(tenant)])[0], tenantId: tenant.id })),
  },
  inbound_apps: { key: ["id"], expected: ({ store }) => asJson(store.access.inboundApps) },
  inbound_app_consents: { key: ["id"], expected: ({ store }) => asJson(store.access.consents) },
  outbound_apps: { key: ["id"], expected: expectedOutboundApps },
  flows: { key: ["id"], expected: ({ store }) => asJson(store.access.flows) },
  // Relations are read per user: every relation whose target is a user, with that user's id added.
  authz_relations: {
    key: [
      "userId",
      "resource",
      "relationDefinition",
      "namespace",
      "target",
      "targetSetResource",
      "targetSetRelationDefinition",
      "targetSetRelationDefinitionNamespace",
    ],
    ignore: ["id"],
    expected: ({ store }) => asJson(store.access.relations).map((relation) => ({ ...relation, userId: relation.target })),
  },
};

/** Rows by their key, without the ignored fields; fails on a repeated key (a duplicate the key cannot tell apart). */
export function keyedRows(rows: readonly JsonObject[], expectation: StreamExpectation): Map<string, JsonObject> {
  const keyed = new Map<string, JsonObject>();
  for (const row of rows) {
    const kept = Object.fromEntries(Object.entries(row).filter(([field]) => !expectation.ignore?.includes(field)));
    const key = JSON.stringify(expectation.key.map((field) => row[field] ?? null));
    if (keyed.has(key)) throw new Error(`two records with the key ${expectation.key.join("+")} = ${key}`);
    keyed.set(key, kept);
  }
  return keyed;
}
