/** access_keys (docs/descope-api-notes.md §9): `POST /v1/mgmt/accesskey/search` → `{keys}`, never a key secret, no pagination. */
import { bodyObject, listReply, readString, readStringArray, type Route } from "../route.js";

export const accessKeyRoutes: Route[] = [
  {
    method: "POST",
    path: "/v1/mgmt/accesskey/search",
    bucket: "management",
    handle({ request, store }) {
      const body = bodyObject(request);
      const tenantIds = readStringArray(body, "tenantIds");
      const boundUserId = readString(body, "boundUserId");
      const creatingUser = readString(body, "creatingUser");
      const keys = store.accessKeys.filter(
        (key) =>
          (!tenantIds || key.keyTenants?.some((entry) => tenantIds.includes(entry.tenantId))) &&
          (!boundUserId || key.boundUserId === boundUserId) &&
          (!creatingUser || key.createdBy === creatingUser),
      );
      return listReply("keys", keys);
    },
  },
];
