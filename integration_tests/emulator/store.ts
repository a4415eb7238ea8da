/**
 * The emulated project: seeded data, the lookups the handlers need, the getters tests compare a sync against,
 * and the mutations concurrency tests use to change data while the connector is reading.
 * Login history and provider tokens are derived from the user id on demand instead of stored, so a
 * million-user project stays small.
 */
import { hashOf, Random } from "./random.js";
import { LOCATIONS, makeAuditEvent, randomIp, seedProject, type SeededProject, type SeedOptions, type UserFactory } from "./seed.js";
import type { AccessData, AuthzRelation, SsoConfiguration } from "./seed-access.js";
import { UserIndex } from "./user-index.js";
import type {
  AccessKey,
  AnalyticsSample,
  AuditEvent,
  CustomAttribute,
  DescopeUser,
  Group,
  LoginRecord,
  Permission,
  ProviderToken,
  Role,
  SsoApplication,
  Tenant,
  TenantSettings,
} from "./types.js";

export interface StoreOptions extends Omit<SeedOptions, "seededAtMs"> {
  now: () => number;
  /** The oldest this-many regular users lose createdTime and modifiedTime (protojson omits zero values). */
  usersWithoutTimes: number;
}

const PROVIDER_SCOPES: Record<string, string[]> = {
  google: ["openid", "email", "profile"],
  github: ["read:user", "user:email"],
  microsoft: ["openid", "User.Read"],
  apple: ["name", "email"],
  facebook: ["email", "public_profile"],
};
const TOKEN_LIFETIME_S = 3600;
/** About one in eight linked providers has no stored token (token management switched on after the login). */
const MISSING_TOKEN_MODULUS = 8;

export class EmulatorStore {
  /** Users in insertion order, regular and test users together. */
  private readonly allUsers: DescopeUser[];
  private readonly usersById = new Map<string, DescopeUser>();
  /** Built on the first provider-token lookup: a million-entry map is seconds of start-up nobody else needs. */
  private usersByLoginId?: Map<string, DescopeUser>;
  private readonly addedLogins = new Map<string, LoginRecord[]>();
  /** Epoch seconds of the last forced refresh, per `userId|provider`. */
  private readonly tokenRefreshedAt = new Map<string, number>();
  /** Oldest first. */
  private readonly audit: AuditEvent[];
  private readonly project: SeededProject;
  private readonly userFactory: UserFactory;
  private readonly seededAtS: number;
  private mutationCount = 0;
  readonly index: UserIndex;

  constructor(private readonly options: StoreOptions) {
    const seededAtMs = options.now();
    this.seededAtS = Math.floor(seededAtMs / 1000);
    const { userFactory, ...project } = seedProject({ ...options, seededAtMs });
    this.project = project;
    this.userFactory = userFactory;
    this.allUsers = project.users;
    for (const user of this.allUsers.filter((other) => !other.test).slice(0, options.usersWithoutTimes)) {
      delete (user as Partial<DescopeUser>).createdTime;
      delete (user as Partial<DescopeUser>).modifiedTime;
    }
    this.audit = project.auditEvents;
    for (const user of this.allUsers) this.indexUser(user);
    this.index = new UserIndex(() => this.allUsers);
    // The incremental syncs' sorts, built now so the first page is as fast as the rest.
    for (const field of ["modifiedTime", "createdTime"] as const)
      this.index.view("regular", [
        { field, desc: false },
        { field: "userId", desc: false },
      ]);
  }

  // ---- what a full sync should produce ----

  /** Regular (non-test) users in insertion order. */
  get users(): DescopeUser[] {
    return this.allUsers.filter((user) => !user.test);
  }

  get testUsers(): DescopeUser[] {
    return this.allUsers.filter((user) => user.test === true);
  }

  /** Login history of every regular user, as `POST /v1/mgmt/user/history` returns it. */
  get loginHistory(): LoginRecord[] {
    return this.loginsOf(this.users.map((user) => user.userId));
  }

