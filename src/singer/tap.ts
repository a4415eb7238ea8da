import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { ConnectorError, configError, endsSync, failureTypeOf, systemError, userMessageOf } from "../cdk/errors.js";
import { runCommand } from "../cdk/command.js";
import { loadConfig, readJsonFile } from "../cdk/inputs.js";
import { MessageWriter, OutputClosedError, type Logger } from "../cdk/output.js";
import type { AirbyteMessage, JsonObject, JsonSchema, SyncMode } from "../cdk/protocol.js";
import { Redactor } from "../cdk/redact.js";
import type { Runtime, Source } from "../cdk/source.js";
import { Checkpoint, type Stream } from "../cdk/stream.js";
import { aboutInfo, aboutMarkdown, aboutText, type TapInfo } from "./about.js";
import {
  discoverCatalog,
  keyProperties,
  parseSingerCatalog,
  replicationKey,
  selectedSchema,
  Selection,
  type SingerCatalogEntry,
} from "./catalog.js";
import { parseBookmarks, validatedBookmark, type Bookmarks } from "./state.js";

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
  let values;
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
 * The Singer command line over the same Source and streams as the Airbyte runner. stdout carries only Singer
 * messages (or the catalog / about document); logs and errors go to stderr with secrets masked. Resolves with the
 * exit code once stdout has drained.
 */
export async function runSinger<Config extends JsonObject>(
  source: Source<Config>,
  info: TapInfo,
  argv: string[],
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  const writer = new MessageWriter(out);
  const redactor = new Redactor();
  let debug = argv.includes("--debug");
  const log = stderrLogger(err, redactor, () => debug);
  return runCommand(
    writer,
    async (onClose) => {
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
      const config = loadConfig<Config>(source.spec().connectionSpecification, options.config, redactor);
      const runtime: Runtime = {
        log,
        rateLimited: (retryAtMs) => log.info(`Rate limited by Descope; waiting until ${new Date(retryAtMs).toISOString()}.`),
        onClose,
      };
      const streams = await source.streams(config, runtime);
      if (!options.discover) return sync(streams, options, writer, log);
      await send(writer, discoverCatalog(streams));
      return 0;
    },
    (error) => reportFatal(log, error, debug),
  );
}


/** `--about`: JSON goes out as one line like every other document; text and markdown as they are. */
async function about(source: Source, info: TapInfo, format: string | undefined, writer: MessageWriter, out: Writable): Promise<void> {
  const document = aboutInfo(info, source.spec());
  if (format === "json") return send(writer, document);
  if (format !== undefined && format !== "markdown" && format !== "text") {
    throw configError(`Unknown --format "${format}": use json, markdown or text.`);
  }
  // Nothing has been written yet, so the text cannot overtake buffered lines; close() still waits for it.
  out.write(format === "markdown" ? aboutMarkdown(document) : aboutText(document));
}

/** One JSON line through the writer's buffering and backpressure. */
function send(writer: MessageWriter, message: SingerMessage | object): Promise<void> | undefined {
  // MessageWriter is typed for Airbyte messages, but all it does with one is serialize it to a line.
  return writer.write(message as unknown as AirbyteMessage);
}

interface PlannedStream {
  stream: Stream;
  entry: SingerCatalogEntry;
  selection: Selection;
}

async function sync(streams: Stream[], options: TapOptions, writer: MessageWriter, log: Logger): Promise<number> {
  const byName = new Map(streams.map((stream) => [stream.name, stream]));
  const catalog = options.catalog ? parseSingerCatalog(readJsonFile(options.catalog, "catalog"), options.catalog) : discoverCatalog(streams);
  const bookmarks = options.state ? parseBookmarks(readJsonFile(options.state, "state"), options.state) : {};

  const plan: PlannedStream[] = [];
  for (const entry of catalog.streams) {
    const selection = new Selection(entry);
    if (!selection.streamSelected) continue;
    const stream = byName.get(entry.tap_stream_id);
    if (!stream) {
      throw configError(
        `The catalog file ${options.catalog} selects streams this tap does not have: ${entry.tap_stream_id}. Available: ${[...byName.keys()].join(", ")}.`,
      );
    }
    plan.push({ stream, entry, selection });
  }
  if (plan.length === 0) log.warn(`No stream is selected in ${options.catalog ?? "the catalog"}; nothing to sync.`);

  const emitter = new StateEmitter(writer, bookmarks);
  const failed: string[] = [];
  for (const planned of plan) {
    try {
      await syncStream(planned, options.state, writer, emitter, log);
    } catch (error) {
      if (error instanceof OutputClosedError) throw error;
      failed.push(planned.stream.name);
      log.error(`Stream "${planned.stream.name}" failed: ${userMessageOf(error)}`);
      if (!(error instanceof ConnectorError)) log.debug(String((error as Error).stack));
      // With bad credentials every later stream would fail the same way; a permission one key lacks need not.
      if (endsSync(error)) break;
    }
  }
  // Always end on a STATE holding every bookmark, even when nothing changed: the host then has a complete state.
  await emitter.emit(true);
  if (failed.length > 0) {
    log.error(`The sync did not complete for: ${failed.join(", ")}. Records up to the last STATE were delivered.`);
    return 1;
  }
  return 0;
}

