/**
 * `GET /v1/mgmt/license`: the rate-limit tier handshake every SDK makes once per management client (reference
 * §0.1 item 6); the tier then travels in `x-descope-license`, which the request log keeps like every header.
 * `licenseHandshake: 'fail'` answers 404, as a deployment without the endpoint would.
 */
import { notFound, ErrorCode } from "../descope-error.js";
import type { Route } from "../route.js";

export const LICENSE_TIER = "tier1";

export const licenseRoutes: Route[] = [
  {
    method: "GET",
    path: "/v1/mgmt/license",
    bucket: "management",
    handle({ options }) {
      if (options.licenseHandshake === "fail") throw notFound(ErrorCode.badRequest, "Not found", "no such endpoint: GET /v1/mgmt/license");
      return { body: { rateLimitTier: LICENSE_TIER } };
    },
  },
];
