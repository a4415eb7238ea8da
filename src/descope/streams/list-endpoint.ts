import { systemError } from "../../cdk/errors.js";
import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import type { DeclaredException } from "../outcomes.js";
import { loadSchema } from "../schemas.js";

/** A Descope endpoint that returns a whole list in one answer, with no paging. */
export interface ListEndpoint {
  method: "GET" | "POST";
  path: string;
  /** The field holding the list, e.g. `tenants` in `{"tenants": [...]}`. */
  field: string;
  /** GET query parameters (e.g. a tenant id). */
  query?: Record<string, string>;
  /** POST body; Descope's list and search endpoints take `{}` for "everything" (login history: a bare ID array). */
  body?: unknown;
  /** Answers the stream reads as "nothing here"; fetchList then resolves with the EmptyAnswer. */
  exceptions?: readonly DeclaredException[];
}

/**
 * Calls a list endpoint and returns its rows. Descope leaves an empty list's field out entirely (protojson omits
 * defaults), so a missing field is an empty list; a bare array is accepted too, because Descope's JSON gateway
 * flattens some wrappers the docs still show (groups, login history). An endpoint declared with `exceptions` may
 * resolve with the EmptyAnswer instead; for one without, the type says it never does.
 */
export async function fetchList<E extends ListEndpoint>(
  client: DescopeClient,
  endpoint: E,
): Promise<JsonObject[] | (E["exceptions"] extends readonly DeclaredException[] ? EmptyAnswer : never)> {
  const options = { exceptions: endpoint.exceptions };
  const answer =
    endpoint.method === "GET"
      ? await client.get(endpoint.path, endpoint.query ?? {}, "management", options)
      : await client.post(endpoint.path, endpoint.body ?? {}, "management", options);
  if (answer instanceof EmptyAnswer) return answer as never;
  const rows = Array.isArray(answer) ? answer : (answer as Record<string, unknown> | null)?.[endpoint.field];
  if (rows === undefined && answer !== null && typeof answer === "object") return [];
  if (!Array.isArray(rows)) throw systemError(`Unexpected response from ${endpoint.path}: expected a list under "${endpoint.field}".`);
  return rows as JsonObject[];
}

/** A full-refresh stream over one list endpoint: one call, every row, optionally reshaped into a record. */
export function listStream(
  client: DescopeClient,
  declaration: { name: string; primaryKey: string[][]; endpoint: ListEndpoint; toRecord?: (row: JsonObject) => JsonObject },
): Stream {
  const toRecord = declaration.toRecord ?? ((row: JsonObject) => row);
  return {
    name: declaration.name,
    jsonSchema: loadSchema(declaration.name),
    primaryKey: declaration.primaryKey,
    async *read() {
      for (const row of await fetchList(client, declaration.endpoint)) yield toRecord(row);
    },
  };
}
