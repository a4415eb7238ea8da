import type { Logger } from "./output.js";
import type { JsonObject, JsonSchema, SyncMode } from "./protocol.js";

/**
 * A stream yields its records in order and, between them, checkpoints: the state from which a later run resumes
 * without losing anything yielded before. The engine (engine.ts) counts records per checkpoint; an adapter writes
 * them as its protocol's STATE messages.
 */
export class Checkpoint {
  constructor(readonly state: JsonObject) {}
}

export function checkpoint(state: JsonObject): Checkpoint {
  return new Checkpoint(state);
}

/** What a stream's read yields: one record, a page of records, or a checkpoint. */
export type StreamItem = JsonObject | readonly JsonObject[] | Checkpoint;

export interface StreamContext {
  syncMode: SyncMode;
  /** The stream's saved state (validated against `stateSchema`); undefined on a first or full-refresh sync. */
  state: JsonObject | undefined;
  log: Logger;
  /**
   * The schema the host configured for this stream (from its catalog), when it sent one. A stream whose discovered
   * schema depends on the project (custom attribute columns) emits only what this schema declares, so a catalog
   * configured before a change in the project keeps receiving valid records.
   */
  configuredSchema?: JsonSchema;
  /** Lets the host show progress; call as soon as the API reveals a total. */
  estimate(rowCount: number): void;
  /**
   * Adds a detail to the one summary LOG line the engine writes when the stream ends ("users: 1,204 records;
   * search total 1,204 at start / 1,205 at end; userSearch 150/min"). Details appear in the order reported.
   */
  report(detail: string): void;
}

export interface Stream {
  name: string;
  jsonSchema: JsonSchema;
  primaryKey: string[][];
  /** Present on streams that support incremental sync. */
  cursorField?: string[];
  /** JSON schema of this stream's state; input state that does not match is a config error naming the field. */
  stateSchema?: JsonSchema;
  /**
   * Records one at a time, or a page at a time as an array (the fast path: one step of the engine per page, and
   * each record serialised once straight into the output buffer), with checkpoints between them.
   */
  read(context: StreamContext): AsyncIterable<StreamItem>;
}

/** The host-facing description of a stream, as the CDK of Airbyte itself derives it. */
export function toAirbyteStream(stream: Stream) {
  const incremental = stream.cursorField !== undefined;
  return {
    name: stream.name,
    json_schema: stream.jsonSchema,
    supported_sync_modes: incremental ? (["full_refresh", "incremental"] as const) : (["full_refresh"] as const),
    ...(incremental ? { source_defined_cursor: true, default_cursor_field: stream.cursorField, is_resumable: true } : {}),
    source_defined_primary_key: stream.primaryKey,
  };
}
