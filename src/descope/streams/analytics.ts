import type { Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { syntheticId } from "../synthetic-id.js";
import { fetchList } from "./list-endpoint.js";
import { loadSchema } from "../schemas.js";

const DAY_MS = 24 * 3600 * 1000;
/**
 * Descope answers at most the last 12 months. The window starts at the UTC midnight 364 days before today's, so
 * every daily bucket in it is whole and `from` stays at least a day inside the limit, whatever the clock skew.
 */
const WINDOW_DAYS = 364;

/**
 * The dimensions of the daily fact table: one row per day × action × device × method × country × tenant. The
 * referrer is left out: it is a free-form URL, so grouping by it multiplies the rows for little analytic value.
 */
const GROUP_BY = {
  groupByCreated: "d",
  groupByAction: true,
  groupByDevice: true,
  groupByMethod: true,
  groupByGeo: true,
  groupByTenant: true,
} as const;

/**
 * `analytics`: `POST /v1/mgmt/analytics/search` aggregates on the server and has neither paging nor record ids,
 * so each sync reads the whole window in one call (full refresh) and keys each row by a hash of its day and
 * dimension values. A dimension Descope has no value for is omitted from the row and hashed as null.
 */
export function analyticsStream(client: DescopeClient): Stream {
  return {
    name: "analytics",
    jsonSchema: loadSchema("analytics"),
    primaryKey: [["id"]],
    async *read() {
      const nowMs = Date.now();
      const fromMs = nowMs - (nowMs % DAY_MS) - WINDOW_DAYS * DAY_MS;
      const rows = await fetchList(client, {
        method: "POST",
        path: "/v1/mgmt/analytics/search",
        field: "analytics",
        body: { from: fromMs, to: nowMs, ...GROUP_BY },
      });
      for (const row of rows) {
        yield { id: syntheticId([row.created, row.action, row.device, row.method, row.geo, row.tenant, row.referrer]), ...row };
      }
    },
  };
}
