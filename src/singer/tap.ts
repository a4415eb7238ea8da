/**
 * The Singer adapter (`tap-descope`): its command line (`--about`, `--discover`, sync with a catalog and bookmarks)
 * and `SingerOutput`, which writes the engine's events (../cdk/engine.ts plans and runs the read) as Singer
 * messages. Catalog selection lives in catalog.ts, bookmarks in state.ts.
 */
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { ConnectorError, configError, failureTypeOf, userMessageOf } from "../cdk/errors.js";
import { runCommand } from "../cdk/command.js";
import {
  engineRuntime,
  planRead,
  runRead,
  streamsFor,
  type Pending,
  type PlannedStream,
  type StreamOutcome,
  type SyncOutput,
} from "../cdk/engine.js";
import { loadConfig, readJsonFile } from "../cdk/inputs.js";
import { envelopedLines, JsonLinesWriter, type Logger } from "../cdk/output.js";
import type { JsonObject, JsonSchema, SyncMode } from "../cdk/protocol.js";
import type { Redactor } from "../cdk/redact.js";
import type { Source } from "../cdk/source.js";
import type { Stream } from "../cdk/stream.js";
import { aboutInfo, aboutMarkdown, aboutText, type TapInfo } from "./about.js";
import { discoverCatalog, keyProperties, parseSingerCatalog, replicationKey, selectedSchema, Selection, type SingerCatalog } from "./catalog.js";
import { bookmarkLocation, parseBookmarks, type Bookmarks } from "./state.js";

export type SingerMessage =
  | { type: "SCHEMA"; stream: string; schema: JsonSchema; key_properties: string[]; bookmark_properties: string[] }
  | { type: "RECORD"; stream: string; record: JsonObject; time_extracted: string }
  | { type: "STATE"; value: { bookmarks: Bookmarks } };

const USAGE =
  "Usage: tap-descope --about [--format json|markdown] | --config FILE --discover | --config FILE [--catalog FILE | --properties FILE] [--state FILE]";

interface TapOptions {
  config?: string;
  catalog?: string;
  state?: string;
  discover: boolean;
  about: boolean;
  format?: string;
  version: boolean;
  debug: boolean;
}

function parseOptions(argv: string[]): TapOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        catalog: { type: "string" },
        properties: { type: "string" },
        state: { type: "string" },
        discover: { type: "boolean", default: false },
        about: { type: "boolean", default: false },
        format: { type: "string" },
        version: { type: "boolean", default: false },
        debug: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw configError(`${(error as Error).message}. ${USAGE}`);
  }
  if (values.catalog && values.properties) throw configError(`Pass either --catalog or --properties, not both. ${USAGE}`);
  return { ...values, catalog: values.catalog ?? values.properties } as TapOptions;
}

/**
 * The Singer command line over the same Source, streams and sync engine as the Airbyte runner. stdout carries
 * only Singer messages (or the catalog / about document); logs and errors go to stderr with secrets masked.
 * Resolves with the exit code once stdout has drained.
 */
export async function runSinger<Config extends JsonObject>(
  source: Source<Config>,
  info: TapInfo,
  argv: string[],
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  const writer = new SingerWriter(out);
  let debug = argv.includes("--debug");
  const log = stderrLogger(err, writer.redactor, () => debug);
  return runCommand({
    writer,
    warn: log.warn,
    body: async (onClose) => {
      const options = parseOptions(argv);
      debug = options.debug;
      if (options.version) {
        err.write(`${info.name} ${info.version}\n`);
        return 0;
      }
      if (options.about) {
        await about(source, info, options.format, writer, out);
        return 0;
      }
      if (!options.config) throw configError(`--config FILE is required. ${USAGE}`);
      const config = await loadConfig<Config>(source.spec().connectionSpecification, options.config, writer.redactor);
      const runtime = engineRuntime(log, onClose, (stream, retryAtMs) =>
        log.info(`${stream ? `Stream "${stream}": rate` : "Rate"} limited by the API; waiting until ${new Date(retryAtMs).toISOString()}.`),
      );
      const streams = await streamsFor(source, config, options.config, runtime);
      if (!options.discover) return sync(streams, options, writer, log);
      await writer.write(discoverCatalog(streams));
      return 0;
    },
    report: (error) => reportFatal(log, error, debug),
  });
}

/** `--about`: JSON goes out as one line like every other document; text and markdown as they are. */
async function about(source: Source, info: TapInfo, format: string | undefined, writer: SingerWriter, out: Writable): Promise<void> {
  const document = aboutInfo(info, source.spec());
  if (format === "json") return writer.write(document);
  if (format !== undefined && format !== "markdown" && format !== "text") {
    throw configError(`Unknown --format "${format}": use json, markdown or text.`);
  }
  // Nothing has been written yet, so the text cannot overtake buffered lines; close() still waits for it.
  out.write(format === "markdown" ? aboutMarkdown(document) : aboutText(document));
}

