/**
 * The one sync engine under both CLIs. It plans a read (which streams, in which effective sync mode, each one's
 * saved state validated up front) and runs it (stream by stream: records counted per checkpoint, checkpoints that
 * must advance, a failure confined to its stream unless it `endsSync`, one summary LOG line per stream, the exit
 * code). What goes on stdout is an adapter's business: `SyncOutput` is implemented once for Airbyte messages
 * (runner.ts) and once for Singer messages (../singer/tap.ts), so the two protocols cannot drift apart on what a
 * sync does — only on how it is written down.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { configError, failureTypeOf, endsSync, systemError, userMessageOf } from "./errors.js";
import { validatedStreamState } from "./inputs.js";
import { OutputClosedError, type Logger } from "./output.js";
import type { JsonObject, JsonSchema, SyncMode } from "./protocol.js";
import type { Runtime, Source } from "./source.js";
import { Checkpoint, type Stream, type StreamContext } from "./stream.js";

/** A write that may have to wait for the pipe: await it (when there is one) before writing more. */
export type Pending = Promise<void> | undefined | void;

/** What the host asked for one stream: from an Airbyte configured catalog or a Singer catalog's selection. */
export interface StreamRequest {
  name: string;
  /** Incremental on a stream without a cursor is read in full, with a log line saying so. */
  syncMode: SyncMode;
  configuredSchema?: JsonSchema;
}

export interface PlannedStream {
  stream: Stream;
  syncMode: SyncMode;
  /** The saved state, already validated against the stream's state schema; undefined on a fresh or full read. */
  state: JsonObject | undefined;
  configuredSchema?: JsonSchema;
}

/** Where one stream's saved state sits in its file, so a validation error names the file and the field. */
export interface StateLocation {
  path: string;
  fieldPrefix?: string;
  note?: string;
}

export interface ReadRequest {
  available: Stream[];
  requested: StreamRequest[];
  savedState(stream: string): JsonObject | undefined;
  stateLocation(stream: string): StateLocation;
  /** The config error for catalog entries naming streams the source does not have, in the adapter's words. */
  unknownStreams(names: string[], available: string[]): Error;
  log: Logger;
}

/**
 * Every input is checked before the first record: a typo in one stream's state must not surface an hour into the
 * sync, after other streams were read for nothing.
 */
export async function planRead(request: ReadRequest): Promise<PlannedStream[]> {
  const byName = new Map(request.available.map((stream) => [stream.name, stream]));
  const unknown = request.requested.map((requested) => requested.name).filter((name) => !byName.has(name));
  if (unknown.length > 0) throw request.unknownStreams(unknown, [...byName.keys()]);
  const plan: PlannedStream[] = [];
  for (const { name, syncMode: requestedMode, configuredSchema } of request.requested) {
    const stream = byName.get(name)!;
    const syncMode = effectiveSyncMode(stream, requestedMode, request.log);
    const state =
      syncMode === "incremental" ? await validatedStreamState(stream.stateSchema, request.savedState(name), request.stateLocation(name)) : undefined;
    plan.push({ stream, syncMode, state, configuredSchema });
  }
  return plan;
}

function effectiveSyncMode(stream: Stream, requested: SyncMode, log: Logger): SyncMode {
  if (requested === "incremental" && stream.cursorField === undefined) {
    log.info(`Stream "${stream.name}" supports only full refresh; reading it in full instead of incrementally.`);
    return "full_refresh";
  }
  return requested;
}

/** How one stream ended well: what an adapter needs to close it in its protocol. */
export interface StreamOutcome {
  records: number;
  /** Records since the last checkpoint; only a stream that never checkpointed may end with some. */
  recordsSinceCheckpoint: number;
  checkpointed: boolean;
}

/** The adapter between the engine and one protocol's stdout. */
export interface SyncOutput {
  streamStarted(planned: PlannedStream): Pending;
  /** Once per stream, at its first item (or its end, when it yields nothing). */
  streamRunning(stream: string): Pending;
  records(stream: string, page: readonly JsonObject[]): Pending;
  checkpoint(stream: string, state: JsonObject, recordCount: number): Pending;
  streamSucceeded(stream: string, outcome: StreamOutcome): Pending;
  streamFailed(stream: string, error: unknown): Pending;
  estimate(stream: string, rowCount: number): void;
  /** After the last stream, whatever happened (the Singer tap writes a STATE holding every bookmark). */
  syncEnded(): Pending;
}

