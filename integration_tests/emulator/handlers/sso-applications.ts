/** sso_applications (docs/descope-api-notes.md §10): `GET /v1/mgmt/sso/idp/apps/load` → `{apps}`; secrets are never included. */
import { listReply, type Route } from "../route.js";

export const ssoApplicationRoutes: Route[] = [
  { method: "GET", path: "/v1/mgmt/sso/idp/apps/load", bucket: "management", handle: ({ store }) => listReply("apps", store.ssoApps) },
];
