/**
 * Seeded, deterministic project content. Everything is derived from one PRNG so a seed names a whole project.
 * Users are built for volume (a million in a few seconds): shared, frozen pools for roles, tenants, custom
 * attributes and OAuth maps keep each user to a handful of own strings.
 */
import { Random } from "./random.js";
import { seedAccess, type AccessData } from "./seed-access.js";
import { CUSTOM_ATTRIBUTE_DEFINITIONS, CUSTOM_ATTRIBUTE_VALUES } from "./seed-custom-attributes.js";
import type {
  AccessKey,
  AnalyticsSample,
  AuditEvent,
  CustomAttribute,
  DescopeUser,
  Permission,
  Role,
  SsoApplication,
  Tenant,
  UserStatus,
  UserTenant,
} from "./types.js";

export interface SeedOptions {
  seed: number;
  projectId: string;
  users: number;
  testUsers: number;
  tenants: number;
  auditEvents: number;
  bulkImportUsers: number;
  auditIds: boolean;
  emptyProject: boolean;
  /** SSO configurations of tenant i: `ssoConfigsPerTenant[i % length]` (seed-access.ts). */
  ssoConfigsPerTenant: readonly number[];
  /** Epoch ms that counts as "now" for the seeded history: every seeded time lies before it. */
  seededAtMs: number;
}

export interface SeededProject {
  users: DescopeUser[];
  tenants: Tenant[];
  roles: Role[];
  permissions: Permission[];
  accessKeys: AccessKey[];
  ssoApps: SsoApplication[];
  /** SSO configurations and their groups, apps, consents, flows and ReBAC relations (seed-access.ts). */
  access: AccessData;
  customAttributes: CustomAttribute[];
  auditEvents: AuditEvent[];
  analyticsSamples: AnalyticsSample[];
}

const SECOND_MS = 1000;
const HOUR_MS = 3600 * SECOND_MS;
const DAY_MS = 24 * HOUR_MS;
const DAY_S = 24 * 3600;
/** Users were created over roughly three years. */
const USER_HISTORY_S = 3 * 365 * DAY_S;
/** Audit events span more than the 30 searchable days, so some are too old to fetch. */
export const AUDIT_SPAN_MS = 40 * DAY_MS;
export const ANALYTICS_SPAN_MS = 365 * DAY_MS;

const GIVEN_NAMES = [
  "Jane",
  "John",
  "Maria",
  "Wei",
  "Aisha",
  "Carlos",
  "Yuki",
  "Olga",
  "Noam",
  "Priya",
  "Liam",
  "Emma",
  "Mateo",
  "Sofia",
  "Hiro",
  "Fatima",
  "Lucas",
  "Chloe",
  "Omar",
  "Ines",
  "Tariq",
  "Nora",
  "Ravi",
  "Zoe",
  "Ivan",
  "Lea",
  "Kofi",
  "Mia",
];
const FAMILY_NAMES = [
  "Doe",
  "Smith",
  "Garcia",
  "Chen",
  "Khan",
  "Silva",
  "Tanaka",
  "Ivanova",
  "Levi",
  "Patel",
  "Brown",
  "Muller",
  "Rossi",
  "Dubois",
  "Kim",
  "Nguyen",
  "Cohen",
  "Okafor",
  "Larsen",
  "Novak",
  "Haddad",
  "Moreau",
  "Costa",
  "Sato",
  "Fischer",
];
const EMAIL_DOMAINS = ["example.com", "acme.io", "globex.net", "initech.org", "mail.test"];
const TENANT_NAMES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Soylent"];
export const OAUTH_PROVIDERS = ["google", "github", "microsoft", "apple", "facebook"] as const;
export const LOCATIONS = [
  ["Tel Aviv", "IL"],
  ["New York", "US"],
  ["San Francisco", "US"],
  ["London", "GB"],
  ["Berlin", "DE"],
  ["Paris", "FR"],
  ["Sydney", "AU"],
  ["Toronto", "CA"],
  ["Bangalore", "IN"],
  ["Sao Paulo", "BR"],
] as const;
const AUDIT_ACTIONS = [
  "LoginSucceed",
  "LoginSucceed",
  "LoginSucceed",
  "LoginStarted",
  "LoginFailed",
  "UserCreated",
  "UserModified",
  "UserDeleted",
  "AccessKeyCreated",
  "RefreshSucceed",
  "LogoutSucceed",
] as const;
export const DEVICES = ["Desktop", "Mobile", "Tablet", "Bot", "Unknown"] as const;
export const METHODS = ["otp", "magiclink", "oauth", "saml", "password", "totp", "webauthn"] as const;
const REFERRERS = ["https://app.example.com", "https://www.example.com/login", "direct"] as const;

