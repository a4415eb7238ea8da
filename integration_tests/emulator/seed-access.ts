/**
 * Seeded "who can access what" content: SSO configurations per tenant (and the groups they bring), third-party
 * (inbound) apps and their consents, outbound apps, flows and ReBAC relations. Wire shapes follow the SDKs
 * (go-sdk descope/types.go, authztypes.go; node-sdk lib/management/types.ts and sso.ts), with the awkward cases a
 * real project has: tenants with zero, one and two SSO configurations, group ids that repeat across them, a
 * group without `ssoId` (older deployments), more consents than one page, relations over several namespaces, and
 * secrets the API should not send but the connector must drop anyway (an outbound app's `clientSecret`, an OIDC
 * configuration's `clientSecret`). Drawn from its own derived PRNG so the rest of the seeded project is unchanged.
 */
import { Random } from "./random.js";
import type { DescopeUser, Group, Tenant } from "./types.js";

/** One entry of `GET /v2/mgmt/sso/settings/all` → `{"SSOSettings": [...]}` (go SSOTenantSettingsResponse). */
export interface SsoConfiguration {
  tenant: Tenant;
  ssoId?: string;
  saml?: Record<string, unknown>;
  oidc?: Record<string, unknown>;
}

export interface InboundApp {
  id: string;
  name: string;
  description?: string;
  logo?: string;
  loginPageUrl?: string;
  clientId: string;
  approvedCallbackUrls?: string[];
  permissionsScopes?: { name: string; description: string; values?: string[] }[];
  attributesScopes?: { name: string; description: string; values?: string[] }[];
}

/** Times in epoch seconds (go int32 fields, despite a doc comment that says milliseconds). */
export interface InboundAppConsent {
  id: string;
  appId: string;
  userId: string;
  scopes: string[];
  grantedBy: string;
  createdTime: number;
  tenantId?: string;
  expireTime?: number;
  modifiedTime?: number;
}

export interface OutboundApp {
  id: string;
  name: string;
  description?: string;
  templateId?: string;
  clientId?: string;
  logo?: string;
  discoveryUrl?: string;
  authorizationUrl?: string;
  authorizationUrlParams?: { key: string; value: string }[];
  tokenUrl?: string;
  tokenUrlParams?: { key: string; value: string }[];
  revocationUrl?: string;
  defaultScopes?: string[];
  defaultRedirectUrl?: string;
  callbackDomain?: string;
  pkce?: boolean;
  accessType?: "offline" | "online";
  prompt?: string[];
  /** Never sent by Descope on load (go CreateOutboundAppRequest only); one seeded app carries it anyway. */
  clientSecret?: string;
}

export interface FlowMetadata {
  id: string;
  name: string;
  description?: string;
  disabled?: boolean;
}

export interface AuthzRelation {
  resource: string;
  relationDefinition: string;
  namespace: string;
  target?: string;
  targetSetResource?: string;
  targetSetRelationDefinition?: string;
  targetSetRelationDefinitionNamespace?: string;
}

export interface AccessData {
  ssoConfigurationsByTenant: Map<string, SsoConfiguration[]>;
  groupsByTenant: Map<string, Group[]>;
  inboundApps: InboundApp[];
  consents: InboundAppConsent[];
  outboundApps: OutboundApp[];
  flows: FlowMetadata[];
  relations: AuthzRelation[];
}

/** The reserved id Descope reports for a tenant's first (default) SSO configuration (go types.go). */
export const DEFAULT_SSO_ID = "default_ssoid";
/** How many SSO configurations tenant i has: `counts[i % counts.length]`. */
export const DEFAULT_SSO_CONFIGS_PER_TENANT = [0, 1, 2] as const;
const DAY_S = 24 * 3600;
/** Secret values the connector must never print: tests search its whole stdout for them. */
export const SEEDED_SECRET_PREFIX = "emu-secret-";

