import type { JsonObject } from "../../cdk/protocol.js";
import type { StreamContext } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import { mapConcurrentOrdered } from "../../cdk/concurrency.js";
import type { DeclaredException } from "../outcomes.js";
import { fetchList } from "./list-endpoint.js";
import { ALL_TENANTS } from "./tenants.js";

/**
 * Answers for one tenant that mean "this tenant has none of these" (no SSO configured, the tenant deleted mid-sync),
 * not a broken sync. Per-tenant requests declare it; `readPerTenant` names such tenants in one WARN.
 */
export const NOTHING_FOR_TENANT: DeclaredException = { meaning: "nothing for this tenant", statuses: [400, 404] };

/**
 * For data Descope keeps per tenant with no project-wide list (groups, SSO settings, tenant settings): lists every
 * tenant (`GET /v1/mgmt/tenant/all`), then calls `fetchRows` per tenant with up to `concurrency` calls in flight,
 * answers in tenant order so output flows on projects with many tenants. A tenant answered with NOTHING_FOR_TENANT
 * is read as having none and named in one WARN at the end; no tenants means no calls.
 */
export async function* readPerTenant(
  client: DescopeClient,
  context: StreamContext,
  settings: { concurrency: number; what: string },
  fetchRows: (tenantId: string) => Promise<JsonObject[] | EmptyAnswer>,
): AsyncGenerator<{ tenantId: string; rows: JsonObject[] }> {
  const tenantIds = (await fetchList(client, ALL_TENANTS)).map((tenant) => String(tenant.id));
  const refused: string[] = [];
  const answers = mapConcurrentOrdered(tenantIds, settings.concurrency, async (tenantId) => {
    const rows = await fetchRows(tenantId);
    if (!(rows instanceof EmptyAnswer)) return { tenantId, rows };
    refused.push(`${tenantId} (HTTP ${rows.status}${rows.errorCode ? ` ${rows.errorCode}` : ""})`);
    return { tenantId, rows: [] };
  });
  yield* answers;
  if (refused.length > 0) {
    context.log.warn(
      `Descope would not list ${settings.what} of ${refused.length} tenant(s), read as having none: ${refused.slice(0, 10).join(", ")}.`,
    );
  }
}