/** Deep-freezes a pool entry: pooled objects are shared by many users and must never be mutated in place. */
function frozen<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

export function descopeId(prefix: string, random: Random): string {
  return prefix + random.base62(26);
}

export function randomIp(random: Random): string {
  return `${random.between(11, 223)}.${random.int(256)}.${random.int(256)}.${random.between(1, 254)}`;
}

function seedTenants(random: Random, count: number, seededAtS: number): Tenant[] {
  const tenants: Tenant[] = [];
  for (let i = 0; i < count; i++) {
    const baseName = TENANT_NAMES[i % TENANT_NAMES.length];
    const name = i < TENANT_NAMES.length ? baseName : `${baseName} ${Math.floor(i / TENANT_NAMES.length) + 1}`;
    const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, "")}.example.com`;
    const authType = (["none", "saml", "oidc"] as const)[i % 3];
    const tenant: Tenant = { id: descopeId("T2", random), name, createdTime: seededAtS - random.between(30, 1000) * DAY_S };
    if (i % 2 === 0) tenant.selfProvisioningDomains = [domain];
    if (authType !== "none") {
      tenant.domains = [domain];
      tenant.authType = authType;
    }
    if (authType === "saml") tenant.enforceSSO = true;
    if (i % 7 === 6) tenant.disabled = true;
    if (i % 3 === 1) tenant.defaultRoles = ["Viewer"];
    if (random.chance(0.5)) tenant.customAttributes = { region: random.pick(["us", "eu", "apac"]), seats: random.between(5, 500) };
    tenants.push(tenant);
  }
  // One sub-tenant, so parent/successors are exercised.
  if (tenants.length >= 5) {
    tenants[4].parent = tenants[0].id;
    tenants[0].successors = [tenants[4].id];
  }
  return tenants;
}

function seedPermissions(): Permission[] {
  return [
    { name: "User Admin", description: "Manage users", systemDefault: true },
    { name: "SSO Admin", description: "Manage SSO settings", systemDefault: true },
    { name: "Impersonate", description: "Impersonate users", systemDefault: true },
    { name: "Read Reports" },
    { name: "Manage Billing", description: "Change plans and invoices" },
    { name: "Edit Content", description: "Create and edit content" },
  ];
}

function seedRoles(random: Random, tenants: Tenant[], seededAtS: number): Role[] {
  const projectRoles: Role[] = [
    {
      id: descopeId("R2", random),
      name: "Tenant Admin",
      description: "Tenant administrator",
      permissionNames: ["User Admin", "SSO Admin"],
      createdTime: seededAtS - 900 * DAY_S,
    },
    { id: descopeId("R2", random), name: "Editor", permissionNames: ["Edit Content", "Read Reports"], createdTime: seededAtS - 800 * DAY_S },
    {
      id: descopeId("R2", random),
      name: "Viewer",
      description: "Read-only access",
      permissionNames: ["Read Reports"],
      createdTime: seededAtS - 800 * DAY_S,
      default: true,
    },
    { id: descopeId("R2", random), name: "Billing Admin", permissionNames: ["Manage Billing"], createdTime: seededAtS - 500 * DAY_S, private: true },
  ];
  // Every tenant has its own "Approver": role names are unique only within a tenant.
  const tenantRoles = tenants.map(
    (tenant): Role => ({
      id: descopeId("R2", random),
      name: "Approver",
      description: `Approves requests in ${tenant.name}`,
      permissionNames: ["Read Reports"],
      createdTime: tenant.createdTime + DAY_S,
      tenantId: tenant.id,
    }),
  );
  return [...projectRoles, ...tenantRoles];
}

interface UserPools {
  roleNames: string[][];
  userTenants: UserTenant[][];
  customAttributes: Record<string, unknown>[];
  oauth: Record<string, boolean>[];
}

function buildUserPools(tenants: Tenant[]): UserPools {
  const tenantEntries = tenants.flatMap((tenant) => [
    { tenantId: tenant.id, tenantName: tenant.name, roleNames: ["Viewer"] },
    {
      tenantId: tenant.id,
      tenantName: tenant.name,
      roleNames: ["Tenant Admin", "Approver"],
      permissions: ["User Admin", "SSO Admin", "Read Reports"],
    },
    { tenantId: tenant.id, tenantName: tenant.name },
  ]);
  const userTenants: UserTenant[][] = tenantEntries.map((entry) => [entry]);
  for (let i = 0; i + 3 < tenantEntries.length; i += 3) userTenants.push([tenantEntries[i], tenantEntries[i + 3]]);
  const customAttributes = structuredClone(CUSTOM_ATTRIBUTE_VALUES);
  return frozen<UserPools>({
    roleNames: [["Viewer"], ["Editor"], ["Viewer", "Editor"], ["Tenant Admin"], ["Billing Admin", "Viewer"]],
    userTenants,
    customAttributes,
    // A false entry too: a provider the user unlinked has no token.
    oauth: [
      { google: true },
      { github: true },
      { microsoft: true },
      { apple: true },
      { google: true, github: true },
      { google: true, microsoft: true },
      { github: true, facebook: false },
    ],
  });
}

const STATUS_WEIGHTS: [UserStatus, number][] = [
  ["enabled", 0.85],
  ["disabled", 0.07],
  ["invited", 0.06],
  ["expired", 0.02],
];

function pickStatus(random: Random): UserStatus {
  let roll = random.next();
  for (const [status, weight] of STATUS_WEIGHTS) {
    roll -= weight;
    if (roll < 0) return status;
  }
  return "enabled";
}

/** Builds users one at a time; also used by the store to create users after seeding. */
export class UserFactory {
  private readonly pools: UserPools;
  private created = 0;

  constructor(
    tenants: Tenant[],
    private readonly ssoAppIds: string[],
  ) {
    this.pools = buildUserPools(tenants);
  }

  make(random: Random, createdTime: number, modifiedTime: number, test: boolean): DescopeUser {
    const serial = this.created++;
    const userId = descopeId("U2", random);
    const givenName = random.pick(GIVEN_NAMES);
    const familyName = random.pick(FAMILY_NAMES);
    const email = test ? `testuser${serial}@test.example` : `${givenName}.${familyName}${serial}@${random.pick(EMAIL_DOMAINS)}`.toLowerCase();
    const phone = random.chance(0.6) ? `+1${2010000000 + serial}` : undefined;
    const loginRoll = random.next();
    const loginId = loginRoll < 0.85 || test ? email : loginRoll < 0.95 && phone ? phone : `${givenName}${familyName}${serial}`.toLowerCase();
    const user: DescopeUser = {
      userId,
      loginIds: [loginId],
      name: `${givenName} ${familyName}`,
      givenName,
      familyName,
      email,
      status: test ? "enabled" : pickStatus(random),
      createdTime,
      modifiedTime,
      editable: true,
    };
    if (random.chance(0.8)) user.verifiedEmail = true;
    if (phone) {
      user.phone = phone;
      if (random.chance(0.5)) user.verifiedPhone = true;
    }
    if (random.chance(0.4)) user.picture = `https://avatars.example.com/${userId}.png`;
    if (random.chance(0.7)) user.roleNames = random.pick(this.pools.roleNames);
    if (this.pools.userTenants.length > 0 && random.chance(0.75)) {
      user.userTenants = random.pick(this.pools.userTenants);
      if (random.chance(0.2)) {
        user.SAML = true;
        user.externalIds = [email];
      }
    }
    if (random.chance(0.6)) user.customAttributes = random.pick(this.pools.customAttributes);
    if (random.chance(0.3)) user.OAuth = random.pick(this.pools.oauth);
    if (random.chance(0.6)) user.password = true;
    if (random.chance(0.1)) user.TOTP = true;
    if (random.chance(0.15)) user.webauthn = true;
    if (random.chance(0.03)) user.SCIM = true;
    if (random.chance(0.02)) user.push = true;
    if (this.ssoAppIds.length > 0 && random.chance(0.05)) user.ssoAppIds = [random.pick(this.ssoAppIds)];
    if (test) user.test = true;
    return user;
  }
}

