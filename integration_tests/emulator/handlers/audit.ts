/**
 * audit_events: `POST /v1/mgmt/audit/search` (docs/descope-api-notes.md §5). Paged by `page` + `size` (max 1000), newest first
 * unless `oldestFirst`, `total` counts all matches. `from` older than 30 days is rejected, and nothing older than
 * 30 days is ever returned. Non-positive `from`/`to` mean unset: go-sdk sends the zero time when they are.
 * Bounds are inclusive unless `exclusiveAuditFrom`/`exclusiveAuditTo`; `ignoreAuditOldestFirst` always answers
 * newest first; `auditIdField: "id"` sends the record ID as `id`.
 */
import { invalidRequest } from "../descope-error.js";
import { bodyObject, readBoolean, readInt64, readNonNegativeInt, readString, readStringArray, type JsonObject, type Route } from "../route.js";
import type { AuditEvent } from "../types.js";
import { allOf, anyOf, oneOf, type Predicate } from "../filters.js";

export const AUDIT_RETENTION_MS = 30 * 24 * 3600 * 1000;
const MAX_PAGE_SIZE = 1000;

type AuditPredicate = Predicate<AuditEvent>;

function positiveOrUnset(body: JsonObject, field: string): number | undefined {
  const value = readInt64(body, field);
  return value !== undefined && value > 0 ? value : undefined;
}

function auditPredicates(body: JsonObject): AuditPredicate[] {
  const excludedActions = new Set(readStringArray(body, "excludedActions") ?? []);
  const text = readString(body, "text")?.toLowerCase();
  const tenants = readStringArray(body, "tenants");
  const tenantFilter = anyOf(tenants, (event: AuditEvent) => event.tenants);
  const noTenants = readBoolean(body, "noTenants");
  const predicates: (AuditPredicate | undefined)[] = [
    oneOf(readStringArray(body, "userIds"), (event: AuditEvent) => event.userId),
    oneOf(readStringArray(body, "actorIds"), (event: AuditEvent) => event.actorId),
    oneOf(readStringArray(body, "actions"), (event: AuditEvent) => event.action),
    excludedActions.size ? (event) => !excludedActions.has(event.action) : undefined,
    oneOf(readStringArray(body, "devices"), (event: AuditEvent) => event.device),
    oneOf(readStringArray(body, "methods"), (event: AuditEvent) => event.method),
    oneOf(readStringArray(body, "geos"), (event: AuditEvent) => event.geo),
    oneOf(readStringArray(body, "remoteAddresses"), (event: AuditEvent) => event.remoteAddress),
    anyOf(readStringArray(body, "externalIds"), (event: AuditEvent) => event.externalIds),
    tenantFilter && ((event) => tenantFilter(event) || (noTenants && !event.tenants?.length)),
    text ? (event) => JSON.stringify(event).toLowerCase().includes(text) : undefined,
  ];
  return predicates.filter((predicate) => predicate !== undefined);
}

function withLowerCaseId({ ID, ...event }: AuditEvent): JsonObject {
  return ID === undefined ? event : { id: ID, ...event };
}

export const auditRoutes: Route[] = [
  {
    method: "POST",
    path: "/v1/mgmt/audit/search",
    bucket: "audit",
    handle({ request, store, options }) {
      const body = bodyObject(request);
      const oldestSearchableMs = store.now() - AUDIT_RETENTION_MS;
      const fromMs = positiveOrUnset(body, "from");
      const toMs = positiveOrUnset(body, "to");
      if (fromMs !== undefined && fromMs < oldestSearchableMs) {
        throw invalidRequest("from time is limited to no older than 30 days");
      }
      const size = Math.min(readNonNegativeInt(body, "size") || MAX_PAGE_SIZE, MAX_PAGE_SIZE);
      const page = readNonNegativeInt(body, "page");
      const wanted = allOf(auditPredicates(body));
      const afterFrom = (occurredMs: number) =>
        fromMs === undefined ? occurredMs >= oldestSearchableMs : options.exclusiveAuditFrom ? occurredMs > fromMs : occurredMs >= fromMs;
      const beforeTo = (occurredMs: number) => toMs === undefined || (options.exclusiveAuditTo ? occurredMs < toMs : occurredMs <= toMs);
      const matches = store.auditEvents.filter((event) => {
        const occurredMs = Number(event.occurred);
        return afterFrom(occurredMs) && beforeTo(occurredMs) && wanted(event);
      });
      if (options.ignoreAuditOldestFirst || !readBoolean(body, "oldestFirst")) matches.reverse();
      const audits = matches.slice(page * size, (page + 1) * size);
      return { body: { audits: options.auditIdField === "id" ? audits.map(withLowerCaseId) : audits, total: matches.length } };
    },
  },
];
