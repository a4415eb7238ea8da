import { createHash } from "node:crypto";

/**
 * A key for records the API gives no ID of its own: the same values always hash to the same 32 hex characters,
 * so a record read twice (a re-read boundary, a resumed sync) deduplicates downstream. Missing values count as null.
 */
export function syntheticId(parts: readonly unknown[]): string {
  return createHash("sha256")
    .update(JSON.stringify(parts.map((part) => part ?? null)))
    .digest("hex")
    .slice(0, 32);
}