function ssoConfiguration(random: Random, tenant: Tenant, ssoId: string, kind: "saml" | "oidc", seededAtS: number): SsoConfiguration {
  const domain = tenant.domains?.[0] ?? `${tenant.id.toLowerCase()}.example.com`;
  const configuration: SsoConfiguration = { tenant, ssoId };
  if (kind === "saml") {
    configuration.saml = {
      idpEntityId: `https://idp.${domain}/saml/${ssoId}`,
      idpSSOUrl: `https://idp.${domain}/sso/saml`,
      idpCertificate: `MIIC${random.base62(40)}`,
      spEntityId: `https://api.descope.com/emulator/${tenant.id}/${ssoId}`,
      spACSUrl: `https://api.descope.com/v1/auth/saml/acs/${ssoId}`,
      attributeMapping: { name: "displayName", email: "mail", group: "memberOf" },
      groupsMapping: [{ role: { id: `R2${random.base62(26)}`, name: "Viewer" }, groups: ["Everyone"] }],
      defaultSSORoles: ["Viewer"],
      redirectUrl: `https://app.${domain}/sso/callback`,
      lastSuccessTestTime: seededAtS - random.between(1, 90) * DAY_S,
    };
  } else {
    configuration.oidc = {
      name: `${tenant.name} OIDC`,
      clientId: `oidc-${random.base62(16)}`,
      // go-sdk: "will be empty on response". The emulator sends one anyway so the connector's drop is tested.
      clientSecret: `${SEEDED_SECRET_PREFIX}oidc-${random.base62(24)}`,
      authUrl: `https://idp.${domain}/oauth2/authorize`,
      tokenUrl: `https://idp.${domain}/oauth2/token`,
      userDataUrl: `https://idp.${domain}/oauth2/userinfo`,
      scope: ["openid", "email", "profile"],
      JWKsUrl: `https://idp.${domain}/oauth2/keys`,
      userAttrMapping: { loginId: "sub", email: "email", name: "name", group: "groups" },
      grantType: "authorization_code",
      issuer: `https://idp.${domain}`,
      manageProviderTokens: random.chance(0.5),
    };
  }
  return configuration;
}

/** SCIM/JIT groups per SSO configuration: "Everyone" repeats its id across configurations and tenants. */
function groupsOf(configurations: SsoConfiguration[], members: DescopeUser[], tenantIndex: number): Group[] {
  const asMembers = members.map((user) => ({ loginId: user.loginIds[0], userId: user.userId, display: user.name }));
  return configurations.flatMap(({ ssoId }, configIndex): Group[] => {
    const sso = ssoId ?? DEFAULT_SSO_ID;
    const groups: Group[] = [{ id: "00gEveryone", display: "Everyone", members: asMembers, source: "scim", ssoId: sso }];
    if (configIndex === 0)
      groups.push({ id: `00gAdmins${tenantIndex}`, display: "Admins", members: asMembers.slice(0, 1), source: "jit", ssoId: sso });
    if (configIndex === 1) groups.push({ id: `00gContractors${tenantIndex}`, display: "Contractors", source: "scim", ssoId: sso });
    return groups;
  });
}

function seedInboundApps(random: Random): InboundApp[] {
  const names = ["Partner Portal", "Analytics Connector", "Mobile Companion", "Support Desk", "CLI"];
  return names.map((name, index) => {
    const app: InboundApp = {
      id: `TPA${random.base62(26)}`,
      name,
      clientId: `TPC${random.base62(26)}`,
      permissionsScopes: [{ name: "read:reports", description: "Read reports", values: ["Read Reports"] }],
    };
    if (index % 2 === 0) app.description = `${name} (third-party)`;
    if (index !== 4) app.approvedCallbackUrls = [`https://${name.toLowerCase().replace(/\s+/g, "")}.example.com/callback`];
    if (index === 1) app.attributesScopes = [{ name: "profile", description: "Name and email", values: ["name", "email"] }];
    if (index === 2) app.logo = "https://logos.example.com/mobile.png";
    return app;
  });
}

function seedConsents(random: Random, apps: InboundApp[], users: DescopeUser[], seededAtS: number): InboundAppConsent[] {
  const consents: InboundAppConsent[] = [];
  for (const user of users) {
    // Roughly 1.3 consents per user, so a 200-user project has more than one page of 100.
    for (const app of apps) {
      if (!random.chance(0.26)) continue;
      const createdTime = Math.max(user.createdTime, seededAtS - random.between(1, 400) * DAY_S);
      const consent: InboundAppConsent = {
        id: `CNS${random.base62(26)}`,
        appId: app.id,
        userId: user.userId,
        scopes: random.chance(0.5) ? ["openid", "read:reports"] : ["openid"],
        grantedBy: random.chance(0.9) ? user.userId : "admin-console",
        createdTime,
      };
      const tenant = user.userTenants?.[0]?.tenantId;
      if (tenant) consent.tenantId = tenant;
      if (random.chance(0.3)) consent.modifiedTime = createdTime + random.int(seededAtS - createdTime + 1);
      if (random.chance(0.4)) consent.expireTime = createdTime + 365 * DAY_S;
      consents.push(consent);
    }
  }
  return consents;
}

