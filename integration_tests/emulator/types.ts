/**
 * Wire shapes of the records the emulator serves, as the Descope Management API sends them (docs/descope-api-notes.md §4–§11).
 * Optional fields are the ones the emulator leaves out when they hold a default value, the way protojson does.
 */

export type UserStatus = "enabled" | "disabled" | "invited" | "expired";

export interface UserTenant {
  tenantId: string;
  tenantName: string;
  roleNames?: string[];
  permissions?: string[];
}

export interface DescopeUser {
  userId: string;
  loginIds: string[];
  name?: string;
  givenName?: string;
  middleName?: string;
  familyName?: string;
  email?: string;
  verifiedEmail?: boolean;
  phone?: string;
  verifiedPhone?: boolean;
  picture?: string;
  roleNames?: string[];
  userTenants?: UserTenant[];
  status: UserStatus;
  externalIds?: string[];
  test?: boolean;
  /** Values as users hold them: usually of the attribute's type, but anything JSON (see seed-custom-attributes.ts). */
  customAttributes?: Record<string, unknown>;
  /** Epoch seconds. Absent on the `usersWithoutTimes` users (protojson omits 0): read it with `userTimeS`. */
  createdTime: number;
  /** Epoch seconds; absent like createdTime. */
  modifiedTime: number;
  TOTP?: boolean;
  SAML?: boolean;
  SCIM?: boolean;
  OIDC?: boolean;
  OAuth?: Record<string, boolean>;
  webauthn?: boolean;
  password?: boolean;
  push?: boolean;
  ssoAppIds?: string[];
  editable?: boolean;
  permissions?: string[];
}

/** One row of `POST /v1/mgmt/user/history`. */
export interface LoginRecord {
  userId: string;
  /** Epoch seconds. */
  loginTime: number;
  city?: string;
  country?: string;
  ip?: string;
  selectedTenant?: string;
}

/** `GET /v1/mgmt/user/provider/token`, plus the user it belongs to. */
export interface ProviderToken {
  userId: string;
  provider: string;
  providerUserId: string;
  accessToken: string;
  /** Epoch seconds. */
  expiration: number;
  scopes: string[];
  refreshToken: string;
}

export interface AuditEvent {
  ID?: string;
  projectId: string;
  userId?: string;
  actorId?: string;
  action: string;
  type: "info" | "warn" | "error";
  /** Epoch milliseconds as a decimal string (int64 through the JSON gateway). */
  occurred: string;
  device?: string;
  method?: string;
  geo?: string;
  remoteAddress?: string;
  externalIds?: string[];
  tenants?: string[];
  data?: Record<string, unknown>;
}

export interface Tenant {
  id: string;
  name: string;
  selfProvisioningDomains?: string[];
  domains?: string[];
  customAttributes?: Record<string, string | number | boolean>;
  authType?: "none" | "saml" | "oidc";
  /** Epoch seconds. */
  createdTime: number;
  enforceSSO?: boolean;
  disabled?: boolean;
  defaultRoles?: string[];
  parent?: string;
  successors?: string[];
}

export interface TenantSettings {
  selfProvisioningDomains?: string[];
  domains?: string[];
  authType?: string;
  enabled?: boolean;
  refreshTokenExpiration?: number;
  refreshTokenExpirationUnit?: string;
  sessionTokenExpiration?: number;
  sessionTokenExpirationUnit?: string;
  stepupTokenExpiration?: number;
  stepupTokenExpirationUnit?: string;
  enableInactivity?: boolean;
  inactivityTime?: number;
  inactivityTimeUnit?: string;
  JITDisabled?: boolean;
}

export interface Role {
  id: string;
  name: string;
  description?: string;
  permissionNames?: string[];
  /** Epoch seconds. */
  createdTime: number;
  tenantId?: string;
  default?: boolean;
  private?: boolean;
}

export interface Permission {
  name: string;
  description?: string;
  systemDefault?: boolean;
}

export interface AccessKey {
  id: string;
  name: string;
  description?: string;
  roleNames?: string[];
  keyTenants?: { tenantId: string; tenantName: string; roleNames?: string[] }[];
  status: "active" | "inactive";
  /** Epoch seconds. */
  createdTime: number;
  /** Epoch seconds; omitted when the key never expires. */
  expireTime?: number;
  createdBy?: string;
  clientId: string;
  boundUserId?: string;
  permittedIps?: string[];
  editable?: boolean;
}

export interface SsoApplication {
  id: string;
  name: string;
  description?: string;
  enabled?: boolean;
  logo?: string;
  appType: "oidc" | "saml";
  samlSettings?: Record<string, unknown>;
  oidcSettings?: Record<string, unknown>;
}

export interface GroupMember {
  loginId: string;
  userId: string;
  display?: string;
}

/** Wire group; `id` comes from the customer's IdP and is unique only within a tenant. */
export interface Group {
  id: string;
  display: string;
  members?: GroupMember[];
  source: "scim" | "jit";
  /** The SSO configuration the group came from ("default_ssoid" for the default one); older deployments omit it. */
  ssoId?: string;
}

export interface CustomAttribute {
  name: string;
  /** 1 text, 2 number, 3 boolean, 4 singleSelect, 5 multiSelect, 6 date, 7 monthDay (go-sdk CustomAttribute). */
  type: number;
  displayName: string;
  options?: { value: string; label: string }[];
}

/** One seeded analytics count before aggregation; `created` is an hour start in epoch ms. */
export interface AnalyticsSample {
  createdMs: number;
  action: string;
  device: string;
  method: string;
  geo: string;
  tenant: string;
  referrer: string;
  count: number;
}