/** Writes STATE messages carrying all bookmarks; a STATE identical to the previous one is not repeated. */
class StateEmitter {
  private last: string | undefined;

  constructor(
    private readonly writer: MessageWriter,
    readonly bookmarks: Bookmarks,
  ) {}

  async emit(force = false): Promise<void> {
    const value = { bookmarks: this.bookmarks };
    const serialized = JSON.stringify(value);
    if (serialized === this.last && !force) return;
    this.last = serialized;
    await send(this.writer, { type: "STATE", value: structuredClone(value) });
  }
}

async function syncStream(planned: PlannedStream, statePath: string | undefined, writer: MessageWriter, emitter: StateEmitter, log: Logger): Promise<void> {
  const { stream, entry, selection } = planned;
  const syncMode = effectiveSyncMode(stream, selection, log);
  const cursor = replicationKey(stream);
  const schema = hasProperties(entry.schema) ? entry.schema : stream.jsonSchema;
  const properties = Object.keys((schema.properties ?? {}) as JsonObject);
  const deselected = new Set(properties.filter((name) => !selection.propertySelected(name)));
  const kept = new Set(properties.filter((name) => !deselected.has(name)));

  await send(writer, {
    type: "SCHEMA",
    stream: stream.name,
    schema: deselected.size > 0 ? selectedSchema(schema, kept) : schema,
    key_properties: keyProperties(stream),
    bookmark_properties: syncMode === "incremental" && cursor ? [cursor] : [],
  });

  const state = syncMode === "incremental" ? validatedBookmark(stream, emitter.bookmarks[stream.name], statePath) : undefined;
  let records = 0;
  let recordsSinceCheckpoint = 0;
  let checkpointed = false;
  const details: string[] = [];
  const context = {
    syncMode,
    state,
    configuredSchema: schema,
    log,
    estimate: (rows: number) => log.debug(`Stream "${stream.name}": about ${rows} rows.`),
    report: (detail: string) => void details.push(detail),
  };
  for await (const item of stream.read(context)) {
    if (item instanceof Checkpoint) {
      emitter.bookmarks[stream.name] = item.state;
      await emitter.emit();
      checkpointed = true;
      recordsSinceCheckpoint = 0;
      continue;
    }
    const record = deselected.size > 0 ? Object.fromEntries(Object.entries(item).filter(([name]) => !deselected.has(name))) : item;
    const pending = send(writer, { type: "RECORD", stream: stream.name, record, time_extracted: new Date().toISOString() });
    if (pending) await pending;
    records++;
    recordsSinceCheckpoint++;
  }
  // The guarantee the Airbyte runner enforces too: a stream that checkpoints ends on a checkpoint, so the last
  // STATE covers every record before it.
  if (checkpointed && recordsSinceCheckpoint > 0) throw systemError(`Stream "${stream.name}" yielded records after its last checkpoint.`);
  log.info([`${stream.name}: ${records.toLocaleString("en-US")} records`, ...details].join("; "));
  // Singer's metric log line (singer-io/getting-started docs/SYNC_MODE.md).
  log.info(`METRIC: ${JSON.stringify({ type: "counter", metric: "record_count", value: records, tags: { endpoint: stream.name } })}`);
}

function effectiveSyncMode(stream: Stream, selection: Selection, log: Logger): SyncMode {
  const requested = selection.replicationMethod;
  if (replicationKey(stream) === undefined) {
    if (requested === "INCREMENTAL") log.info(`Stream "${stream.name}" supports only full table replication; reading it in full.`);
    return "full_refresh";
  }
  return requested === "FULL_TABLE" ? "full_refresh" : "incremental";
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
