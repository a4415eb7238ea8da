/**
 * analytics: `POST /v1/mgmt/analytics/search` (docs/descope-api-notes.md §6). Counts aggregated from seeded hourly samples over
 * the `groupBy*` dimensions; `created` is the bucket start and `cnt` the sum, both int64 so both JSON strings.
 * Buckets are UTC: hour, day, ISO week (Monday), month, quarter. No pagination, no record id.
 */
import { invalidRequest } from "../descope-error.js";
import { bodyObject, readBoolean, readInt64, readStringArray, type JsonObject, type Route } from "../route.js";
import type { AnalyticsSample } from "../types.js";

const DAY_MS = 24 * 3600 * 1000;
/** "Limited to no older than 12 months"; two days of slack for leap years and clock skew. */
export const ANALYTICS_MAX_AGE_MS = 367 * DAY_MS;

type Dimension = "action" | "device" | "method" | "geo" | "tenant" | "referrer";
const GROUP_BY_FIELDS: Record<string, Dimension> = {
  groupByAction: "action",
  groupByDevice: "device",
  groupByMethod: "method",
  groupByGeo: "geo",
  groupByTenant: "tenant",
  groupByReferrer: "referrer",
};

function bucketStartMs(createdMs: number, unit: string): number {
  const date = new Date(createdMs);
  switch (unit) {
    case "h":
      return createdMs - (createdMs % 3_600_000);
    case "d":
      return createdMs - (createdMs % DAY_MS);
    case "w": {
      const dayStart = createdMs - (createdMs % DAY_MS);
      return dayStart - ((date.getUTCDay() + 6) % 7) * DAY_MS;
    }
    case "m":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    case "q":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - (date.getUTCMonth() % 3), 1);
    default:
      throw invalidRequest(`groupByCreated must be one of h, d, w, m, q, got ${unit}`);
  }
}

function samplePredicates(body: JsonObject): ((sample: AnalyticsSample) => boolean)[] {
  const filters: [string, Dimension][] = [
    ["actions", "action"],
    ["devices", "device"],
    ["methods", "method"],
    ["geos", "geo"],
    ["tenants", "tenant"],
  ];
  const predicates = filters.flatMap(([field, dimension]) => {
    const values = readStringArray(body, field);
    return values ? [(sample: AnalyticsSample) => values.includes(sample[dimension])] : [];
  });
  const excluded = readStringArray(body, "excludedActions");
  if (excluded) predicates.push((sample) => !excluded.includes(sample.action));
  return predicates;
}

export const analyticsRoutes: Route[] = [
  {
    method: "POST",
    path: "/v1/mgmt/analytics/search",
    bucket: "management",
    handle({ request, store, options }) {
      const body = bodyObject(request);
      const fromMs = readInt64(body, "from");
      const toMs = readInt64(body, "to");
      if (fromMs !== undefined && fromMs > 0 && fromMs < store.now() - ANALYTICS_MAX_AGE_MS) {
        throw invalidRequest("from time is limited to no older than 12 months");
      }
      const maxDays = options.analyticsMaxDaysPerRequest;
      const windowDays = Math.floor(((toMs || store.now()) - (fromMs || store.now() - ANALYTICS_MAX_AGE_MS)) / DAY_MS);
      if (maxDays !== undefined && windowDays > maxDays) {
        throw invalidRequest(`the analytics window is limited to ${maxDays} days, got ${windowDays}`);
      }
      const createdUnit = typeof body.groupByCreated === "string" && body.groupByCreated ? body.groupByCreated : undefined;
      const dimensions = Object.entries(GROUP_BY_FIELDS)
        .filter(([flag]) => readBoolean(body, flag))
        .map(([, dimension]) => dimension);
      const predicates = samplePredicates(body);
      const rows = new Map<string, { row: Record<string, string>; count: number }>();
      for (const sample of store.analyticsSamples) {
        if ((fromMs && sample.createdMs < fromMs) || (toMs && sample.createdMs > toMs)) continue;
        if (!predicates.every((predicate) => predicate(sample))) continue;
        const row: Record<string, string> = { projectId: store.projectId };
        if (createdUnit) row.created = String(bucketStartMs(sample.createdMs, createdUnit));
        for (const dimension of dimensions) if (sample[dimension]) row[dimension] = sample[dimension];
        const key = JSON.stringify(row);
        const group = rows.get(key) ?? rows.set(key, { row, count: 0 }).get(key)!;
        group.count += sample.count;
      }
      const analytics: Record<string, string>[] = [...rows.values()].map(({ row, count }) => ({ ...row, cnt: String(count) }));
      analytics.sort((a, b) => Number(a.created ?? 0) - Number(b.created ?? 0));
      return { body: { analytics } };
    },
  },
];
