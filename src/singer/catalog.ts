import { configError } from "../cdk/errors.js";
import type { JsonObject, JsonSchema } from "../cdk/protocol.js";
import type { Stream } from "../cdk/stream.js";

/** A catalog entry as Singer's discovery mode describes it (singer-io/getting-started docs/DISCOVERY_MODE.md). */
export interface SingerCatalogEntry {
  tap_stream_id: string;
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  replication_key?: string;
  replication_method?: ReplicationMethod;
  metadata: MetadataEntry[];
}

export interface SingerCatalog {
  streams: SingerCatalogEntry[];
}

export type ReplicationMethod = "FULL_TABLE" | "INCREMENTAL";
export type Breadcrumb = string[];

export interface MetadataEntry {
  breadcrumb: Breadcrumb;
  metadata: {
    inclusion?: "available" | "automatic" | "unsupported";
    selected?: boolean;
    "selected-by-default"?: boolean;
    "replication-method"?: ReplicationMethod;
    "replication-key"?: string;
    [key: string]: unknown;
  };
}

/**
 * Singer key properties are top-level property names. Our streams declare primary keys as Airbyte paths; every
 * one of them is a single top-level field (Airbyte hosts and tap-airbyte-wrapper need that too).
 */
export function keyProperties(stream: Stream): string[] {
  return stream.primaryKey.map((path) => {
    if (path.length !== 1) throw new Error(`Stream "${stream.name}" has a nested primary key ${path.join(".")}; Singer needs top-level keys.`);
    return path[0]!;
  });
}

export function replicationKey(stream: Stream): string | undefined {
  return stream.cursorField?.[0];
}

/**
 * The discovered catalog. Stream-level metadata says what the host may choose; key and cursor properties are
 * `automatic` (always emitted), every other top-level property `available` and selected by default.
 */
export function discoverCatalog(streams: Stream[]): SingerCatalog {
  return {
    streams: streams.map((stream) => {
      const keys = keyProperties(stream);
      const cursor = replicationKey(stream);
      const method: ReplicationMethod = cursor ? "INCREMENTAL" : "FULL_TABLE";
      const automatic = new Set([...keys, ...(cursor ? [cursor] : [])]);
      const properties = Object.keys((stream.jsonSchema.properties ?? {}) as JsonObject);
      return {
        tap_stream_id: stream.name,
        stream: stream.name,
        schema: stream.jsonSchema,
        key_properties: keys,
        ...(cursor ? { replication_key: cursor } : {}),
        replication_method: method,
        metadata: [
          {
            breadcrumb: [],
            metadata: {
              inclusion: "available",
              "selected-by-default": true,
              "table-key-properties": keys,
              "valid-replication-keys": cursor ? [cursor] : [],
              "forced-replication-method": method,
              "schema-name": stream.name,
            },
          },
          ...properties.map(
            (name): MetadataEntry => ({
              breadcrumb: ["properties", name],
              metadata: automatic.has(name) ? { inclusion: "automatic" } : { inclusion: "available", "selected-by-default": true },
            }),
          ),
        ],
      };
    }),
  };
}

/** Checks the shape we rely on and nothing more; a host's extra keys are its business. */
export function parseSingerCatalog(raw: unknown, path: string): SingerCatalog {
  const fail = (detail: string): never => {
    throw configError(`Invalid catalog file ${path}: ${detail}.`);
  };
  if (!raw || typeof raw !== "object" || !Array.isArray((raw as JsonObject).streams)) fail(`expected an object with a "streams" array`);
  const streams = (raw as { streams: unknown[] }).streams;
  streams.forEach((entry, index) => {
    const where = `streams[${index}]`;
    if (!entry || typeof entry !== "object") fail(`${where} is not an object`);
    const { tap_stream_id: id, stream, metadata } = entry as JsonObject;
    if (typeof id !== "string" && typeof stream !== "string") fail(`${where} has neither "tap_stream_id" nor "stream"`);
    if (metadata !== undefined && !Array.isArray(metadata)) fail(`field "${where}.metadata" must be an array`);
    ((metadata as unknown[] | undefined) ?? []).forEach((md, mdIndex) => {
      const entryMd = md as Partial<MetadataEntry> | null;
      if (!entryMd || !Array.isArray(entryMd.breadcrumb) || typeof entryMd.metadata !== "object" || entryMd.metadata === null) {
        fail(`field "${where}.metadata[${mdIndex}]" must be {"breadcrumb": [...], "metadata": {...}}`);
      }
    });
  });
  return {
    streams: streams.map((entry) => {
      const e = entry as JsonObject;
      const id = (typeof e.tap_stream_id === "string" ? e.tap_stream_id : e.stream) as string;
      return { ...(e as unknown as SingerCatalogEntry), tap_stream_id: id, metadata: (e.metadata as MetadataEntry[] | undefined) ?? [] };
    }),
  };
}

/**
 * Selection as the Meltano Singer SDK decides it (singer_sdk `_breadcrumb_is_selected`): `unsupported` is never
 * selected, `automatic` always, then explicit `selected`, then `selected-by-default`; a property without metadata
 * follows its parent. Old taps' `"selected": true` inside the stream's schema still counts for the stream.
 */
export class Selection {
  private readonly byBreadcrumb = new Map<string, MetadataEntry["metadata"]>();

  constructor(private readonly entry: SingerCatalogEntry) {
    for (const md of entry.metadata) this.byBreadcrumb.set(JSON.stringify(md.breadcrumb), md.metadata);
  }

  get streamSelected(): boolean {
    const md = this.byBreadcrumb.get("[]");
    if (!md) return (this.entry.schema as JsonObject | undefined)?.selected === true;
    return this.decide(md, false);
  }

  propertySelected(name: string): boolean {
    const md = this.byBreadcrumb.get(JSON.stringify(["properties", name]));
    if (!md) return true; // follows the (selected) stream
    return this.decide(md, true);
  }

  /** What the host asked for at the stream level, if anything. */
  get replicationMethod(): ReplicationMethod | undefined {
    const md = this.byBreadcrumb.get("[]");
    return md?.["replication-method"] ?? this.entry.replication_method;
  }

  private decide(md: MetadataEntry["metadata"], parentSelected: boolean): boolean {
    if (md.inclusion === "unsupported") return false;
    if (md.inclusion === "automatic") return true;
    if (typeof md.selected === "boolean") return md.selected;
    if (typeof md["selected-by-default"] === "boolean") return md["selected-by-default"];
    return parentSelected;
  }
}

/** The schema limited to the selected top-level properties (nested properties travel with their parent). */
export function selectedSchema(schema: JsonSchema, selected: Set<string>): JsonSchema {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return { ...schema, properties: Object.fromEntries(Object.entries(properties).filter(([name]) => selected.has(name))) };
}
