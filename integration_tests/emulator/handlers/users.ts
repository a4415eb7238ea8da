/**
 * users and test_users: `POST /v2/mgmt/user/search` (and the deprecated, identical v1 path) and
 * `POST /v2/mgmt/user/search/test` (docs/descope-api-notes.md §4.1, §4.3).
 * Time filters are epoch milliseconds while user times are seconds, compared as seconds × 1000: inclusive at both
 * ends, or with `exclusiveUserTimeBounds` `from*` strictly after and `to*` at or before (what go-sdk PR #822 says
 * the backend does, docs/descope-api-notes.md §0.1 item 1). A non-positive `from*` is no bound. A user without a time has time 0.
 * When the first sort key is the filtered time field the range is found by binary search on a sorted view,
 * so paging a million users by `modifiedTime` stays cheap.
 */
import { invalidRequest } from "../descope-error.js";
import {
  bodyObject,
  readBoolean,
  readInt64,
  readNonNegativeInt,
  readString,
  readStringArray,
  type HandlerContext,
  type JsonObject,
  type Reply,
  type Route,
} from "../route.js";
import { allOf, anyOf, oneOf, type Predicate } from "../filters.js";
import { hashOf } from "../random.js";
import { firstIndexWhere, USER_FIELDS, userTimeS, type Population, type SortKey } from "../user-index.js";
import type { DescopeUser } from "../types.js";

const DEFAULT_LIMIT = 100;

type UserPredicate = Predicate<DescopeUser>;
type TimeField = "createdTime" | "modifiedTime";

interface TimeRangeMs {
  field: TimeField;
  fromMs?: number;
  toMs?: number;
}

function readSort(body: JsonObject, rejectSort: boolean): SortKey[] {
  const sort = body.sort ?? [];
  if (!Array.isArray(sort)) throw invalidRequest("sort must be an array of {field, desc}");
  if (rejectSort && sort.length > 0) {
    const fields = sort.map((entry: unknown) => String((entry as JsonObject | null)?.field)).join(", ");
    throw invalidRequest(`sort is not supported on field(s) ${fields}`);
  }
  return sort.map((entry: unknown) => {
    const { field, desc } = (entry ?? {}) as JsonObject;
    if (typeof field !== "string" || !USER_FIELDS.has(field)) throw invalidRequest(`unknown sort field ${String(field)}`);
    return { field: field as keyof DescopeUser, desc: desc === true };
  });
}

function readTimeRanges(body: JsonObject): TimeRangeMs[] {
  const positive = (ms: number | undefined) => (ms !== undefined && ms > 0 ? ms : undefined);
  const ranges: TimeRangeMs[] = [
    { field: "createdTime", fromMs: positive(readInt64(body, "fromCreatedTime")), toMs: readInt64(body, "toCreatedTime") },
    { field: "modifiedTime", fromMs: positive(readInt64(body, "fromModifiedTime")), toMs: readInt64(body, "toModifiedTime") },
  ];
  return ranges.filter((range) => range.fromMs !== undefined || range.toMs !== undefined);
}

/** The two ends of a time range as predicates; `from` is strictly after when bounds are exclusive. */
function rangeEnds({ field, fromMs, toMs }: TimeRangeMs, exclusiveFrom: boolean) {
  const timeMs = (user: DescopeUser) => userTimeS(user, field) * 1000;
  return {
    afterFrom: (user: DescopeUser) => fromMs === undefined || (exclusiveFrom ? timeMs(user) > fromMs : timeMs(user) >= fromMs),
    beforeTo: (user: DescopeUser) => toMs === undefined || timeMs(user) <= toMs,
  };
}

function customAttributesPredicate(body: JsonObject): UserPredicate | undefined {
  const filter = body.customAttributes;
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter !== "object" || Array.isArray(filter)) throw invalidRequest("customAttributes must be an object");
  const entries = Object.entries(filter);
  if (entries.length === 0) return undefined;
  return (user) =>
    entries.every(([name, expected]) => {
      const actual = user.customAttributes?.[name];
      return Array.isArray(expected) ? expected.includes(actual) : actual === expected;
    });
}

function tenantRoleNamesPredicate(body: JsonObject): UserPredicate | undefined {
  const filter = body.tenantRoleNames as Record<string, { values?: string[]; and?: boolean }> | undefined;
  if (!filter || typeof filter !== "object") return undefined;
  const entries = Object.entries(filter);
  if (entries.length === 0) return undefined;
  return (user) =>
    entries.some(([tenantId, { values = [], and = false }]) => {
      const roles = user.userTenants?.find((entry) => entry.tenantId === tenantId)?.roleNames ?? [];
      return and ? values.every((role) => roles.includes(role)) : values.some((role) => roles.includes(role));
    });
}

function textPredicate(body: JsonObject): UserPredicate | undefined {
  const text = readString(body, "text")?.toLowerCase();
  if (!text) return undefined;
  return (user) => [user.userId, user.name, user.email, user.phone, ...user.loginIds].some((value) => value?.toLowerCase().includes(text));
}

