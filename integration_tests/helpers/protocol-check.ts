import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { addProtocolSchema, definitionValidator } from "../../src/cdk/protocol-schema.js";

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Tests check thousands of lines synchronously: one ajv with the protocol schema, loaded eagerly. */
const validateMessage = definitionValidator(addProtocolSchema(addFormats(new Ajv({ strict: false, allErrors: true }))), "AirbyteMessage");

/** The schema does not tie `type` to its payload field; the protocol does. */
const PAYLOAD_FIELD: Record<string, string> = {
  RECORD: "record",
  STATE: "state",
  LOG: "log",
  SPEC: "spec",
  CONNECTION_STATUS: "connectionStatus",
  CATALOG: "catalog",
  TRACE: "trace",
  CONTROL: "control",
};

/**
 * Checks one stdout line against the official AirbyteMessage schema, plus the rules the schema leaves out
 * (payload present for its type, STREAM states carry a descriptor). Returns the problems, empty when valid.
 */
export function protocolProblems(line: string): string[] {
  let message: Record<string, unknown>;
  try {
    message = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [`not JSON: ${line.slice(0, 200)}`];
  }
  const validate = validateMessage;
  const problems: string[] = [];
  if (!validate(message)) problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
  const payload = PAYLOAD_FIELD[String(message.type)];
  if (!payload || message[payload] === undefined) problems.push(`type ${String(message.type)} without its "${payload}" payload`);
  const state = message.state as { type?: string; stream?: { stream_descriptor?: unknown } } | undefined;
  if (message.type === "STATE" && (state?.type !== "STREAM" || !state.stream?.stream_descriptor)) {
    problems.push("STATE is not a per-stream (type STREAM) state with a stream_descriptor");
  }
  return problems;
}
