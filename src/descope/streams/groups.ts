import type { Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { fetchList } from "./list-endpoint.js";
import { NOTHING_FOR_TENANT, readPerTenant } from "./tenant-fan-out.js";

/** `ssoId` of a group Descope sent without one (older deployments, single-SSO projects): part of the key, so never null. */
export const NO_SSO_ID = "";

/**
 * `groups`: SCIM/JIT groups exist per tenant and there is no project-wide list, so the stream fans out over the
 * tenants. Group ids come from the customer's IdP and repeat across tenants and across a tenant's SSO
 * configurations (docs/descope-api-notes.md §0.1 item 8), hence the key (`tenantId`, `ssoId`, `id`), the `tenantId` added to each
 * record and `ssoId` defaulted to "" when absent.
 */
export function groupsStream(client: DescopeClient, settings: { concurrency: number }): Stream {
  return {
    name: "groups",
    jsonSchema: loadSchema("groups"),
    primaryKey: [["tenantId"], ["ssoId"], ["id"]],
    async *read(context) {
      for await (const { tenantId, rows } of readPerTenant(client, context, { ...settings, what: "the groups" }, (tenantId) =>
        fetchGroups(client, tenantId),
      )) {
        for (const group of rows) yield { ...group, tenantId, ssoId: typeof group.ssoId === "string" ? group.ssoId : NO_SSO_ID };
      }
    },
  };
}

/** The SDKs get a bare array back; the OpenAPI shows `{groups: [...]}`. fetchList takes both. */
function fetchGroups(client: DescopeClient, tenantId: string) {
  return fetchList(client, { method: "POST", path: "/v1/mgmt/group/all", field: "groups", body: { tenantId }, exceptions: [NOTHING_FOR_TENANT] });
}
