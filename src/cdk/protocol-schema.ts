import { readFileSync } from "node:fs";
import type { Ajv, ValidateFunction } from "ajv";
import { join } from "node:path";
import { packageRoot } from "./package-root.js";

/** The official protocol schema, vendored with its license; read only when an ajv is made (src/cdk/json-schema.ts). */
const SCHEMA_PATH = join(packageRoot(import.meta.url), "vendor", "airbyte-protocol", "airbyte_protocol.json");

/** Registers the Airbyte protocol schema with an ajv as "airbyte", the name `protocolDefinition` refers to. */
export function addProtocolSchema(ajv: Ajv): Ajv {
  return ajv.addSchema(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")), "airbyte");
}

/** A validator from an ajv holding the protocol schema, for one definition, e.g. "AirbyteMessage". */
export function definitionValidator(ajv: Ajv, definition: string): ValidateFunction {
  const validate = ajv.getSchema(`airbyte#/definitions/${definition}`);
  if (!validate) throw new Error(`No definition ${definition} in the Airbyte protocol schema`);
  return validate;
}
