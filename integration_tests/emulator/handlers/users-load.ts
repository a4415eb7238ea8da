/**
 * `POST /v1/mgmt/users/load` (docs/descope-api-notes.md §4.4): `{userIds, includeInvalidUsers}` → `{users, total}`, the users among
 * `userIds` that exist, regular and test users alike. IDs that do not exist (deleted users) are simply absent — the
 * real answer for unknown IDs is undocumented. Without `includeInvalidUsers`, disabled and expired users are left out.
 */
import { invalidRequest } from "../descope-error.js";
import { bodyObject, readBoolean, readStringArray, type Route } from "../route.js";

const INVALID_STATUSES = new Set(["disabled", "expired"]);

export const usersLoadRoutes: Route[] = [
  {
    method: "POST",
    path: "/v1/mgmt/users/load",
    bucket: "management",
    handle({ request, store }) {
      const body = bodyObject(request);
      const userIds = readStringArray(body, "userIds");
      if (!userIds) throw invalidRequest("userIds is required");
      const includeInvalid = readBoolean(body, "includeInvalidUsers");
      const users = [...new Set(userIds)].flatMap((userId) => {
        const user = store.userById(userId);
        return user && (includeInvalid || !INVALID_STATUSES.has(user.status)) ? [user] : [];
      });
      return { body: { users, total: users.length } };
    },
  },
];
