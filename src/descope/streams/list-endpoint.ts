import { systemError } from "../../cdk/errors.js";
import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
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
}

/**
 * Calls a list endpoint and returns its rows. Descope leaves an empty list's field out entirely (protojson omits
 * defaults), so a missing field is an empty list; a bare array is accepted too, because Descope's JSON gateway
 * flattens some wrappers the docs still show (groups, login history).
 */
export async function fetchList(client: DescopeClient, endpoint: ListEndpoint): Promise<JsonObject[]> {
  const answer =
    endpoint.method === "GET"
      ? await client.get(endpoint.path, endpoint.query ?? {}, "management")
      : await client.post(endpoint.path, endpoint.body ?? {}, "management");
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
