import type { Stream } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { fetchList } from "./list-endpoint.js";
import { FEATURE_NOT_USED, orFeatureNotUsed } from "./optional-feature.js";
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
        const apps = await fetchList(client, { method: "GET", path: "/v1/mgmt/outbound/apps", field: "apps", exceptions: FEATURE_NOT_USED });
        if (apps instanceof EmptyAnswer) return apps;
        yield* apps;
      };
      for await (const app of orFeatureNotUsed(context, "outbound_apps", apps())) yield withoutSecrets(app);
    },
  };
}