/** Filters other than the time range already applied by binary search. */
function filterPredicates(body: JsonObject, timeRanges: TimeRangeMs[], exclusiveFrom: boolean): UserPredicate[] {
  const predicates: (UserPredicate | undefined)[] = [
    textPredicate(body),
    oneOf(readStringArray(body, "userIds"), (user) => user.userId),
    anyOf(readStringArray(body, "loginIds"), (user) => user.loginIds),
    oneOf(readStringArray(body, "emails"), (user) => user.email),
    oneOf(readStringArray(body, "phones"), (user) => user.phone),
    oneOf(readStringArray(body, "statuses"), (user) => user.status),
    anyOf(readStringArray(body, "tenantIds"), (user) => user.userTenants?.map((entry) => entry.tenantId)),
    anyOf(readStringArray(body, "ssoAppIds"), (user) => user.ssoAppIds),
    anyOf(readStringArray(body, "roleNames"), (user: DescopeUser) => [
      ...(user.roleNames ?? []),
      ...(user.userTenants?.flatMap((entry) => entry.roleNames ?? []) ?? []),
    ]),
    customAttributesPredicate(body),
    tenantRoleNamesPredicate(body),
    // Only `true` filters: an SDK that always sends false must still see everyone.
    readBoolean(body, "verifiedEmail") ? (user) => user.verifiedEmail === true : undefined,
    readBoolean(body, "verifiedPhone") ? (user) => user.verifiedPhone === true : undefined,
    ...timeRanges.map((range): UserPredicate => {
      const { afterFrom, beforeTo } = rangeEnds(range, exclusiveFrom);
      return (user) => afterFrom(user) && beforeTo(user);
    }),
  ];
  return predicates.filter((predicate) => predicate !== undefined);
}

/** The [start, end) slice of a view sorted by `lead` that satisfies `range` (views are sorted, so it is contiguous). */
function rangeBounds(view: readonly DescopeUser[], lead: SortKey, range: TimeRangeMs, exclusiveFrom: boolean): [number, number] {
  const { afterFrom, beforeTo } = rangeEnds(range, exclusiveFrom);
  if (lead.desc) {
    const start = firstIndexWhere(view, 0, view.length, beforeTo);
    return [start, firstIndexWhere(view, start, view.length, (user) => !afterFrom(user))];
  }
  const start = firstIndexWhere(view, 0, view.length, afterFrom);
  return [start, firstIndexWhere(view, start, view.length, (user) => !beforeTo(user))];
}

function population(body: JsonObject, forceTestUsersOnly: boolean): Population {
  if (forceTestUsersOnly || readBoolean(body, "testUsersOnly")) return "test";
  return readBoolean(body, "withTestUser") ? "all" : "regular";
}

/** `dropUsersFromPages: n`: one user in n (by id) is left out of every page while still counted in `total`. */
function pageFault(dropOneIn: number): (users: DescopeUser[]) => DescopeUser[] {
  if (!dropOneIn) return (users) => users;
  return (users) => users.filter((user) => hashOf("dropped-from-pages", user.userId) % dropOneIn !== 0);
}

export function searchUsers({ request, store, options }: HandlerContext, forceTestUsersOnly: boolean): Reply {
  const body = bodyObject(request);
  const limit = readNonNegativeInt(body, "limit") || DEFAULT_LIMIT;
  const offset = readNonNegativeInt(body, "offset") || readNonNegativeInt(body, "page") * limit;
  const exclusiveFrom = options.exclusiveUserTimeBounds;
  const served = pageFault(options.dropUsersFromPages);
  const requestedSort = readSort(body, options.rejectUserSort);
  const sort: SortKey[] = options.ignoreUserSort ? [{ field: "userId", desc: false }] : requestedSort;
  const view = store.index.view(population(body, forceTestUsersOnly), sort);

  let timeRanges = readTimeRanges(body);
  let [start, end] = [0, view.length];
  const lead = sort[0];
  const leadRange = lead && timeRanges.find((range) => range.field === lead.field);
  if (lead && leadRange) {
    [start, end] = rangeBounds(view, lead, leadRange, exclusiveFrom);
    timeRanges = timeRanges.filter((range) => range !== leadRange);
  }

  const predicates = filterPredicates(body, timeRanges, exclusiveFrom);
  const matches = allOf(predicates);
  if (predicates.length === 0) {
    return { body: { users: served(view.slice(start + offset, Math.min(end, start + offset + limit))), total: end - start } };
  }
  const users: DescopeUser[] = [];
  let total = 0;
  for (let i = start; i < end; i++) {
    const user = view[i];
    if (!matches(user)) continue;
    if (total >= offset && users.length < limit) users.push(user);
    total++;
  }
  return { body: { users: served(users), total } };
}

export const userRoutes: Route[] = [
  { method: "POST", path: "/v2/mgmt/user/search", bucket: "userSearch", handle: (context) => searchUsers(context, false) },
  { method: "POST", path: "/v1/mgmt/user/search", bucket: "userSearch", handle: (context) => searchUsers(context, false) },
];
