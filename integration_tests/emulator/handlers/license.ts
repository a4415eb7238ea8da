/** `GET /v1/mgmt/license`: the rate-limit tier handshake node-sdk fires when a management client is created (reference §2). */
import type { Route } from "../route.js";

export const licenseRoutes: Route[] = [
  { method: "GET", path: "/v1/mgmt/license", bucket: "management", handle: () => ({ body: { rateLimitTier: "tier1" } }) },
];