/** Everything the tap writes on stdout: Singer messages, the discovered catalog, the `--about` document. */
type TapDocument = SingerMessage | SingerCatalog | ReturnType<typeof aboutInfo>;

/** JSON lines of the tap; RECORD lines are built around `JSON.stringify(record)`, a page at a time. */
class SingerWriter extends JsonLinesWriter<TapDocument> {
  records(stream: string, page: readonly JsonObject[]): Promise<void> | undefined {
    const prefix = `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`;
    return this.writeLines(envelopedLines(page, prefix, `,"time_extracted":"${new Date().toISOString()}"}\n`));
  }
}

async function sync(streams: Stream[], options: TapOptions, writer: SingerWriter, log: Logger): Promise<number> {
  const catalog = options.catalog ? parseSingerCatalog(readJsonFile(options.catalog, "catalog"), options.catalog) : discoverCatalog(streams);
  const bookmarks = options.state ? parseBookmarks(readJsonFile(options.state, "state"), options.state) : {};
  const selected = catalog.streams.map((entry) => ({ entry, selection: new Selection(entry) })).filter(({ selection }) => selection.streamSelected);
  if (selected.length === 0) log.warn(`No stream is selected in ${options.catalog ?? "the catalog"}; nothing to sync.`);

  const byName = new Map(streams.map((stream) => [stream.name, stream]));
  const requested = selected.map(({ entry, selection }) => {
    const stream = byName.get(entry.tap_stream_id);
    // The stream's own schema for a catalog entry without properties (or naming an unknown stream, which the
    // plan reports).
    const configuredSchema = hasProperties(entry.schema) || !stream ? entry.schema : stream.jsonSchema;
    return { name: entry.tap_stream_id, syncMode: requestedSyncMode(selection, stream), configuredSchema, selection };
  });
  const plan = await planRead({
    available: streams,
    requested,
    savedState: (stream) => bookmarks[stream],
    stateLocation: (stream) => bookmarkLocation(stream, options.state),
    unknownStreams: (names, available) =>
      configError(
        `The catalog file ${options.catalog} selects streams this tap does not have: ${names.join(", ")}. Available: ${available.join(", ")}.`,
      ),
    log,
  });
  const selections = new Map(requested.map(({ name, selection }) => [name, selection]));
  return runRead(plan, new SingerOutput(writer, bookmarks, selections, log), log);
}

/** The catalog's replication method, else the stream's own: incremental where it has a replication key. */
function requestedSyncMode(selection: Selection, stream: Stream | undefined): SyncMode {
  const method = selection.replicationMethod ?? (stream && replicationKey(stream) ? "INCREMENTAL" : "FULL_TABLE");
  return method === "INCREMENTAL" ? "incremental" : "full_refresh";
}

/**
 * The engine's events as Singer messages: SCHEMA when a stream starts, RECORD with deselected properties dropped,
 * and STATE carrying every bookmark (those of streams not synced this run included) at each checkpoint and once
 * more at the end. Stream statuses have no Singer message; failures are ERROR lines on stderr.
 */
class SingerOutput implements SyncOutput {
  /** Per stream, how its records are reshaped (deselected properties dropped, Singer's deletion column added). */
  private readonly reshape = new Map<string, ((record: JsonObject) => JsonObject) | undefined>();
  private lastState: string | undefined;

  constructor(
    private readonly writer: SingerWriter,
    private readonly bookmarks: Bookmarks,
    private readonly selections: Map<string, Selection>,
    private readonly log: Logger,
  ) {}

  streamStarted({ stream, syncMode, configuredSchema }: PlannedStream): Pending {
    const schema = configuredSchema ?? stream.jsonSchema;
    const selection = this.selections.get(stream.name)!;
    const properties = Object.keys((schema.properties ?? {}) as JsonObject);
    const deselected = new Set(properties.filter((name) => !selection.propertySelected(name)));
    this.reshape.set(stream.name, recordShaper(deselected, hasDeletedAt(schema)));
    const cursor = replicationKey(stream);
    return this.writer.write({
      type: "SCHEMA",
      stream: stream.name,
      schema: withSingerDeletes(deselected.size > 0 ? selectedSchema(schema, new Set(properties.filter((name) => !deselected.has(name)))) : schema),
      key_properties: keyProperties(stream),
      bookmark_properties: syncMode === "incremental" && cursor ? [cursor] : [],
    });
  }

