import type { Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { fetchList } from "./list-endpoint.js";
import { unlessFeatureUnavailable } from "./optional-feature.js";
import { withoutSecrets } from "./secret-fields.js";

/**
 * `outbound_apps`: the OAuth providers this project connects users and tenants to (Google Workspace, Slack, a
 * custom CRM). `GET /v1/mgmt/outbound/apps` → `{apps}`, one unpaged answer; full refresh. The SDKs accept a
 * `clientSecret` only on create, but a record is a copy of what the API sends, so it and any other secret-named
 * field (including a `client_secret` token URL parameter) are dropped. The user/tenant token endpoints hand out
 * live tokens and are never called.
 */
export function outboundAppsStream(client: DescopeClient): Stream {
  return {
    name: "outbound_apps",
    jsonSchema: loadSchema("outbound_apps"),
    primaryKey: [["id"]],
    async *read(context) {
      const apps = async function* () {
        yield* await fetchList(client, { method: "GET", path: "/v1/mgmt/outbound/apps", field: "apps" });
      };
      for await (const app of unlessFeatureUnavailable(context, "outbound_apps", apps())) yield withoutSecrets(app);
    },
  };
}
