import { systemError } from "../../cdk/errors.js";
import type { JsonObject } from "../../cdk/protocol.js";
import type { StreamContext } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import type { DeclaredException } from "../outcomes.js";

/** A Descope list paged by `{page, limit}` (0-based pages) that answers `{<field>: [...], total}`. */
export interface PagedEndpoint {
  path: string;
  field: string;
  /** Rows per request; a server may cap it lower, which the loop tolerates. */
  limit: number;
  /** Answers to the first request that end the read with that EmptyAnswer as its return value, e.g. FEATURE_NOT_USED. */
  firstPageExceptions?: readonly DeclaredException[];
}

/**
 * Reads every page of a `{page, limit}` list and checks the rows against Descope's `total`. The loop goes by what
 * came back, not by `limit`: it stops when `total` distinct rows have arrived, on an empty page, or (no `total`
 * sent: protojson omits 0) on a page shorter than asked. A page with nothing new (a server that ignores `page`)
 * also stops it. Then fewer distinct rows than `total` is an error, not a quiet short stream. Rows are yielded as
 * they arrive; a row repeated on a later page (the list shifted under us) is yielded again, harmless downstream.
 */
export async function* readPages(
  client: DescopeClient,
  context: StreamContext,
  endpoint: PagedEndpoint,
): AsyncGenerator<JsonObject, EmptyAnswer | undefined> {
  const seenIds = new Set<string>();
  let total: number | undefined;
  for (let page = 0; ; page++) {
    const exceptions = page === 0 ? endpoint.firstPageExceptions : undefined;
    const answer = (await client.post(endpoint.path, { page, limit: endpoint.limit }, "management", { exceptions })) as Record<
      string,
      unknown
    > | null;
    if (answer instanceof EmptyAnswer) return answer;
    const rows = answer?.[endpoint.field] ?? [];
    if (!Array.isArray(rows)) throw systemError(`Unexpected response from ${endpoint.path}: expected a list under "${endpoint.field}".`);
    if (typeof answer?.total === "number") {
      if (total === undefined) context.estimate(answer.total);
      total = answer.total;
    }
    const before = seenIds.size;
    for (const row of rows as JsonObject[]) {
      seenIds.add(String(row.id));
      yield row;
    }
    const nothingNew = seenIds.size === before;
    if (nothingNew || (total !== undefined ? seenIds.size >= total : rows.length < endpoint.limit)) break;
  }
  context.report(`${seenIds.size} distinct of Descope's total ${total ?? 0}`);
  if (seenIds.size < (total ?? 0)) {
    throw systemError(`${endpoint.path} reported ${total} rows but paging delivered ${seenIds.size}; the stream is incomplete, run the sync again.`);
  }
}
