/**
 * tenants and tenant_settings (docs/descope-api-notes.md §7): `GET /v1/mgmt/tenant/all` → `{tenants}` in one response,
 * `GET /v1/mgmt/tenant?id=` → the flat tenant, `GET /v1/mgmt/tenant/settings?id=` → flat settings.
 */
import { ErrorCode, missingArgument, notFound } from "../descope-error.js";
import { listReply, type HandlerContext, type Route } from "../route.js";
import type { Tenant } from "../types.js";

function requestedTenant({ request, store }: HandlerContext): Tenant {
  const tenantId = request.query.id;
  if (!tenantId) throw missingArgument("id");
  const tenant = store.tenantById(tenantId);
  if (!tenant) throw notFound(ErrorCode.invalidArguments, "Tenant not found", `no tenant ${tenantId}`);
  return tenant;
}

export const tenantRoutes: Route[] = [
  { method: "GET", path: "/v1/mgmt/tenant/all", bucket: "management", handle: ({ store }) => listReply("tenants", store.tenants) },
  { method: "GET", path: "/v1/mgmt/tenant", bucket: "management", handle: (context) => ({ body: requestedTenant(context) }) },
  {
    method: "GET",
    path: "/v1/mgmt/tenant/settings",
    bucket: "management",
    handle: (context) => ({ body: context.store.tenantSettings(requestedTenant(context)) }),
  },
];
