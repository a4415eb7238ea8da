import type { DescopeClient } from "../client.js";
import { listStream } from "./list-endpoint.js";

/** `access_keys`: a search with no filter returns every key, unpaged; it never includes key secrets (docs/descope-api-notes.md §9). */
export function accessKeysStream(client: DescopeClient) {
  return listStream(client, {
    name: "access_keys",
    primaryKey: [["id"]],
    endpoint: { method: "POST", path: "/v1/mgmt/accesskey/search", field: "keys", body: {} },
  });
}
