import type { Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { NO_SSO_ID } from "./groups.js";
import { fetchList } from "./list-endpoint.js";
import { withoutSecrets } from "./secret-fields.js";
import { NOTHING_FOR_TENANT, readPerTenant } from "./tenant-fan-out.js";

/**
 * `tenant_sso_settings`: one record per SSO configuration (SAML or OIDC) of each tenant. A tenant may have none,
 * one or several ("multi SSO", keyed by `ssoId`; the default one is `default_ssoid`), and there is no project-wide
 * list, so the stream fans out over the tenants: `GET /v2/mgmt/sso/settings/all?tenantId=` → `{"SSOSettings": [...]}`
 * (capital key, go SSOTenantAllSettingsResponse). Full refresh: nothing here carries a modification time.
 * An OIDC configuration's `clientSecret` is documented as empty on load; it is dropped anyway, with any other
 * secret-named field.
 */
export function tenantSsoSettingsStream(client: DescopeClient, settings: { concurrency: number }): Stream {
  return {
    name: "tenant_sso_settings",
    jsonSchema: loadSchema("tenant_sso_settings"),
    primaryKey: [["tenantId"], ["ssoId"]],
    async *read(context) {
      const perTenant = readPerTenant(client, context, { ...settings, what: "the SSO settings" }, (tenantId) => fetchSsoSettings(client, tenantId));
      for await (const { tenantId, rows } of perTenant) {
        for (const configuration of rows) {
          yield { ...withoutSecrets(configuration), tenantId, ssoId: typeof configuration.ssoId === "string" ? configuration.ssoId : NO_SSO_ID };
        }
      }
    },
  };
}

function fetchSsoSettings(client: DescopeClient, tenantId: string) {
  return fetchList(client, {
    method: "GET",
    path: "/v2/mgmt/sso/settings/all",
    query: { tenantId },
    field: "SSOSettings",
    exceptions: [NOTHING_FOR_TENANT],
  });
}