/** Users come out in creation order, as a project fills up, which also makes the createdTime view cheap to sort. */
function seedUsers(random: Random, factory: UserFactory, options: SeedOptions): DescopeUser[] {
  const seededAtS = Math.floor(options.seededAtMs / SECOND_MS);
  const bulkCount = Math.min(options.bulkImportUsers, options.users);
  const regularCount = options.users - bulkCount;
  const createdTimes = new Int32Array(regularCount);
  for (let i = 0; i < regularCount; i++) createdTimes[i] = seededAtS - 3600 - random.int(USER_HISTORY_S);
  createdTimes.sort();
  const users: DescopeUser[] = [];
  let previous: DescopeUser | undefined;
  for (let i = 0; i < regularCount; i++) {
    // Clusters: some users share the previous user's creation or modification second.
    const createdTime = previous && random.chance(0.05) ? previous.createdTime : createdTimes[i];
    let modifiedTime: number;
    if (random.chance(0.25)) modifiedTime = createdTime;
    else if (previous && previous.modifiedTime >= createdTime && random.chance(0.05)) modifiedTime = previous.modifiedTime;
    else modifiedTime = createdTime + random.int(seededAtS - createdTime);
    previous = factory.make(random, createdTime, modifiedTime, false);
    users.push(previous);
  }
  const bulkSecond = seededAtS - 90 * DAY_S;
  for (let i = 0; i < bulkCount; i++) users.push(factory.make(random, bulkSecond, bulkSecond, false));
  for (let i = 0; i < options.testUsers; i++) {
    const createdTime = seededAtS - random.int(90 * DAY_S);
    users.push(factory.make(random, createdTime, createdTime + random.int(seededAtS - createdTime), true));
  }
  return users;
}

