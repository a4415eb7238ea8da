import type { DescopeClient } from "../client.js";
import { listStream } from "./list-endpoint.js";

/**
 * `roles`: project roles and tenant roles together. `POST /v1/mgmt/role/search {}` is the documented "all roles"
 * call; whether `GET /v1/mgmt/role/all` includes tenant roles is not (docs/descope-api-notes.md §8).
 *
 * Key: (`tenantId`, `name`), not `id`. Role names are unique within a tenant (or within the project, for project
 * roles), and every deployment sends them, while `id` is missing from the OpenAPI model and may be absent. Project
 * roles come without `tenantId` (protojson omits the empty string); it is set to "" so no key column is ever null.
 */
export function rolesStream(client: DescopeClient) {
  return listStream(client, {
    name: "roles",
    primaryKey: [["tenantId"], ["name"]],
    endpoint: { method: "POST", path: "/v1/mgmt/role/search", field: "roles", body: {} },
    toRecord: (role) => ({ ...role, tenantId: role.tenantId ?? "" }),
  });
}
