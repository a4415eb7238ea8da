// Airbyte protocol types, written from vendor/airbyte-protocol/airbyte_protocol.json (protocol release 0.18.0).
// Only the parts a source emits or reads are typed; tests validate every emitted line against the schema itself.

export type JsonObject = Record<string, unknown>;
export type JsonSchema = JsonObject;

export type SyncMode = "full_refresh" | "incremental";
export type FailureType = "config_error" | "system_error" | "transient_error";
export type LogLevel = "FATAL" | "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE";
export type StreamStatus = "STARTED" | "RUNNING" | "COMPLETE" | "INCOMPLETE";

export interface StreamDescriptor {
  name: string;
  namespace?: string;
}

export interface ConnectorSpecification {
  documentationUrl?: string;
  changelogUrl?: string;
  protocol_version?: string;
  connectionSpecification: JsonSchema;
}

export interface AirbyteStream {
  name: string;
  json_schema: JsonSchema;
  supported_sync_modes: SyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  is_resumable?: boolean;
}

export interface ConfiguredAirbyteStream {
  stream: AirbyteStream;
  sync_mode: SyncMode;
  destination_sync_mode: string;
  cursor_field?: string[];
  primary_key?: string[][];
}

export interface ConfiguredAirbyteCatalog {
  streams: ConfiguredAirbyteStream[];
}

export interface AirbyteStreamStateMessage {
  type: "STREAM";
  stream: { stream_descriptor: StreamDescriptor; stream_state?: JsonObject | null };
  sourceStats?: { recordCount: number };
}

export interface AirbyteRecordMessage {
  stream: string;
  data: JsonObject;
  emitted_at: number;
}

export type AirbyteTraceMessage =
  | {
      type: "ERROR";
      emitted_at: number;
      error: {
        message: string;
        internal_message?: string;
        stack_trace?: string;
        failure_type: FailureType;
        stream_descriptor?: StreamDescriptor;
      };
    }
  | {
      type: "STREAM_STATUS";
      emitted_at: number;
      stream_status: {
        stream_descriptor: StreamDescriptor;
        status: StreamStatus;
        reasons?: { type: "RATE_LIMITED"; rate_limited?: { quota_reset?: number } }[];
      };
    }
  | {
      type: "ESTIMATE";
      emitted_at: number;
      estimate: { name: string; type: "STREAM"; row_estimate?: number };
    };

export type AirbyteMessage =
  | { type: "RECORD"; record: AirbyteRecordMessage }
  | { type: "STATE"; state: AirbyteStreamStateMessage }
  | { type: "LOG"; log: { level: LogLevel; message: string } }
  | { type: "SPEC"; spec: ConnectorSpecification }
  | { type: "CONNECTION_STATUS"; connectionStatus: { status: "SUCCEEDED" | "FAILED"; message?: string } }
  | { type: "CATALOG"; catalog: { streams: AirbyteStream[] } }
  | { type: "TRACE"; trace: AirbyteTraceMessage };
