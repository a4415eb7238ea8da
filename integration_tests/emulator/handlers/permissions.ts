/** permissions (docs/descope-api-notes.md §8): `GET /v1/mgmt/permission/all` → `{permissions}`; no id on the wire, key is `name`. */
import { listReply, type Route } from "../route.js";

export const permissionRoutes: Route[] = [
  { method: "GET", path: "/v1/mgmt/permission/all", bucket: "management", handle: ({ store }) => listReply("permissions", store.permissions) },
];
