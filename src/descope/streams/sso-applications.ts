import type { DescopeClient } from "../client.js";
import { listStream } from "./list-endpoint.js";

/** `sso_applications`: the apps Descope serves as an identity provider, in one call; their secrets are never included (docs/descope-api-notes.md §10). */
export function ssoApplicationsStream(client: DescopeClient) {
  return listStream(client, {
    name: "sso_applications",
    primaryKey: [["id"]],
    endpoint: { method: "GET", path: "/v1/mgmt/sso/idp/apps/load", field: "apps" },
  });
}
