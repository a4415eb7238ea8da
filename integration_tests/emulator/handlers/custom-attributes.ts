/** custom_attributes (docs/descope-api-notes.md §4.7): `GET /v1/mgmt/user/customattributes` → `{data}`. */
import { listReply, type Route } from "../route.js";

export const customAttributeRoutes: Route[] = [
  { method: "GET", path: "/v1/mgmt/user/customattributes", bucket: "management", handle: ({ store }) => listReply("data", store.customAttributes) },
];