  /** Every token `GET /v1/mgmt/user/provider/token` would return for a regular user (with its refresh token). */
  get providerTokens(): ProviderToken[] {
    return this.users.flatMap((user) => Object.keys(user.OAuth ?? {}).flatMap((provider) => this.providerToken(user, provider) ?? []));
  }

  /** All audit events, oldest first, including those older than the 30 searchable days. */
  get auditEvents(): readonly AuditEvent[] {
    return this.audit;
  }

  get tenants(): readonly Tenant[] {
    return this.project.tenants;
  }

  get roles(): readonly Role[] {
    return this.project.roles;
  }

  get permissions(): readonly Permission[] {
    return this.project.permissions;
  }

  get accessKeys(): readonly AccessKey[] {
    return this.project.accessKeys;
  }

  get ssoApps(): readonly SsoApplication[] {
    return this.project.ssoApps;
  }

  /**
   * Groups of every tenant, each with the `tenantId` the connector adds and its `ssoId` ("" when Descope sent
   * none): group ids repeat across tenants and across a tenant's SSO configurations.
   */
  get groups(): (Group & { tenantId: string; ssoId: string })[] {
    return [...this.project.access.groupsByTenant].flatMap(([tenantId, groups]) =>
      groups.map((group) => ({ ...group, tenantId, ssoId: group.ssoId ?? "" })),
    );
  }

  /** Seeded SSO configurations, inbound apps and consents, outbound apps, flows and ReBAC relations, as served. */
  get access(): Readonly<AccessData> {
    return this.project.access;
  }

  get customAttributes(): readonly CustomAttribute[] {
    return this.project.customAttributes;
  }

  get analyticsSamples(): readonly AnalyticsSample[] {
    return this.project.analyticsSamples;
  }

  // ---- lookups for handlers ----

  get projectId(): string {
    return this.options.projectId;
  }

  now(): number {
    return this.options.now();
  }

  /** Users in insertion order, regular and test. */
  allUsersInOrder(): readonly DescopeUser[] {
    return this.allUsers;
  }

  userById(userId: string): DescopeUser | undefined {
    return this.usersById.get(userId);
  }

  /** The provider-token endpoint's `loginId` accepts a login id or a user id. */
  findUser(loginIdOrUserId: string): DescopeUser | undefined {
    if (!this.usersByLoginId) {
      this.usersByLoginId = new Map();
      for (const user of this.allUsers) this.indexLoginIds(user);
    }
    return this.usersByLoginId.get(loginIdOrUserId) ?? this.usersById.get(loginIdOrUserId);
  }

  tenantById(tenantId: string): Tenant | undefined {
    return this.project.tenants.find((tenant) => tenant.id === tenantId);
  }

  tenantSettings(tenant: Tenant): TenantSettings {
    const random = Random.derived(this.options.seed, "tenant-settings", tenant.id);
    const settings: TenantSettings = {
      selfProvisioningDomains: tenant.selfProvisioningDomains,
      domains: tenant.domains,
      authType: tenant.authType ?? "none",
      refreshTokenExpiration: random.pick([4, 30]),
      refreshTokenExpirationUnit: "weeks",
      sessionTokenExpiration: random.pick([10, 60]),
      sessionTokenExpirationUnit: "minutes",
    };
    if (random.chance(0.5)) Object.assign(settings, { stepupTokenExpiration: 5, stepupTokenExpirationUnit: "minutes" });
    if (!tenant.disabled) settings.enabled = true;
    if (random.chance(0.5)) Object.assign(settings, { enableInactivity: true, inactivityTime: 12, inactivityTimeUnit: "hours" });
    if (tenant.authType === "saml") settings.JITDisabled = true;
    return settings;
  }

  groupsOf(tenantId: string): readonly Group[] {
    return this.project.access.groupsByTenant.get(tenantId) ?? [];
  }

  ssoConfigurationsOf(tenantId: string): readonly SsoConfiguration[] {
    return this.project.access.ssoConfigurationsByTenant.get(tenantId) ?? [];
  }

  /** ReBAC relations whose target is one of `targets`, in seeded order. */
  relationsOfTargets(targets: readonly string[]): AuthzRelation[] {
    const wanted = new Set(targets);
    return this.project.access.relations.filter((relation) => relation.target !== undefined && wanted.has(relation.target));
  }

