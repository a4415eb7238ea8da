import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../cdk/package-root.js";
import type { JsonSchema } from "../cdk/protocol.js";

const SCHEMAS_DIR = join(packageRoot(import.meta.url), "schemas");

/** A stream's JSON schema, kept as data in `schemas/<stream>.json`. */
export function loadSchema(stream: string): JsonSchema {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, `${stream}.json`), "utf8")) as JsonSchema;
}
