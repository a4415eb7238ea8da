import type { StateLocation } from "../cdk/engine.js";
import { configError } from "../cdk/errors.js";
import type { JsonObject } from "../cdk/protocol.js";

/**
 * Singer state is `{"bookmarks": {"<stream>": <that stream's state>}}`: each bookmark is exactly the state object
 * the stream checkpoints on the Airbyte side, so both protocols resume from the same place.
 */
export type Bookmarks = Record<string, JsonObject>;

/**
 * Reads what Meltano (or any Singer runner) passes back with `--state`: the `value` of the last STATE message.
 * Nothing, an empty file and `{}` all mean "start from scratch". Bookmarks of streams this tap does not know (or
 * that are not selected this run) are kept and carried into every STATE, so a narrower run loses no bookmark.
 */
export function parseBookmarks(raw: unknown, path: string): Bookmarks {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    const hint = Array.isArray(raw) ? ' (an array is Airbyte state; tap-descope takes Singer state: {"bookmarks": {...}})' : "";
    throw configError(`Invalid state file ${path}: expected an object with "bookmarks"${hint}.`);
  }
  const bookmarks = (raw as JsonObject).bookmarks;
  if (bookmarks === undefined || bookmarks === null) return {};
  if (typeof bookmarks !== "object" || Array.isArray(bookmarks))
    throw configError(`Invalid state file ${path}: field "bookmarks" must be an object.`);
  for (const [stream, bookmark] of Object.entries(bookmarks)) {
    if (bookmark === null || typeof bookmark !== "object" || Array.isArray(bookmark)) {
      throw configError(`Invalid state file ${path}: field "bookmarks.${stream}" must be an object.`);
    }
  }
  return structuredClone(bookmarks) as Bookmarks;
}

/** Where a stream's bookmark sits in the state file, so a bookmark that fails validation names its field. */
export function bookmarkLocation(stream: string, path: string | undefined): StateLocation {
  return { path: path ?? "(none)", fieldPrefix: `/bookmarks/${stream}` };
}
