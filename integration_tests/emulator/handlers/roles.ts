/**
 * roles (docs/descope-api-notes.md §8): `GET /v1/mgmt/role/all` and `POST /v1/mgmt/role/search` → `{roles}`, project roles and
 * tenant roles (with `tenantId`) together. Role names repeat across tenants, so the key is (tenantId, name).
 */
import { bodyObject, listReply, readBoolean, readString, readStringArray, type Route } from "../route.js";

export const roleRoutes: Route[] = [
  { method: "GET", path: "/v1/mgmt/role/all", bucket: "management", handle: ({ store }) => listReply("roles", store.roles) },
  {
    method: "POST",
    path: "/v1/mgmt/role/search",
    bucket: "management",
    handle({ request, store }) {
      const body = bodyObject(request);
      const tenantIds = readStringArray(body, "tenantIds");
      const includeProjectRoles = readBoolean(body, "includeProjectRoles");
      const roleNames = readStringArray(body, "roleNames");
      const roleIds = readStringArray(body, "roleIds");
      const permissionNames = readStringArray(body, "permissionNames");
      const nameLike = readString(body, "roleNameLike")?.toLowerCase();
      const roles = store.roles.filter(
        (role) =>
          (!tenantIds || (role.tenantId ? tenantIds.includes(role.tenantId) : includeProjectRoles)) &&
          (!roleNames || roleNames.includes(role.name)) &&
          (!roleIds || roleIds.includes(role.id)) &&
          (!permissionNames || permissionNames.some((name) => role.permissionNames?.includes(name))) &&
          (!nameLike || role.name.toLowerCase().includes(nameLike)),
      );
      return listReply("roles", roles);
    },
  },
];
