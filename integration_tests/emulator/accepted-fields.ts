/**
 * The request fields each endpoint accepts, for `rejectUnknownFields`: Descope's management gateway rejects a
 * request naming a field its (protobuf) request type lacks ("the management gateway rejects unknown request
 * fields", go-sdk internal/mgmt/group.go; docs/descope-api-notes.md §0.1 item 4). The lists are what the SDKs send plus what the
 * docs/OpenAPI document for each request (docs/descope-api-notes.md §4–§11, with the SDK and model named there); extend them when
 * the emulator serves a new endpoint — `http.test.ts` fails for a route without an entry.
 *
 * Keys are `METHOD path`. POST endpoints list body fields, GET endpoints their query parameters (the gateway maps
 * both onto the same request message). Only top-level names are checked.
 */

/** The body is a bare JSON array (login history takes one of user IDs): there are no field names to check. */
export const ARRAY_BODY = "array body";
/**
 * Endpoints that change the project: the emulator answers them only so tests can prove the connector never calls
 * them, so their (long, version-dependent) field lists are not modelled.
 */
export const NOT_CHECKED = "not checked";

type Accepted = readonly string[] | typeof ARRAY_BODY | typeof NOT_CHECKED;

/** `POST /v2/mgmt/user/search` (and v1, and the test-user search): §4.1, go `UserSearchOptions`, node `SearchRequest`, docs. */
const USER_SEARCH = [
  "page",
  "limit",
  "offset",
  "sort",
  "text",
  "loginId",
  "loginIds",
  "userIds",
  "emails",
  "phones",
  "statuses",
  "roleNames",
  "tenantIds",
  "tenantRoleIds",
  "tenantRoleNames",
  "includeSubTenants",
  "ssoAppIds",
  "customAttributes",
  "withTestUser",
  "testUsersOnly",
  "fromCreatedTime",
  "toCreatedTime",
  "fromModifiedTime",
  "toModifiedTime",
  "verifiedEmail",
  "verifiedPhone",
  "ssoOnly",
  "scimOnly",
  "password",
  "totp",
  "webauthn",
  "scim",
  "selectedColumns",
] as const;