function seedOutboundApps(random: Random): OutboundApp[] {
  return [
    {
      id: "google-workspace",
      name: "Google Workspace",
      templateId: "google",
      clientId: `${random.digits(12)}.apps.googleusercontent.com`,
      logo: "https://logos.example.com/google.png",
      discoveryUrl: "https://accounts.google.com/.well-known/openid-configuration",
      authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
      authorizationUrlParams: [{ key: "include_granted_scopes", value: "true" }],
      tokenUrl: "https://oauth2.googleapis.com/token",
      revocationUrl: "https://oauth2.googleapis.com/revoke",
      defaultScopes: ["openid", "https://www.googleapis.com/auth/calendar.readonly"],
      pkce: true,
      accessType: "offline",
      prompt: ["consent"],
    },
    {
      // A deployment that leaks the secret on load: the connector must drop it, and a secret-named token URL param too.
      id: `OA${random.base62(26)}`,
      name: "Internal CRM",
      description: "Custom OAuth provider",
      clientId: `crm-${random.base62(12)}`,
      clientSecret: `${SEEDED_SECRET_PREFIX}outbound-${random.base62(24)}`,
      authorizationUrl: "https://crm.example.com/oauth/authorize",
      tokenUrl: "https://crm.example.com/oauth/token",
      tokenUrlParams: [
        { key: "audience", value: "crm-api" },
        { key: "client_secret", value: `${SEEDED_SECRET_PREFIX}param-${random.base62(24)}` },
      ],
      defaultRedirectUrl: "https://app.example.com/connected",
      callbackDomain: "auth.example.com",
    },
    { id: `OA${random.base62(26)}`, name: "Slack", templateId: "slack", defaultScopes: ["chat:write"] },
  ];
}

function seedFlows(): FlowMetadata[] {
  return [
    { id: "sign-up-or-in", name: "Sign Up or In", description: "Default sign up or in flow" },
    { id: "sign-in", name: "Sign In" },
    { id: "step-up", name: "Step-up", description: "Re-authenticate for sensitive actions" },
    { id: "update-user", name: "Update User" },
    { id: "legacy-magic-link", name: "Legacy magic link", disabled: true },
  ];
}

/** Relations over several namespaces, targeting users; some users have none, some several. */
function seedRelations(random: Random, users: DescopeUser[], tenants: Tenant[]): AuthzRelation[] {
  const relations: AuthzRelation[] = [];
  const folders = ["finance", "engineering", "hr"];
  for (const user of users) {
    const roll = random.next();
    if (roll < 0.4) continue;
    relations.push({
      resource: `doc-${random.base62(8)}`,
      relationDefinition: random.pick(["owner", "editor", "viewer"]),
      namespace: "doc",
      target: user.userId,
    });
    if (roll > 0.65) relations.push({ resource: random.pick(folders), relationDefinition: "member", namespace: "folder", target: user.userId });
    if (roll > 0.85 && tenants.length) {
      relations.push({ resource: random.pick(tenants).id, relationDefinition: "admin", namespace: "org", target: user.userId });
      // The same resource and definition from a target set as well: only the target-set fields tell them apart.
      relations.push({
        resource: "shared-drive",
        relationDefinition: "viewer",
        namespace: "folder",
        target: user.userId,
        targetSetResource: random.pick(folders),
        targetSetRelationDefinition: "member",
        targetSetRelationDefinitionNamespace: "folder",
      });
    }
  }
  return relations;
}

export function seedAccess(
  options: { seed: number; emptyProject: boolean; ssoConfigsPerTenant: readonly number[] },
  tenants: Tenant[],
  users: DescopeUser[],
  seededAtS: number,
): AccessData {
  const random = Random.derived(options.seed, "access");
  const ssoConfigurationsByTenant = new Map<string, SsoConfiguration[]>();
  const groupsByTenant = new Map<string, Group[]>();
  const members = new Map<string, DescopeUser[]>();
  for (const user of users) {
    for (const { tenantId } of user.userTenants ?? []) {
      const list = members.get(tenantId) ?? [];
      if (list.length < 5) members.set(tenantId, [...list, user]);
    }
  }
  let legacyGroupAdded = false;
  tenants.forEach((tenant, index) => {
    const count = options.ssoConfigsPerTenant[index % options.ssoConfigsPerTenant.length] ?? 0;
    const configurations = Array.from({ length: count }, (_, configIndex) =>
      ssoConfiguration(
        random,
        tenant,
        configIndex === 0 ? DEFAULT_SSO_ID : `sso-${configIndex + 1}-${random.base62(8)}`,
        (index + configIndex) % 2 === 0 ? "oidc" : "saml",
        seededAtS,
      ),
    );
    ssoConfigurationsByTenant.set(tenant.id, configurations);
    const groups = groupsOf(configurations, members.get(tenant.id) ?? [], index);
    // One group as an older deployment sends it, without ssoId.
    if (!legacyGroupAdded && groups.length > 0) {
      groups.push({ id: "00gLegacy", display: "Legacy import", source: "scim" });
      legacyGroupAdded = true;
    }
    groupsByTenant.set(tenant.id, groups);
  });
  if (options.emptyProject) {
    return { ssoConfigurationsByTenant, groupsByTenant, inboundApps: [], consents: [], outboundApps: [], flows: [], relations: [] };
  }
  const inboundApps = seedInboundApps(random);
  return {
    ssoConfigurationsByTenant,
    groupsByTenant,
    inboundApps,
    consents: seedConsents(random, inboundApps, users, seededAtS),
    outboundApps: seedOutboundApps(random),
    flows: seedFlows(),
    relations: seedRelations(random, users, tenants),
  };
}