  /** Seeded logins (0–6 per user, between creation and seeding time) followed by logins added later. */
  loginsOf(userIds: readonly string[]): LoginRecord[] {
    return userIds.flatMap((userId) => {
      const user = this.usersById.get(userId);
      if (!user) return [];
      return [...this.seededLogins(user), ...(this.addedLogins.get(userId) ?? [])];
    });
  }

  providerToken(user: DescopeUser, provider: string): ProviderToken | undefined {
    if (user.OAuth?.[provider] !== true) return undefined;
    if (hashOf(this.options.seed, "no-token", user.userId, provider) % MISSING_TOKEN_MODULUS === 0) return undefined;
    const refreshedAt = this.tokenRefreshedAt.get(`${user.userId}|${provider}`);
    const random = Random.derived(this.options.seed, "token", user.userId, provider, refreshedAt ?? 0);
    return {
      userId: user.userId,
      provider,
      providerUserId: random.digits(18),
      accessToken: `emu-at-${provider}-${random.base62(40)}`,
      expiration: (refreshedAt ?? this.seededAtS) + TOKEN_LIFETIME_S,
      scopes: PROVIDER_SCOPES[provider] ?? ["openid"],
      refreshToken: `emu-rt-${provider}-${random.base62(40)}`,
    };
  }

  /** What `forceRefresh=true` does at Descope: a new token from the provider. A side effect the connector must avoid. */
  refreshProviderToken(user: DescopeUser, provider: string): void {
    this.tokenRefreshedAt.set(`${user.userId}|${provider}`, Math.floor(this.now() / 1000));
  }

  // ---- mutations ----

  /** Edits a user the way any Descope update does: `modifiedTime` becomes now (seconds). Default edit: the name. */
  updateUser(userId: string, patch: Partial<DescopeUser> = {}): DescopeUser {
    const previous = this.requireUser(userId);
    this.mutationCount++;
    const next: DescopeUser = {
      ...previous,
      name: `${previous.givenName ?? "User"} ${previous.familyName ?? ""} (edit ${this.mutationCount})`.trim(),
      modifiedTime: Math.floor(this.now() / 1000),
      ...patch,
      userId,
    };
    this.allUsers[this.allUsers.indexOf(previous)] = next;
    this.unindexUser(previous);
    this.indexUser(next);
    this.index.replaced(previous, next);
    return next;
  }

  /** A new user created now; `partial` overrides any field (e.g. `test: true`, `createdTime`). */
  createUser(partial: Partial<DescopeUser> = {}): DescopeUser {
    this.mutationCount++;
    const nowS = Math.floor(this.now() / 1000);
    const random = Random.derived(this.options.seed, "created-user", this.mutationCount);
    const user = { ...this.userFactory.make(random, nowS, nowS, partial.test === true), ...partial };
    if (this.usersById.has(user.userId)) throw new Error(`user ${user.userId} already exists`);
    this.allUsers.push(user);
    this.indexUser(user);
    this.index.inserted(user);
    return user;
  }

  /**
   * Hard-deletes users as Descope does (docs/descope-api-notes.md §0.1 item 12): they vanish from search and `users/load`, and the
   * audit trail records the deletion at `atMs` (default now) — one `UserDeleted` per user naming it in `userId`, or
   * for a bulk delete (`bulk: true`, the batch endpoint) one `UsersDeleted` listing them in `data.userIds` (the
   * real field is undocumented, see README "Assumptions about the Descope API"). Works for test users too. Returns the audit events written.
   */
  deleteUsers(userIds: readonly string[], options: { bulk?: boolean; atMs?: number; actorId?: string } = {}): AuditEvent[] {
    const users = userIds.map((userId) => this.requireUser(userId));
    for (const user of users) this.removeUser(user);
    const occurred = String(options.atMs ?? this.now());
    const actorId = options.actorId ?? "K2emulatorManagementKey";
    const deletion = { type: "info" as const, occurred, actorId, method: undefined, device: undefined, geo: undefined, tenants: undefined };
    if (options.bulk) {
      return [
        this.addAuditEvent({
          ...deletion,
          action: "UsersDeleted",
          userId: undefined,
          externalIds: undefined,
          data: { userIds: users.map((user) => user.userId) },
        }),
      ];
    }
    return users.map((user) =>
      this.addAuditEvent({ ...deletion, action: "UserDeleted", userId: user.userId, externalIds: user.loginIds, data: undefined }),
    );
  }