function seedAccessKeys(random: Random, tenants: Tenant[], users: DescopeUser[], seededAtS: number): AccessKey[] {
  const admin = users[0]?.userId;
  const keys: AccessKey[] = [
    {
      id: descopeId("K2", random),
      name: "CI deploy key",
      roleNames: ["Tenant Admin"],
      status: "active",
      createdTime: seededAtS - 400 * DAY_S,
      createdBy: admin,
      clientId: descopeId("", random),
      editable: true,
    },
    {
      id: descopeId("K2", random),
      name: "Expired import key",
      description: "One-off migration",
      status: "inactive",
      createdTime: seededAtS - 700 * DAY_S,
      expireTime: seededAtS - 600 * DAY_S,
      clientId: descopeId("", random),
      permittedIps: ["10.0.0.0/8"],
      editable: true,
    },
  ];
  for (const tenant of tenants.slice(0, 8)) {
    const key: AccessKey = {
      id: descopeId("K2", random),
      name: `${tenant.name} integration`,
      keyTenants: [{ tenantId: tenant.id, tenantName: tenant.name, roleNames: ["Viewer"] }],
      status: "active",
      createdTime: tenant.createdTime + 7 * DAY_S,
      expireTime: seededAtS + 365 * DAY_S,
      createdBy: admin,
      clientId: descopeId("", random),
    };
    if (users.length && random.chance(0.5)) key.boundUserId = random.pick(users).userId;
    keys.push(key);
  }
  return keys;
}

function seedSsoApps(random: Random): SsoApplication[] {
  return [
    {
      id: "descope-default-oidc",
      name: "OIDC Default Application",
      description: "Default OIDC application",
      enabled: true,
      appType: "oidc",
      oidcSettings: {
        loginPageUrl: "https://auth.example.com/login",
        issuer: "https://api.descope.com/emulator",
        discoveryUrl: "https://api.descope.com/emulator/.well-known/openid-configuration",
      },
    },
    {
      id: descopeId("SA", random),
      name: "Salesforce",
      enabled: true,
      logo: "https://logos.example.com/salesforce.png",
      appType: "saml",
      samlSettings: {
        loginPageUrl: "https://auth.example.com/login",
        entityId: "https://saml.salesforce.com",
        acsUrl: "https://example.my.salesforce.com/sso",
        attributeMapping: [{ name: "email", type: "string", value: "email" }],
        subjectNameIdType: "email",
      },
    },
  ];
}

