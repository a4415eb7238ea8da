import { readFileSync } from "node:fs";
import type { ErrorObject } from "ajv";
import { configError } from "./errors.js";
import { protocolDefinition, validatorFor } from "./json-schema.js";
import type { ConfiguredAirbyteCatalog, JsonObject, JsonSchema } from "./protocol.js";
import { secretValues, type Redactor } from "./redact.js";

/** Reads a JSON input file; every failure names the file so the user knows which one to fix. */
export function readJsonFile(path: string, role: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw configError(`Cannot read the ${role} file ${path}: ${code === "ENOENT" ? "no such file" : code}.`);
  }
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw configError(`The ${role} file ${path} is not valid JSON: ${jsonSyntaxProblem(text, error as Error)}.`);
  }
}

/**
 * Where and what the syntax error is, without V8's excerpt of the text: a config file typed by hand fails to
 * parse exactly where a value lacks its quotes, and that value may be the management key.
 */
function jsonSyntaxProblem(text: string, error: Error): string {
  const at = /^(.*?)(?: in JSON)? at position (\d+)/.exec(error.message);
  if (!at) return /end of JSON input/.test(error.message) ? "it ends too early" : "unexpected text (a value without quotes?)";
  const position = Number(at[2]);
  const before = text.slice(0, position).split("\n");
  const what = at[1]!.includes('"') ? "unexpected character" : at[1]!;
  return `${what} at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** Turns ajv's errors into one sentence that names the file and each offending field. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined, path: string, role: string): string {
  const problems = (errors ?? []).map((error) => {
    const field = fieldPath(error);
    switch (error.keyword) {
      case "required":
        return `missing required field "${field}"`;
      case "additionalProperties":
        return `unknown field "${field}"`;
      case "enum":
        return `field "${field}" must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
      default:
        return field ? `field "${field}" ${error.message}` : (error.message ?? "is invalid");
    }
  });
  return `Invalid ${role} file ${path}: ${[...new Set(problems)].join("; ")}.`;
}