  private removeUser(user: DescopeUser): void {
    this.allUsers.splice(this.allUsers.indexOf(user), 1);
    this.unindexUser(user);
    this.index.deleted(user);
    this.addedLogins.delete(user.userId);
  }

  /** Adds a custom attribute definition, or replaces the one with its name, as an admin does in the console. */
  defineCustomAttribute(definition: CustomAttribute): void {
    this.removeCustomAttribute(definition.name);
    this.project.customAttributes.push(definition);
  }

  /** Removes a definition; users keep whatever values they hold under that name. */
  removeCustomAttribute(name: string): boolean {
    const index = this.project.customAttributes.findIndex((definition) => definition.name === name);
    if (index >= 0) this.project.customAttributes.splice(index, 1);
    return index >= 0;
  }

  /** Records an audit event, by default a random one for a random user occurring now. */
  addAuditEvent(partial: Partial<AuditEvent> = {}): AuditEvent {
    this.mutationCount++;
    const random = Random.derived(this.options.seed, "added-audit", this.mutationCount);
    const user = this.allUsers.length ? random.pick(this.allUsers) : undefined;
    const event = { ...makeAuditEvent(random, this.options, this.now(), user), ...partial };
    const occurredMs = Number(event.occurred);
    const position = this.audit.findLastIndex((other) => Number(other.occurred) <= occurredMs) + 1;
    this.audit.splice(position, 0, event);
    return event;
  }

  /** Records a login for the user, by default now from a random location. */
  addLogin(userId: string, partial: Partial<Omit<LoginRecord, "userId">> = {}): LoginRecord {
    const user = this.requireUser(userId);
    this.mutationCount++;
    const random = Random.derived(this.options.seed, "added-login", this.mutationCount);
    const [city, country] = random.pick(LOCATIONS);
    const login: LoginRecord = { userId: user.userId, loginTime: Math.floor(this.now() / 1000), city, country, ip: randomIp(random), ...partial };
    this.addedLogins.set(userId, [...(this.addedLogins.get(userId) ?? []), login]);
    return login;
  }

  private requireUser(userId: string): DescopeUser {
    const user = this.usersById.get(userId);
    if (!user) throw new Error(`no user ${userId} in the emulator store`);
    return user;
  }

  private indexUser(user: DescopeUser): void {
    this.usersById.set(user.userId, user);
    if (this.usersByLoginId) this.indexLoginIds(user);
  }

  private indexLoginIds(user: DescopeUser): void {
    for (const loginId of user.loginIds) this.usersByLoginId!.set(loginId, user);
  }

  private unindexUser(user: DescopeUser): void {
    this.usersById.delete(user.userId);
    for (const loginId of user.loginIds) this.usersByLoginId?.delete(loginId);
  }

  private seededLogins(user: DescopeUser): LoginRecord[] {
    const random = Random.derived(this.options.seed, "logins", user.userId);
    const createdS = user.createdTime ?? this.seededAtS; // no time, no seeded logins
    const span = this.seededAtS - createdS;
    const count = span <= 0 || random.chance(0.25) ? 0 : random.between(1, 6);
    const loginTimes = Array.from({ length: count }, () => createdS + random.int(span)).sort((a, b) => a - b);
    return loginTimes.map((loginTime) => {
      const [city, country] = random.pick(LOCATIONS);
      const login: LoginRecord = { userId: user.userId, loginTime, city, country, ip: randomIp(random) };
      const tenants = user.userTenants ?? [];
      if (tenants.length && random.chance(0.5)) login.selectedTenant = random.pick(tenants).tenantId;
      return login;
    });
  }
}
