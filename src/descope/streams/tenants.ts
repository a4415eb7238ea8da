import type { DescopeClient } from "../client.js";
import { listStream, type ListEndpoint } from "./list-endpoint.js";

/** Every tenant in one answer (docs/descope-api-notes.md §7); the groups stream fans out over the same list. */
export const ALL_TENANTS: ListEndpoint = { method: "GET", path: "/v1/mgmt/tenant/all", field: "tenants" };

/** `tenants`: `GET /v1/mgmt/tenant/all` returns the whole list at once, so a full refresh is one call. */
export function tenantsStream(client: DescopeClient) {
  return listStream(client, { name: "tenants", primaryKey: [["id"]], endpoint: ALL_TENANTS });
}
