/**
 * outbound_apps: `GET /v1/mgmt/outbound/apps` → `{apps}` (go/node/python SDKs). One seeded app carries a
 * `clientSecret` Descope should never send on load, so the connector's defensive drop is exercised.
 */
import { listReply, type Route } from "../route.js";
import { requireFeature } from "./feature-gate.js";

export const outboundAppRoutes: Route[] = [
  {
    method: "GET",
    path: "/v1/mgmt/outbound/apps",
    bucket: "management",
    handle(context) {
      requireFeature(context, "outboundApps");
      return listReply("apps", context.store.access.outboundApps);
    },
  },
];
