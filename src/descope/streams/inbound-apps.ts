import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream, StreamContext } from "../../cdk/stream.js";
import { DescopeApiError, type DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { fetchList } from "./list-endpoint.js";
import { unlessFeatureUnavailable } from "./optional-feature.js";
import { readPages } from "./paged-list.js";
import { withoutSecrets } from "./secret-fields.js";

/** Descope documents no maximum; 100 is the default page of its other searches. */
export const THIRD_PARTY_PAGE_LIMIT = 100;

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
      for await (const app of unlessFeatureUnavailable(context, "inbound_apps", readInboundApps(client, context))) yield withoutSecrets(app);
    },
  };
}

async function* readInboundApps(client: DescopeClient, context: StreamContext): AsyncGenerator<JsonObject> {
  const pages = readPages(client, context, { path: "/v2/mgmt/thirdparty/apps/load", field: "apps", limit: THIRD_PARTY_PAGE_LIMIT });
  // The first request decides which route this deployment has; a 404 after that is the stream's failure.
  let first: IteratorResult<JsonObject>;
  try {
    first = await pages.next();
  } catch (error) {
    if (!(error instanceof DescopeApiError && error.status === 404)) throw error;
    context.log.info("inbound_apps: this deployment has no POST /v2/mgmt/thirdparty/apps/load; read through GET /v1/mgmt/thirdparty/apps/load.");
    yield* await fetchList(client, { method: "GET", path: "/v1/mgmt/thirdparty/apps/load", field: "apps" });
    return;
  }
  if (first.done) return;
  yield first.value;
  yield* pages;
}
