/**
 * tenant_sso_settings: `GET /v2/mgmt/sso/settings/all?tenantId=` → `{"SSOSettings": [...]}` (capital key, go
 * SSOTenantAllSettingsResponse; node-sdk loadAllSettings reads `SSOSettings` and renames `oidc.userAttrMapping`).
 * A tenant without SSO answers `{"SSOSettings": []}`: unlike most lists the key is always sent here, since the
 * node SDK's loadAllSettings calls `SSOSettings.forEach` and would crash on a missing key (the connector takes both).
 */
import { ErrorCode, missingArgument, notFound } from "../descope-error.js";
import type { Route } from "../route.js";
import { requireFeature } from "./feature-gate.js";

export const tenantSsoSettingsRoutes: Route[] = [
  {
    method: "GET",
    path: "/v2/mgmt/sso/settings/all",
    bucket: "management",
    handle(context) {
      requireFeature(context, "sso");
      const tenantId = context.request.query.tenantId;
      if (!tenantId) throw missingArgument("tenantId");
      if (!context.store.tenantById(tenantId)) throw notFound(ErrorCode.invalidArguments, "Tenant not found", `no tenant ${tenantId}`);
      return { body: { SSOSettings: context.store.ssoConfigurationsOf(tenantId) } };
    },
  },
];
