/** flows: `POST /v1/mgmt/flow/list {}` → `{flows, total}` (node FlowsResponse; go reads `flows` only). No flow bodies. */
import type { Route } from "../route.js";
import { requireFeature } from "./feature-gate.js";

export const flowRoutes: Route[] = [
  {
    method: "POST",
    path: "/v1/mgmt/flow/list",
    bucket: "management",
    handle(context) {
      requireFeature(context, "flows");
      const { flows } = context.store.access;
      return { body: flows.length > 0 ? { flows, total: flows.length } : {} };
    },
  },
];
