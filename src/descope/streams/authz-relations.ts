import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import { chunk, mapConcurrentOrdered } from "../../cdk/concurrency.js";
import { loadSchema } from "../schemas.js";
import { syntheticId } from "../../cdk/synthetic-id.js";
import { scanAllUsers } from "../user-scan/index.js";
import { fetchList } from "./list-endpoint.js";
import { FEATURE_NOT_USED, orFeatureNotUsed } from "./optional-feature.js";

/** `POST /v1/mgmt/authz/re/targets {targets}` → `{relations}`. */
const RELATIONS = { method: "POST", path: "/v1/mgmt/authz/re/targets", field: "relations" } as const;
/** The SDKs send up to 100 targets per call in their examples; Descope documents no maximum. */
const TARGETS_PER_CALL = 100;

/**
 * `authz_relations`: ReBAC "who can access what" — each relation of a user to a resource (`namespace`,
 * `relationDefinition`, `resource`, and for target-set relations the set it came through). Descope has no
 * list-all endpoint, so the only full read is a fan-out over every user (test users included; walked by
 * `createdTime` like login_history) in batches: `POST /v1/mgmt/authz/re/targets {targets}` → `{relations}`.
 * Relations have no ID and no time, so the key is a hash over every field and the stream is full refresh.
 * A project without ReBAC answers the first call with "not enabled": one LOG line, empty stream.
 */
export function authzRelationsStream(client: DescopeClient, settings: { pageSize: number; concurrency: number; searchIntervalMs: number }): Stream {
  return {
    name: "authz_relations",
    jsonSchema: loadSchema("authz_relations"),
    primaryKey: [["id"]],
    async *read(context) {
      const scan = scanAllUsers(client, { ...settings, context });
      const batches = async function* (): AsyncGenerator<string[]> {
        for await (const page of scan)
          yield* chunk(
            page.users.map((user) => user.userId),
            TARGETS_PER_CALL,
          );
      };
      yield* orFeatureNotUsed(context, "authz_relations", readRelations(client, batches(), settings.concurrency));
    },
  };
}

/**
 * The first batch goes alone and may answer FEATURE_NOT_USED ("no ReBAC here"); the rest go `concurrency` at a
 * time, where the same answer would be a stream cut short and fails it.
 */
async function* readRelations(
  client: DescopeClient,
  batches: AsyncGenerator<string[]>,
  concurrency: number,
): AsyncGenerator<JsonObject, EmptyAnswer | undefined> {
  const first = await batches.next();
  if (first.done) return undefined;
  const firstRelations = await fetchList(client, { ...RELATIONS, body: { targets: first.value }, exceptions: FEATURE_NOT_USED });
  if (firstRelations instanceof EmptyAnswer) {
    await batches.return(undefined);
    return firstRelations;
  }
  const records = (relations: JsonObject[]) => relations.map((relation) => ({ id: relationId(relation), ...relation, userId: relation.target }));
  yield* records(firstRelations);
  for await (const relations of mapConcurrentOrdered(batches, concurrency, (userIds) => fetchRelations(client, userIds))) yield* records(relations);
  return undefined;
}

function fetchRelations(client: DescopeClient, userIds: string[]): Promise<JsonObject[]> {
  return fetchList(client, { ...RELATIONS, body: { targets: userIds } });
}

/** A hash over every field, with keys sorted at every depth, so the same relation always gets the same key. */
function relationId(relation: JsonObject): string {
  return syntheticId([canonical(relation)]);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}
