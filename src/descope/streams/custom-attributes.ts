import type { DescopeClient } from "../client.js";
import { listStream } from "./list-endpoint.js";

/** `custom_attributes`: the project's user custom-attribute definitions, in one call, keyed by their unique `name` (docs/descope-api-notes.md §4.7). */
export function customAttributesStream(client: DescopeClient) {
  return listStream(client, {
    name: "custom_attributes",
    primaryKey: [["name"]],
    endpoint: { method: "GET", path: "/v1/mgmt/user/customattributes", field: "data" },
  });
}
