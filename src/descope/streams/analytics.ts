import { systemError } from "../../cdk/errors.js";
import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { syntheticId } from "../../cdk/synthetic-id.js";
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
 * Only fields the go SDK sends (`internal/mgmt/analytics.go`): the management gateway rejects unknown ones.
 */
const GROUP_BY = {
  groupByCreated: "d",
  groupByAction: true,
  groupByDevice: true,
  groupByMethod: true,
  groupByGeo: true,
  groupByTenant: true,
} as const;

/** Whole UTC days `[startMs, endMs)`, one calendar month or the part of one inside the window. */
interface DayRange {
  startMs: number;
  endMs: number;
}

/** The window `[fromMs, toMs)` cut at every UTC month start: no chunk is longer than 31 days, none splits a day. */
function monthChunks(fromMs: number, toMs: number): DayRange[] {
  const chunks: DayRange[] = [];
  for (let startMs = fromMs; startMs < toMs; ) {
    const start = new Date(startMs);
    const nextMonthMs = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
    const endMs = Math.min(nextMonthMs, toMs);
    chunks.push({ startMs, endMs });
    startMs = endMs;
  }
  return chunks;
}

/**
 * `analytics`: `POST /v1/mgmt/analytics/search` aggregates on the server and has neither paging nor record ids.
 * A large multi-tenant project's year of every dimension need not fit in one answer, so the window is asked a
 * calendar month at a time (full refresh), and each row is keyed by a hash of its day and dimension values. A
 * dimension Descope has no value for is omitted from the row and hashed as null.
 *
 * Whether `from`/`to` are inclusive is not settled (the go SDK says "newer than"/"older than", the emulator reads
 * both inclusively), so each chunk asks one millisecond more on either side and keeps only the rows of its own
 * days: a neighbour day's row can then only be the partial count of that extra millisecond, which the
 * neighbouring chunk has in full. Any other row outside the chunk means Descope's days are not UTC days, so the
 * chunks would split them: that fails the stream rather than deliver halves.
 */
export function analyticsStream(client: DescopeClient): Stream {
  return {
    name: "analytics",
    jsonSchema: loadSchema("analytics"),
    primaryKey: [["id"]],
    async *read() {
      const nowMs = Date.now();
      const fromMs = nowMs - (nowMs % DAY_MS) - WINDOW_DAYS * DAY_MS;
      for (const chunk of monthChunks(fromMs, nowMs)) {
        const rows = await fetchList(client, {
          method: "POST",
          path: "/v1/mgmt/analytics/search",
          field: "analytics",
          body: { from: chunk.startMs - 1, to: chunk.endMs, ...GROUP_BY },
        });
        for (const row of rowsOfOwnDays(rows, chunk)) {
          yield { id: syntheticId([row.created, row.action, row.device, row.method, row.geo, row.tenant, row.referrer]), ...row };
        }
      }
    },
  };
}

function rowsOfOwnDays(rows: JsonObject[], { startMs, endMs }: DayRange): JsonObject[] {
  return rows.filter((row) => {
    const createdMs = Number(row.created);
    if (createdMs >= startMs && createdMs < endMs && createdMs % DAY_MS === 0) return true;
    if (createdMs === startMs - DAY_MS || createdMs === endMs) return false;
    throw systemError(
      `Descope answered an analytics row for ${JSON.stringify(row.created)} to a request for the UTC days ` +
        `${new Date(startMs).toISOString()} to ${new Date(endMs).toISOString()}: its days are not UTC days, so ` +
        `reading a month at a time would split them.`,
    );
  });
}