function fieldPath(error: ErrorObject): string {
  const base = error.instancePath.replace(/^\//, "").split("/").filter(Boolean).join(".");
  const child =
    error.keyword === "required"
      ? String(error.params.missingProperty)
      : error.keyword === "additionalProperties"
        ? String(error.params.additionalProperty)
        : "";
  return [base, child].filter(Boolean).join(".");
}

/**
 * Hosts write `null` for an optional field they have no value for (the CAT's models write `"namespace": null`,
 * `"cursor_field": null`, a UI may save `"start_date": null`): where the schema does not allow null, a null is
 * taken as absent, so defaults apply and a required field is reported missing. Applies to the object's own
 * properties and, through the schema's `properties`, to nested objects. Returns a copy; the input is not modified.
 */
export function withoutNulls(schema: JsonSchema | undefined, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const result: JsonObject = {};
  for (const [name, fieldValue] of Object.entries(value as JsonObject)) {
    const fieldSchema = properties[name];
    if (fieldValue === null && !allowsNull(fieldSchema)) continue;
    result[name] = fieldSchema ? withoutNulls(fieldSchema, fieldValue) : fieldValue;
  }
  return result;
}

function allowsNull(schema: JsonSchema | undefined): boolean {
  if (!schema) return false;
  const type = schema.type;
  return type === "null" || (Array.isArray(type) && type.includes("null")) || (Array.isArray(schema.enum) && schema.enum.includes(null));
}

/**
 * Validates the config against the connector's own spec (filling in defaults) and returns it. The caller's
 * object is not modified: input files are read-only, and so are their parsed values.
 */
export async function validateConfig<Config>(connectionSpecification: JsonSchema, raw: unknown, path: string): Promise<Config> {
  const validate = await validatorFor(connectionSpecification, "fill-defaults");
  const config = structuredClone(withoutNulls(connectionSpecification, raw ?? {}));
  if (!validate(config)) throw configError(describeSchemaErrors(validate.errors, path, "config"));
  return config as Config;
}

/**
 * A configured catalog as Airbyte's tools write it: CAT 0.11.5 writes `namespace`, `cursor_field`,
 * `default_cursor_field` and `source_defined_cursor` as null, newer platforms add `is_resumable`, `generation_id`,
 * `minimum_generation_id` and `sync_id`, possibly null too. A null optional field of a configured stream or of its
 * stream is taken as absent; a null required one is left for the schema to report. `json_schema` is the host's
 * data and kept exactly as sent.
 */
function withoutNullOptionals(catalog: unknown): unknown {
  const streams = (catalog as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) return catalog;
  const dropNulls = (value: unknown, required: string[]): unknown =>
    value === null || typeof value !== "object" || Array.isArray(value)
      ? value
      : Object.fromEntries(Object.entries(value).filter(([name, field]) => field !== null || required.includes(name)));
  return {
    ...(catalog as JsonObject),
    streams: streams.map((configured) => {
      const entry = dropNulls(configured, ["stream", "sync_mode", "destination_sync_mode"]);
      const stream = (entry as { stream?: unknown } | null)?.stream;
      return stream === undefined ? entry : { ...(entry as JsonObject), stream: dropNulls(stream, ["name", "json_schema", "supported_sync_modes"]) };
    }),
  };
}

export async function parseCatalog(raw: unknown, path: string): Promise<ConfiguredAirbyteCatalog> {
  const catalog = withoutNullOptionals(raw);
  const validate = await validatorFor(protocolDefinition("ConfiguredAirbyteCatalog"), "check-only");
  if (!validate(catalog)) throw configError(describeSchemaErrors(validate.errors, path, "catalog"));
  return catalog as ConfiguredAirbyteCatalog;
}

/** Per-stream state from the input file, keyed by stream name; undefined means "start from scratch". */
export type InputState = Map<string, JsonObject | undefined>;

/**
 * Accepts what hosts pass: no file, an empty file, `[]`, or an array of per-stream STATE messages. A legacy
 * object (the pre-per-stream format) carries nothing we can use, so it is reported and ignored.
 */
export function parseState(raw: unknown, path: string, warn: (message: string) => void): InputState {
  const states: InputState = new Map();
  if (raw === undefined || raw === null) return states;
  if (!Array.isArray(raw)) {
    if (typeof raw === "object") {
      warn(`The state file ${path} holds a legacy (non per-stream) state; it is ignored and every stream starts fresh.`);
      return states;
    }
    throw configError(`Invalid state file ${path}: expected an array of per-stream STATE messages.`);
  }
  raw.forEach((message: unknown, index: number) => {
    const entry = message as {
      type?: unknown;
      stream?: { stream_descriptor?: { name?: unknown }; stream_state?: unknown };
      global?: { stream_states?: unknown[] };
    };
    if (!entry || typeof entry !== "object") {
      throw configError(`Invalid state file ${path}: element [${index}] is not an object.`);
    }
    const streamStates = entry.type === "GLOBAL" ? (entry.global?.stream_states ?? []) : [entry.stream];
    for (const streamState of streamStates as (typeof entry.stream)[]) {
      const name = streamState?.stream_descriptor?.name;
      if (typeof name !== "string") {
        throw configError(`Invalid state file ${path}: element [${index}] has no "stream.stream_descriptor.name".`);
      }
      const value = streamState?.stream_state;
      if (value !== undefined && value !== null && (typeof value !== "object" || Array.isArray(value))) {
        throw configError(`Invalid state file ${path}: "stream_state" of stream "${name}" must be an object.`);
      }
      states.set(name, (value ?? undefined) as JsonObject | undefined);
    }
  });
  return states;
}

/**
 * Reads and validates a config file against a connector spec. Its secrets go to the redactor first, so not even a
 * validation message can echo them.
 */
export function loadConfig<Config>(connectionSpecification: JsonSchema, path: string, redactor: Redactor): Promise<Config> {
  const raw = readJsonFile(path, "config");
  redactor.add(...secretValues(connectionSpecification, raw));
  return validateConfig<Config>(connectionSpecification, raw, path);
}

/**
 * Checks a stream's saved state against the stream's state schema (Airbyte state and Singer bookmarks alike), a
 * null where the schema allows none counting as absent. A
 * mismatch is a config error naming the file and the field; `fieldPrefix` places the stream's state inside the
 * file, `note` says which stream it belongs to.
 */
export async function validatedStreamState(
  stateSchema: JsonSchema | undefined,
  state: JsonObject | undefined,
  where: { path: string; fieldPrefix?: string; note?: string },
): Promise<JsonObject | undefined> {
  if (state === undefined || !stateSchema) return state;
  const validate = await validatorFor(stateSchema, "check-only");
  const stated = withoutNulls(stateSchema, state) as JsonObject;
  if (validate(stated)) return stated;
  const errors = (validate.errors ?? []).map((error) => ({ ...error, instancePath: `${where.fieldPrefix ?? ""}${error.instancePath}` }));
  const detail = describeSchemaErrors(errors, where.path, "state");
  throw configError(where.note ? `${detail.replace(/\.$/, "")} ${where.note}.` : detail);
}
