import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject } from "ajv";
import addFormatsModule from "ajv-formats";
import { configError } from "./errors.js";
import type { ConfiguredAirbyteCatalog, JsonObject, JsonSchema } from "./protocol.js";
import { protocolValidator } from "./protocol-schema.js";
import { secretValues, type Redactor } from "./redact.js";

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

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
 * Validates the config against the connector's own spec (filling in defaults) and returns it. The caller's
 * object is not modified: input files are read-only, and so are their parsed values.
 */
export function validateConfig<Config>(connectionSpecification: JsonSchema, raw: unknown, path: string): Config {
  const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true });
  addFormats(ajv);
  const validate = ajv.compile(connectionSpecification);
  const config = structuredClone(raw ?? {});
  if (!validate(config)) throw configError(describeSchemaErrors(validate.errors, path, "config"));
  return config as Config;
}

export function parseCatalog(raw: unknown, path: string): ConfiguredAirbyteCatalog {
  const validate = protocolValidator("ConfiguredAirbyteCatalog");
  if (!validate(raw)) throw configError(describeSchemaErrors(validate.errors, path, "catalog"));
  return raw as ConfiguredAirbyteCatalog;
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
    const entry = message as { type?: unknown; stream?: { stream_descriptor?: { name?: unknown }; stream_state?: unknown }; global?: { stream_states?: unknown[] } };
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
export function loadConfig<Config>(connectionSpecification: JsonSchema, path: string, redactor: Redactor): Config {
  const raw = readJsonFile(path, "config");
  redactor.add(...secretValues(connectionSpecification, raw));
  return validateConfig<Config>(connectionSpecification, raw, path);
}

/**
 * Checks a stream's saved state against the stream's state schema (Airbyte state and Singer bookmarks alike). A
 * mismatch is a config error naming the file and the field; `fieldPrefix` places the stream's state inside the
 * file, `note` says which stream it belongs to.
 */
export function validatedStreamState(
  stateSchema: JsonSchema | undefined,
  state: JsonObject | undefined,
  where: { path: string; fieldPrefix?: string; note?: string },
): JsonObject | undefined {
  if (state === undefined || !stateSchema) return state;
  const validate = new Ajv({ strict: false, allErrors: true }).compile(stateSchema);
  if (validate(state)) return state;
  const errors = (validate.errors ?? []).map((error) => ({ ...error, instancePath: `${where.fieldPrefix ?? ""}${error.instancePath}` }));
  const detail = describeSchemaErrors(errors, where.path, "state");
  throw configError(where.note ? `${detail.replace(/\.$/, "")} ${where.note}.` : detail);
}
