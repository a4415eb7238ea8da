import { systemError } from "../../cdk/errors.js";
import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { FEATURE_NOT_USED, orFeatureNotUsed } from "./optional-feature.js";

/**
 * `flows`: the project's flow inventory (`id`, `name`, `description`, `disabled`, and whatever version or
 * modification time a deployment adds). `POST /v1/mgmt/flow/list {}` → `{flows, total}`, unpaged; its `total` is
 * checked. Full refresh: the list has no time filter. Flow definitions (`/flow/export`) are never fetched: they
 * are large, change with every edit and can embed connector configuration.
 */
export function flowsStream(client: DescopeClient): Stream {
  return {
    name: "flows",
    jsonSchema: loadSchema("flows"),
    primaryKey: [["id"]],
    read(context) {
      return orFeatureNotUsed(context, "flows", listFlows(client));
    },
  };
}

async function* listFlows(client: DescopeClient): AsyncGenerator<JsonObject, EmptyAnswer | undefined> {
  const answer = ((await client.post("/v1/mgmt/flow/list", {}, "management", { exceptions: FEATURE_NOT_USED })) ?? {}) as Record<string, unknown>;
  if (answer instanceof EmptyAnswer) return answer;
  const flows = answer.flows ?? [];
  if (!Array.isArray(flows)) throw systemError('Unexpected response from /v1/mgmt/flow/list: expected a list under "flows".');
  if (typeof answer.total === "number" && answer.total !== flows.length) {
    throw systemError(`/v1/mgmt/flow/list reported ${answer.total} flows but listed ${flows.length}; the stream would be incomplete.`);
  }
  yield* flows as JsonObject[];
}