function seedCustomAttributes(): CustomAttribute[] {
  return structuredClone(CUSTOM_ATTRIBUTE_DEFINITIONS);
}

export function makeAuditEvent(
  random: Random,
  options: Pick<SeedOptions, "projectId" | "auditIds">,
  occurredMs: number,
  user?: DescopeUser,
): AuditEvent {
  const action = random.pick(AUDIT_ACTIONS);
  const event: AuditEvent = {
    projectId: options.projectId,
    action,
    type: action === "LoginFailed" ? "warn" : "info",
    occurred: String(occurredMs),
    device: random.pick(DEVICES),
    method: random.pick(METHODS),
    geo: random.pick(LOCATIONS)[1],
    remoteAddress: randomIp(random),
  };
  if (options.auditIds) event.ID = random.hex(24);
  if (user) {
    event.userId = user.userId;
    event.actorId = random.chance(0.9) ? user.userId : "admin-console";
    event.externalIds = user.loginIds;
    const tenantIds = user.userTenants?.map((entry) => entry.tenantId);
    if (tenantIds?.length) event.tenants = tenantIds;
  }
  if (action === "LoginFailed") event.data = { reason: random.pick(["wrong code", "expired link", "user disabled"]) };
  return event;
}

function seedAuditEvents(random: Random, users: DescopeUser[], options: SeedOptions): AuditEvent[] {
  const times: number[] = [];
  for (let i = 0; i < options.auditEvents; i++) times.push(options.seededAtMs - 1 - random.int(AUDIT_SPAN_MS));
  times.sort((a, b) => a - b);
  return times.map((occurredMs) => makeAuditEvent(random, options, occurredMs, users.length ? random.pick(users) : undefined));
}

function seedAnalytics(random: Random, tenants: Tenant[], seededAtMs: number): AnalyticsSample[] {
  const samples: AnalyticsSample[] = [];
  const lastHour = Math.floor(seededAtMs / HOUR_MS) * HOUR_MS;
  for (let hour = lastHour - ANALYTICS_SPAN_MS; hour <= lastHour; hour += HOUR_MS) {
    for (let row = random.int(3); row >= 0; row--) {
      samples.push({
        createdMs: hour,
        action: random.pick(["LoginSucceed", "LoginSucceed", "LoginFailed", "SignUpSucceed"]),
        device: random.pick(DEVICES),
        method: random.pick(METHODS),
        geo: random.pick(LOCATIONS)[1],
        tenant: tenants.length && random.chance(0.6) ? random.pick(tenants).id : "",
        referrer: random.pick(REFERRERS),
        count: random.between(1, 40),
      });
    }
  }
  return samples;
}

export function seedProject(options: SeedOptions): SeededProject & { userFactory: UserFactory } {
  const random = new Random(options.seed);
  const seededAtS = Math.floor(options.seededAtMs / SECOND_MS);
  const tenants = options.emptyProject ? [] : seedTenants(random, options.tenants, seededAtS);
  const ssoApps = options.emptyProject ? [] : seedSsoApps(random);
  const userFactory = new UserFactory(
    tenants,
    ssoApps.map((app) => app.id),
  );
  const users = seedUsers(random, userFactory, options);
  return {
    userFactory,
    users,
    tenants,
    roles: options.emptyProject ? [] : seedRoles(random, tenants, seededAtS),
    permissions: options.emptyProject ? [] : seedPermissions(),
    accessKeys: options.emptyProject ? [] : seedAccessKeys(random, tenants, users, seededAtS),
    ssoApps,
    access: seedAccess(options, tenants, users, seededAtS),
    customAttributes: options.emptyProject ? [] : seedCustomAttributes(),
    auditEvents: seedAuditEvents(random, users, options),
    analyticsSamples: seedAnalytics(random, tenants, options.seededAtMs),
  };
}
