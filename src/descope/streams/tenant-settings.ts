import type { Stream } from "../../cdk/stream.js";
import type { JsonObject } from "../../cdk/protocol.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { NOTHING_FOR_TENANT, readPerTenant } from "./tenant-fan-out.js";

/**
 * `tenant_settings`: each tenant's session, refresh and step-up token lifetimes, inactivity timeout,
 * self-provisioning domains and JIT switch. `GET /v1/mgmt/tenant/settings?id=` answers one tenant's flat settings
 * and there is no list, so the stream fans out over the tenants and adds `tenantId`. Full refresh: settings carry
 * no modification time. Field names are Descope's (the node SDK type spells `InactivityTime` with a capital I,
 * the go SDK `inactivityTime`; whichever arrives is kept).
 */
export function tenantSettingsStream(client: DescopeClient, settings: { concurrency: number }): Stream {
  return {
    name: "tenant_settings",
    jsonSchema: loadSchema("tenant_settings"),
    primaryKey: [["tenantId"]],
    async *read(context) {
      const perTenant = readPerTenant(client, context, { ...settings, what: "the settings" }, async (tenantId) => {
        const answer = await client.get("/v1/mgmt/tenant/settings", { id: tenantId }, "management", { exceptions: [NOTHING_FOR_TENANT] });
        return answer instanceof EmptyAnswer ? answer : [answer as JsonObject];
      });
      for await (const { tenantId, rows } of perTenant) {
        for (const tenantSettings of rows) yield { ...tenantSettings, tenantId };
      }
    },
  };
}