export const ACCEPTED_FIELDS: Readonly<Record<string, Accepted>> = {
  "POST /v2/mgmt/user/search": USER_SEARCH,
  "POST /v1/mgmt/user/search": USER_SEARCH,
  "POST /v2/mgmt/user/search/test": USER_SEARCH,
  // §4.5: every SDK posts the user IDs as a bare array.
  "POST /v1/mgmt/user/history": ARRAY_BODY,
  // §4.6: go/node always send both booleans as strings.
  "GET /v1/mgmt/user/provider/token": ["loginId", "provider", "withRefreshToken", "forceRefresh"],
  // §5: go/node/python/java `AuditSearchOptions` (sent as `size`, `externalIds`), dotnet `SearchAuditRequest` and the docs.
  "POST /v1/mgmt/audit/search": [
    "from",
    "to",
    "userIds",
    "actorIds",
    "actions",
    "excludedActions",
    "devices",
    "methods",
    "geos",
    "remoteAddresses",
    "externalIds",
    "excludedExternalIds",
    "loginIdsContain",
    "loginIdsNotContain",
    "tenants",
    "noTenants",
    "text",
    "size",
    "page",
    "oldestFirst",
    "searchFields",
    "auditTypes",
    "levels",
  ],
  // §6: go `AnalyticsSearchOptions`, dotnet `SearchAnalyticsRequest`.
  "POST /v1/mgmt/analytics/search": [
    "actions",
    "excludedActions",
    "from",
    "to",
    "devices",
    "methods",
    "geos",
    "tenants",
    "groupByAction",
    "groupByDevice",
    "groupByMethod",
    "groupByGeo",
    "groupByTenant",
    "groupByReferrer",
    "groupByCreated",
  ],
  "GET /v1/mgmt/tenant/all": [],
  "GET /v1/mgmt/tenant": ["id"],
  "GET /v1/mgmt/tenant/settings": ["id"],
  "GET /v1/mgmt/role/all": [],
  // §8: go/node `RoleSearchOptions`; dotnet adds `sort`, `text`.
  "POST /v1/mgmt/role/search": ["tenantIds", "roleNames", "roleNameLike", "permissionNames", "roleIds", "includeProjectRoles", "sort", "text"],
  "GET /v1/mgmt/permission/all": [],
  // §9: go `AccessKeysSearchOptions`, node `searchAll`; dotnet adds `sort`, `text`.
  "POST /v1/mgmt/accesskey/search": ["tenantIds", "boundUserId", "creatingUser", "customAttributes", "sort", "text"],
  "GET /v1/mgmt/sso/idp/apps/load": [],
  // §11: go/node.
  "POST /v1/mgmt/group/all": ["tenantId", "ssoId"],
  "GET /v1/mgmt/user/customattributes": [],
  // §0.1 item 12: go `LoadUsers`, node `loadUsers`.
  "POST /v1/mgmt/users/load": ["userIds", "includeInvalidUsers"],
  "GET /v1/mgmt/license": [],
  // §13 and the SDKs' access reads (go internal/mgmt sso.go, thirdparty_application.go, outbound_application.go,
  // flow.go, authz.go; node lib/management): only what those send.
  "GET /v2/mgmt/sso/settings/all": ["tenantId"],
  "POST /v2/mgmt/thirdparty/apps/load": ["page", "limit"],
  "GET /v1/mgmt/thirdparty/apps/load": [],
  "POST /v1/mgmt/thirdparty/consents/search": ["appId", "userId", "consentId", "tenantId", "page", "limit"],
  "GET /v1/mgmt/outbound/apps": [],
  "POST /v1/mgmt/flow/list": [],
  "POST /v1/mgmt/authz/re/targets": ["targets", "includeTargetSetRelations"],
  "GET /v1/mgmt/thirdparty/app/secret": NOT_CHECKED,
  "POST /v1/mgmt/thirdparty/app/rotate": NOT_CHECKED,
  "POST /v1/mgmt/outbound/app/user/token": NOT_CHECKED,
  "POST /v1/mgmt/outbound/app/user/token/latest": NOT_CHECKED,
  "POST /v1/mgmt/outbound/app/tenant/token": NOT_CHECKED,
  "POST /v1/mgmt/outbound/app/tenant/token/latest": NOT_CHECKED,
  "POST /v1/mgmt/flow/export": NOT_CHECKED,
  "POST /v1/mgmt/user/create": NOT_CHECKED,
  "POST /v1/mgmt/user/create/test": NOT_CHECKED,
  "POST /v1/mgmt/user/update": NOT_CHECKED,
  "POST /v1/mgmt/user/delete": NOT_CHECKED,
  "DELETE /v1/mgmt/user/test/delete/all": NOT_CHECKED,
  "POST /v1/mgmt/tests/generate/otp": NOT_CHECKED,
  "POST /v1/mgmt/tests/generate/magiclink": NOT_CHECKED,
  "POST /v1/mgmt/tests/generate/enchantedlink": NOT_CHECKED,
  "POST /v1/mgmt/audit/event": NOT_CHECKED,
};

/**
 * The first field of a request the endpoint does not accept, or undefined. `fields` are the body's keys (POST) or
 * the query's (GET); an endpoint without an entry accepts nothing, so a new route fails loudly until listed.
 */
export function firstUnknownField(routeKey: string, fields: readonly string[]): string | undefined {
  const accepted = ACCEPTED_FIELDS[routeKey] ?? [];
  if (accepted === ARRAY_BODY || accepted === NOT_CHECKED) return undefined;
  return fields.find((field) => !accepted.includes(field));
}
