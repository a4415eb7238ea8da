import type { DescopeClient } from "../client.js";
import { listStream } from "./list-endpoint.js";

/** `permissions`: one call returns them all. Keyed by `name`, which is unique and always sent; `id` is optional (docs/descope-api-notes.md §8). */
export function permissionsStream(client: DescopeClient) {
  return listStream(client, {
    name: "permissions",
    primaryKey: [["name"]],
    endpoint: { method: "GET", path: "/v1/mgmt/permission/all", field: "permissions" },
  });
}
