/**
 * groups (docs/descope-api-notes.md §11): `POST /v1/mgmt/group/all {tenantId}` answers a bare array (what the SDKs parse); the
 * OpenAPI's `{groups}` wrapper is an option. Group ids come from the IdP and repeat across tenants.
 * An unknown tenant answers an empty list (the real behaviour is undocumented).
 */
import { bodyObject, readString, type Route } from "../route.js";
import { missingArgument } from "../descope-error.js";

export const groupRoutes: Route[] = [
  {
    method: "POST",
    path: "/v1/mgmt/group/all",
    bucket: "management",
    handle({ request, store, options }) {
      const tenantId = readString(bodyObject(request), "tenantId");
      if (!tenantId) throw missingArgument("tenantId");
      const groups = store.groupsOf(tenantId);
      return { body: options.groupsWrapper ? { groups } : groups };
    },
  },
];
