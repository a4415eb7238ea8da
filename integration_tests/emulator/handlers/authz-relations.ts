/**
 * authz_relations: `POST /v1/mgmt/authz/re/targets {targets, includeTargetSetRelations?}` → `{relations}` (go and
 * node SDKs). Every relation whose target is one of `targets`; an empty `targets` is refused as the SDKs do.
 */
import { invalidRequest } from "../descope-error.js";
import { bodyObject, listReply, readBoolean, readStringArray, type Route } from "../route.js";
import { requireFeature } from "./feature-gate.js";

export const authzRelationRoutes: Route[] = [
  {
    method: "POST",
    path: "/v1/mgmt/authz/re/targets",
    bucket: "management",
    handle(context) {
      requireFeature(context, "authz");
      const body = bodyObject(context.request);
      const targets = readStringArray(body, "targets");
      if (!targets) throw invalidRequest("targets must not be empty");
      readBoolean(body, "includeTargetSetRelations");
      return listReply("relations", context.store.relationsOfTargets(targets));
    },
  },
];
