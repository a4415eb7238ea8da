import type { JsonObject } from "../../cdk/protocol.js";
import type { StreamContext } from "../../cdk/stream.js";
import { DescopeApiError } from "../client.js";

/**
 * A project that does not use a feature (third-party apps, outbound apps, ReBAC, …) may answer its endpoints with
 * 404, or 400 saying the feature is not enabled, rather than an empty list; neither status nor text is documented.
 * Only those answers count: any other 400 (a request Descope refuses) still fails the stream, so a bug of ours can
 * never pass for "no data". The client's status handling is becoming one table where streams declare exceptions
 * like this one; until then this is the one place it lives.
 */
const NOT_ENABLED_TEXT = /not (enabled|configured|available|allowed)|disabled|not supported/i;

export function isFeatureUnavailable(error: unknown): error is DescopeApiError {
  if (!(error instanceof DescopeApiError)) return false;
  if (error.status === 404) return true;
  return error.status === 400 && NOT_ENABLED_TEXT.test(`${error.failure.errorDescription ?? ""} ${error.message}`);
}

/** The one LOG line an unavailable feature earns: which stream, and Descope's own words. */
export function logFeatureUnavailable(context: StreamContext, stream: string, error: DescopeApiError): void {
  context.log.info(`${stream}: ${error.message} The project does not use this feature, so the stream is empty.`);
}

/**
 * The records of `read`, or none with one LOG line when Descope's first answer says the feature is unavailable.
 * Once a record has been delivered the same answer is a failure: the stream would otherwise end short in silence.
 */
export async function* unlessFeatureUnavailable(context: StreamContext, stream: string, read: AsyncIterable<JsonObject>): AsyncGenerator<JsonObject> {
  let delivered = 0;
  try {
    for await (const record of read) {
      delivered++;
      yield record;
    }
  } catch (error) {
    if (delivered > 0 || !isFeatureUnavailable(error)) throw error;
    logFeatureUnavailable(context, stream, error);
  }
}
