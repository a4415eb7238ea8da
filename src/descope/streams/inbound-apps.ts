import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream, StreamContext } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import type { DeclaredException } from "../outcomes.js";
import { loadSchema } from "../schemas.js";
import { fetchList } from "./list-endpoint.js";
import { FEATURE_NOT_USED, orFeatureNotUsed } from "./optional-feature.js";
import { readPages } from "./paged-list.js";
import { withoutSecrets } from "./secret-fields.js";

/** Descope documents no maximum; 100 is the default page of its other searches. */
export const THIRD_PARTY_PAGE_LIMIT = 100;
/** Declared before FEATURE_NOT_USED, so a 404 from the v2 route means "read the v1 route" first. */
const NO_V2_ROUTE: DeclaredException = { meaning: "this deployment has no v2 route", statuses: [404] };

/**
 * `inbound_apps`: third-party applications that sign users in through this project (Descope as OIDC provider).
 * `POST /v2/mgmt/thirdparty/apps/load {page, limit}` → `{apps, total}` (go-sdk), read page by page against
 * `total`; a deployment without the v2 route (404) is read through the older, unpaged
 * `GET /v1/mgmt/thirdparty/apps/load` (node and python SDKs). Full refresh: apps carry no modification time.
 * Client secrets live behind a separate secret endpoint that is never called; secret-named fields are dropped anyway.
 */
export function inboundAppsStream(client: DescopeClient): Stream {
  return {
    name: "inbound_apps",
    jsonSchema: loadSchema("inbound_apps"),
    primaryKey: [["id"]],
    async *read(context) {
      for await (const app of orFeatureNotUsed(context, "inbound_apps", readInboundApps(client, context))) yield withoutSecrets(app);
    },
  };
}

async function* readInboundApps(client: DescopeClient, context: StreamContext): AsyncGenerator<JsonObject, EmptyAnswer | undefined> {
  // The first request decides which route this deployment has; a 404 after that is the stream's failure.
  const v2 = {
    path: "/v2/mgmt/thirdparty/apps/load",
    field: "apps",
    limit: THIRD_PARTY_PAGE_LIMIT,
    firstPageExceptions: [NO_V2_ROUTE, ...FEATURE_NOT_USED],
  };
  const notRead = yield* readPages(client, context, v2);
  if (notRead?.exception !== NO_V2_ROUTE) return notRead;
  context.log.info("inbound_apps: this deployment has no POST /v2/mgmt/thirdparty/apps/load; read through GET /v1/mgmt/thirdparty/apps/load.");
  const apps = await fetchList(client, { method: "GET", path: "/v1/mgmt/thirdparty/apps/load", field: "apps", exceptions: FEATURE_NOT_USED });
  if (apps instanceof EmptyAnswer) return apps;
  yield* apps;
  return undefined;
}