/** The stream whose read is running in this async context: how a request's rate limit reaches its stream. */
const activeStream = new AsyncLocalStorage<string>();

/**
 * The runtime handed to a source. `rateLimited` reports to the stream whose read issued the waiting request (an
 * async-context channel, correct even if streams ever read concurrently), or with `undefined` outside any read.
 */
export function engineRuntime(
  log: Logger,
  onClose: Runtime["onClose"],
  rateLimited: (stream: string | undefined, retryAtMs: number) => void,
): Runtime {
  return { log, onClose, rateLimited: (retryAtMs) => rateLimited(activeStream.getStore(), retryAtMs) };
}

/**
 * The source's streams for this config. A config error here is about a value in the config file (a base URL, a
 * date) that the spec alone cannot judge: the message names the file like every other input error.
 */
export async function streamsFor<Config extends JsonObject>(
  source: Source<Config>,
  config: Config,
  configPath: string,
  runtime: Runtime,
): Promise<Stream[]> {
  try {
    return await source.streams(config, runtime);
  } catch (error) {
    if (failureTypeOf(error) !== "config_error") throw error;
    throw configError(`Invalid config file ${configPath}: ${userMessageOf(error)}`);
  }
}

/** Reads the planned streams in order; resolves with the exit code (1 when any stream failed). */
export async function runRead(plan: PlannedStream[], output: SyncOutput, log: Logger): Promise<number> {
  const failed: string[] = [];
  for (const planned of plan) {
    const outcome = await activeStream.run(planned.stream.name, () => readStream(planned, output, log));
    if (outcome === "succeeded") continue;
    failed.push(planned.stream.name);
    if (outcome === "ends sync") break;
  }
  await output.syncEnded();
  if (failed.length === 0) return 0;
  log.error(`The sync did not complete for: ${failed.join(", ")}. Records up to each stream's last state were delivered.`);
  return 1;
}

/**
 * One stream: started, running, records (single or a page at a time) and checkpoints, then succeeded, or failed
 * with its error. A page is written in one step: one await at most, however many records it holds.
 */
async function readStream(planned: PlannedStream, output: SyncOutput, log: Logger): Promise<"succeeded" | "failed" | "ends sync"> {
  const { stream, syncMode, state, configuredSchema } = planned;
  const name = stream.name;
  let pending = output.streamStarted(planned);
  if (pending) await pending;
  let running = false;
  let records = 0;
  let recordsSinceCheckpoint = 0;
  let lastState: string | undefined;
  const details: string[] = [];
  const context: StreamContext = {
    syncMode,
    state,
    configuredSchema,
    log,
    estimate: (rowCount) => output.estimate(name, rowCount),
    report: (detail) => void details.push(detail),
  };
  try {
    for await (const item of stream.read(context)) {
      if (!running) {
        running = true;
        pending = output.streamRunning(name);
        if (pending) await pending;
      }
      if (item instanceof Checkpoint) {
        const serialized = JSON.stringify(item.state);
        // Two identical states in a row with records between them fail a sync; without records they are noise.
        if (serialized === lastState) {
          if (recordsSinceCheckpoint === 0) continue;
          throw systemError(`Stream "${name}" repeated its state after new records; its checkpoints must advance.`);
        }
        pending = output.checkpoint(name, item.state, recordsSinceCheckpoint);
        recordsSinceCheckpoint = 0;
        lastState = serialized;
      } else {
        const page = Array.isArray(item) ? (item as readonly JsonObject[]) : [item as JsonObject];
        if (page.length === 0) continue;
        records += page.length;
        recordsSinceCheckpoint += page.length;
        pending = output.records(name, page);
      }
      if (pending) await pending;
    }
    if (!running) {
      pending = output.streamRunning(name);
      if (pending) await pending;
    }
    // A stream that checkpoints must end on a checkpoint: the last state must cover every record before it.
    if (lastState !== undefined && recordsSinceCheckpoint > 0) throw systemError(`Stream "${name}" yielded records after its last checkpoint.`);
    log.info([`${name}: ${records.toLocaleString("en-US")} records`, ...details].join("; "));
    pending = output.streamSucceeded(name, { records, recordsSinceCheckpoint, checkpointed: lastState !== undefined });
    if (pending) await pending;
    return "succeeded";
  } catch (error) {
    if (error instanceof OutputClosedError) throw error;
    pending = output.streamFailed(name, error);
    if (pending) await pending;
    // With bad credentials every later stream would fail the same way; a permission one key lacks need not.
    return endsSync(error) ? "ends sync" : "failed";
  }
}
