import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import { mapConcurrentOrdered } from "../concurrency.js";
import type { DeclaredException } from "../outcomes.js";
import { loadSchema } from "../schemas.js";
import { fetchList } from "./list-endpoint.js";
import { ALL_TENANTS } from "./tenants.js";

/** Answers for one tenant that mean "this tenant has no groups to list" (e.g. no SSO configured), not a broken sync. */
const NO_GROUPS: DeclaredException = { meaning: "no groups to list", statuses: [400, 404] };

/**
 * `groups`: SCIM/JIT groups exist per tenant and there is no project-wide list, so the stream fans out over
 * `GET /v1/mgmt/tenant/all`. Group ids come from the customer's IdP and repeat across tenants, hence the key
 * (`tenantId`, `id`) and the `tenantId` added to each record. No tenants means no calls and no records.
 */
export function groupsStream(client: DescopeClient, settings: { concurrency: number }): Stream {
  return {
    name: "groups",
    jsonSchema: loadSchema("groups"),
    primaryKey: [["tenantId"], ["id"]],
    async *read(context) {
      const tenantIds = (await fetchList(client, ALL_TENANTS)).map((tenant) => String(tenant.id));
      const refused: string[] = [];
      // Calls stay in flight across tenants and come back in tenant order, so output flows on projects with many.
      const answers = mapConcurrentOrdered(tenantIds, settings.concurrency, async (tenantId) => {
        const groups = await fetchGroups(client, tenantId);
        if (!(groups instanceof EmptyAnswer)) return { tenantId, groups };
        refused.push(`${tenantId} (HTTP ${groups.status}${groups.errorCode ? ` ${groups.errorCode}` : ""})`);
        return { tenantId, groups: [] };
      });
      for await (const { tenantId, groups } of answers) {
        for (const group of groups) yield { ...group, tenantId };
      }
      if (refused.length > 0) {
        context.log.warn(`groups: Descope would not list the groups of ${refused.length} tenant(s), read as having none: ${refused.slice(0, 10).join(", ")}.`);
      }
    },
  };
}

/** The SDKs get a bare array back; the OpenAPI shows `{groups: [...]}`. fetchList takes both. */
function fetchGroups(client: DescopeClient, tenantId: string): Promise<JsonObject[] | EmptyAnswer> {
  return fetchList(client, { method: "POST", path: "/v1/mgmt/group/all", field: "groups", body: { tenantId }, exceptions: [NO_GROUPS] });
}
