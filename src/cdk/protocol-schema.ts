import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { join } from "node:path";
import { packageRoot } from "./package-root.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The official protocol schema, vendored with its license; loaded lazily since only `read` inputs need it. */
const SCHEMA_PATH = join(packageRoot(import.meta.url), "vendor", "airbyte-protocol", "airbyte_protocol.json");

let ajv: Ajv | undefined;

/** A validator for one definition of the Airbyte protocol schema, e.g. "AirbyteMessage". */
export function protocolValidator(definition: string): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")), "airbyte");
  }
  const validate = ajv.getSchema(`airbyte#/definitions/${definition}`);
  if (!validate) throw new Error(`No definition ${definition} in the Airbyte protocol schema`);
  return validate;
}
