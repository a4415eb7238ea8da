import type { Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { THIRD_PARTY_PAGE_LIMIT } from "./inbound-apps.js";
import { FEATURE_NOT_USED, orFeatureNotUsed } from "./optional-feature.js";
import { readPages } from "./paged-list.js";

/**
 * `inbound_app_consents`: who granted which scopes to which third-party app (`appId`, `userId`, `tenantId`,
 * `grantedBy`), with `createdTime`, `modifiedTime` and `expireTime` in epoch seconds (go int32 fields).
 * `POST /v1/mgmt/thirdparty/consents/search {page, limit}` → `{consents, total}`, read page by page against
 * `total`. Full refresh: the search has no time filter or sort, so an incremental read would fetch every page
 * anyway, and a consent revoked since the last sync would only disappear with a full one.
 */
export function inboundAppConsentsStream(client: DescopeClient): Stream {
  return {
    name: "inbound_app_consents",
    jsonSchema: loadSchema("inbound_app_consents"),
    primaryKey: [["id"]],
    read(context) {
      const pages = readPages(client, context, {
        path: "/v1/mgmt/thirdparty/consents/search",
        field: "consents",
        limit: THIRD_PARTY_PAGE_LIMIT,
        firstPageExceptions: FEATURE_NOT_USED,
      });
      return orFeatureNotUsed(context, "inbound_app_consents", pages);
    },
  };
}
