import type { JsonObject } from "../../cdk/protocol.js";
import type { StreamContext } from "../../cdk/stream.js";
import type { EmptyAnswer } from "../client.js";
import type { DeclaredException } from "../outcomes.js";

const NOT_ENABLED_TEXT = /not (enabled|configured|available|allowed)|disabled|not supported/i;
const NOT_USED = "the project does not use this feature";

/**
 * A project that does not use a feature (third-party apps, outbound apps, flows, ReBAC) may answer its endpoints
 * with 404, or 400 saying the feature is not enabled, rather than an empty list; neither status nor text is
 * documented. A stream declares these answers for its **first request only**: once it has records, the same
 * answer fails the stream (it would otherwise end short in silence), and any other 400 (a request Descope
 * refuses) fails it anyway, so a bug of ours never passes for "no data".
 */
export const FEATURE_NOT_USED: readonly DeclaredException[] = [
  { meaning: NOT_USED, statuses: [404] },
  { meaning: NOT_USED, statuses: [400], description: NOT_ENABLED_TEXT },
];

/**
 * The records of `read`, whose first request declared FEATURE_NOT_USED: when it ends with that answer instead
 * (its return value), the stream is empty and says so in one LOG line.
 */
export async function* orFeatureNotUsed(
  context: StreamContext,
  stream: string,
  read: AsyncGenerator<JsonObject, EmptyAnswer | undefined>,
): AsyncGenerator<JsonObject> {
  const notUsed = yield* read;
  if (notUsed) context.log.info(`${stream}: Descope answered ${notUsed.detail} to the first request; ${NOT_USED}, so the stream is empty.`);
}
