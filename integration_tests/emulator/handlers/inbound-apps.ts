/**
 * inbound_apps and inbound_app_consents (third-party / OIDC-provider apps): `POST /v2/mgmt/thirdparty/apps/load
 * {page, limit}` → `{apps, total}` (go-sdk), `GET /v1/mgmt/thirdparty/apps/load` → `{apps}` (node and python SDKs,
 * older deployments), `POST /v1/mgmt/thirdparty/consents/search {page, limit, …}` → `{consents, total}`.
 * Pages are 0-based; limit 0 means the default page (100, as user search). `thirdPartyMaxPageSize` caps every
 * page the way a server-side maximum would, whatever `limit` asked for.
 */
import { DescopeError, ErrorCode } from "../descope-error.js";
import { bodyObject, readNonNegativeInt, readString, type HandlerContext, type Reply, type Route } from "../route.js";
import { requireFeature } from "./feature-gate.js";

const DEFAULT_LIMIT = 100;

function page<T>(context: HandlerContext, field: string, items: readonly T[]): Reply {
  const body = bodyObject(context.request);
  const asked = readNonNegativeInt(body, "limit") || DEFAULT_LIMIT;
  const limit = Math.min(asked, context.options.thirdPartyMaxPageSize ?? asked);
  const offset = readNonNegativeInt(body, "page") * limit;
  const rows = items.slice(offset, offset + limit);
  return { body: { ...(rows.length > 0 ? { [field]: rows } : {}), ...(items.length > 0 ? { total: items.length } : {}) } };
}

export const inboundAppRoutes: Route[] = [
  {
    method: "POST",
    path: "/v2/mgmt/thirdparty/apps/load",
    bucket: "management",
    handle(context) {
      if (context.options.inboundAppsV1Only)
        throw new DescopeError(404, ErrorCode.badRequest, "Not found", "no such endpoint: POST /v2/mgmt/thirdparty/apps/load");
      requireFeature(context, "inboundApps");
      return page(context, "apps", context.store.access.inboundApps);
    },
  },
  {
    method: "GET",
    path: "/v1/mgmt/thirdparty/apps/load",
    bucket: "management",
    handle(context) {
      requireFeature(context, "inboundApps");
      const { inboundApps } = context.store.access;
      return { body: inboundApps.length > 0 ? { apps: inboundApps } : {} };
    },
  },
  {
    method: "POST",
    path: "/v1/mgmt/thirdparty/consents/search",
    bucket: "management",
    handle(context) {
      requireFeature(context, "inboundApps");
      const body = bodyObject(context.request);
      const [appId, userId, tenantId] = ["appId", "userId", "tenantId"].map((field) => readString(body, field));
      const consents = context.store.access.consents.filter(
        (consent) => (!appId || consent.appId === appId) && (!userId || consent.userId === userId) && (!tenantId || consent.tenantId === tenantId),
      );
      return page(context, "consents", consents);
    },
  },
];