  streamRunning(): Pending {}

  records(stream: string, page: readonly JsonObject[]): Pending {
    const reshape = this.reshape.get(stream);
    return this.writer.records(stream, reshape ? page.map(reshape) : page);
  }

  checkpoint(stream: string, state: JsonObject): Pending {
    this.bookmarks[stream] = state;
    return this.emitState();
  }

  streamSucceeded(stream: string, { records }: StreamOutcome): Pending {
    // Singer's metric log line (singer-io/getting-started docs/SYNC_MODE.md).
    this.log.info(`METRIC: ${JSON.stringify({ type: "counter", metric: "record_count", value: records, tags: { endpoint: stream } })}`);
  }

  streamFailed(stream: string, error: unknown): Pending {
    this.log.error(`Stream "${stream}" failed: ${userMessageOf(error)}`);
    if (!(error instanceof ConnectorError)) this.log.debug(String((error as Error).stack));
  }

  estimate(stream: string, rowCount: number): void {
    this.log.debug(`Stream "${stream}": about ${rowCount} rows.`);
  }

  /** Always end on a STATE holding every bookmark, even when nothing changed: the host then has a complete state. */
  syncEnded(): Pending {
    return this.emitState(true);
  }

  /** A STATE identical to the previous one is not repeated, unless forced. */
  private emitState(force = false): Pending {
    const value = { bookmarks: this.bookmarks };
    const serialized = JSON.stringify(value);
    if (serialized === this.lastState && !force) return;
    this.lastState = serialized;
    return this.writer.write({ type: "STATE", value: structuredClone(value) });
  }
}

/**
 * What the tap does to each record of a stream, decided once when it starts: drop deselected properties, and copy
 * a tombstone's deletion time to Singer's column. Undefined when records go out as they are (most streams).
 */
function recordShaper(deselected: ReadonlySet<string>, copyDeletedAt: boolean): ((record: JsonObject) => JsonObject) | undefined {
  if (deselected.size === 0 && !copyDeletedAt) return undefined;
  return (record) => {
    const kept = deselected.size === 0 ? record : Object.fromEntries(Object.entries(record).filter(([name]) => !deselected.has(name)));
    return copyDeletedAt && kept[AIRBYTE_DELETED_AT] ? { ...kept, [SINGER_DELETED_AT]: kept[AIRBYTE_DELETED_AT] } : kept;
  };
}

/**
 * A deleted record (a tombstone) carries Airbyte's CDC column; Singer targets know the same thing as
 * `_sdc_deleted_at` (pipelinewise targets with `hard_delete: true` delete such rows; singer-sdk targets keep it as
 * a soft-delete column). The tap sends both, and declares `_sdc_deleted_at` wherever the schema has the other.
 */
const AIRBYTE_DELETED_AT = "_ab_cdc_deleted_at";
const SINGER_DELETED_AT = "_sdc_deleted_at";

function hasDeletedAt(schema: JsonSchema): boolean {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  return !!properties?.[AIRBYTE_DELETED_AT] && !properties[SINGER_DELETED_AT];
}

function withSingerDeletes(schema: JsonSchema): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema>;
  if (!hasDeletedAt(schema)) return schema;
  return { ...schema, properties: { ...properties, [SINGER_DELETED_AT]: properties[AIRBYTE_DELETED_AT] } };
}

function hasProperties(schema: JsonSchema | undefined): schema is JsonSchema {
  return !!schema && typeof schema.properties === "object" && schema.properties !== null && Object.keys(schema.properties).length > 0;
}
type TapLogger = Logger & { critical(message: string): void };

/** Singer keeps stdout for data: logs are `LEVEL message` lines on stderr, with secrets masked. */
function stderrLogger(err: Writable, redactor: Redactor, debugEnabled: () => boolean): TapLogger {
  const write = (level: string, message: string): void => {
    if (level === "DEBUG" && !debugEnabled()) return;
    err.write(`${level} ${redactor.redact(message)}\n`);
  };
  return {
    debug: (message) => write("DEBUG", message),
    info: (message) => write("INFO", message),
    warn: (message) => write("WARNING", message),
    error: (message) => write("ERROR", message),
    critical: (message) => write("CRITICAL", message),
  };
}

function reportFatal(log: TapLogger, error: unknown, debug: boolean): void {
  log.critical(userMessageOf(error));
  // A config error is the user's to fix; a stack would only hide the message.
  const cause = error instanceof ConnectorError ? error.cause : error;
  if (failureTypeOf(error) !== "config_error" && cause instanceof Error && (debug || !(error instanceof ConnectorError))) {
    log.error(String(cause.stack));
  }
}
