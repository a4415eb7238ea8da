import yargs from "yargs";
import { runCommand } from "./command.js";
import { loadConfig, parseCatalog, parseState, readJsonFile, validatedStreamState } from "./inputs.js";
import { ConnectorError, configError, endsSync, failureTypeOf, systemError, userMessageOf } from "./errors.js";
import { MessageWriter, OutputClosedError } from "./output.js";
import type { ConfiguredAirbyteStream, JsonObject, JsonSchema, SyncMode } from "./protocol.js";
import type { CheckResult, Runtime, Source } from "./source.js";
import { Checkpoint, toAirbyteStream, type Stream } from "./stream.js";

interface CommandOptions {
  config?: string;
  catalog?: string;
  state?: string;
  debug?: boolean;
}

/**
 * The Airbyte command line: `spec`, `check --config`, `discover --config` and `read --config --catalog [--state]`.
 * Unknown flags (the Python CDK's `--debug` and friends) are accepted. Resolves with the exit code once stdout has
 * drained; callers set `process.exitCode` and let Node exit by itself, so no output is ever cut off.
 */
export async function runAirbyte<Config extends JsonObject>(
  source: Source<Config>,
  argv: string[],
  out: NodeJS.WritableStream & import("node:stream").Writable = process.stdout,
): Promise<number> {
  // yargs reports a missing required option from inside a command's own parse, where a throwing fail handler
  // escapes every promise and crashes the process with a stack. So the handler only records the problem.
  let usageProblem: string | undefined;
  const parsed = await yargs(argv)
    .scriptName("source-descope")
    .command("spec", "Print the connector specification")
    .command("check", "Check the connection", (y) => y.option("config", { type: "string", demandOption: true }))
    .command("discover", "Print the catalog", (y) => y.option("config", { type: "string", demandOption: true }))
    .command("read", "Read records", (y) =>
      y
        .option("config", { type: "string", demandOption: true })
        .option("catalog", { type: "string", demandOption: true })
        .option("state", { type: "string" }),
    )
    .option("debug", { type: "boolean", default: false })
    .demandCommand(1)
    .strict(false)
    .exitProcess(false)
    .fail((message, error) => {
      usageProblem ??= message || error?.message || "Invalid arguments.";
    })
    .version(false)
    .help(false)
    .parseAsync()
    .then(
      (args) => (usageProblem === undefined ? args : usageError(usageProblem)),
      (error: unknown) => usageError(usageProblem ?? (error instanceof Error ? error.message : String(error))),
    );

  const writer = new MessageWriter(out, !(parsed instanceof Error) && Boolean(parsed.debug));
  // A host stopping us (docker stop, Airbyte cancelling) sends SIGTERM; Node would ignore it as PID 1 in a
  // container. Hand over what is already written, then exit as a signalled process does. Records after the last
  // STATE are simply read again on resume.
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    writer.log("WARN", `Received ${signal}; stopping. The next sync resumes from the last STATE of each stream.`);
    void writer
      .close()
      .catch(() => {})
      .finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGTERM", stopOnSignal).once("SIGINT", stopOnSignal);
  const exitCode = await runCommand(
    writer,
    async (onClose) => {
      if (parsed instanceof Error) throw parsed;
      const command = String(parsed._[0]);
      const options = parsed as unknown as CommandOptions;
      const runtime = makeRuntime(writer, onClose);
      switch (command) {
        case "spec":
          await writer.write({ type: "SPEC", spec: source.spec() });
          return 0;
        case "check":
          await check(source, options, writer, runtime);
          return 0;
        case "discover":
          await discover(source, options, writer, runtime);
          return 0;
        case "read":
          return read(source, options, writer, runtime);
        default:
          throw configError(`Unknown command "${command}". Use spec, check, discover or read.`);
      }
    },
    (error) => reportError(writer, error),
  );
  process.off("SIGTERM", stopOnSignal).off("SIGINT", stopOnSignal);
  return exitCode;
}

function usageError(problem: string): Error {
  return configError(`${problem.replace(/\.?$/, ".")} Usage: spec | check --config FILE | discover --config FILE | read --config FILE --catalog FILE [--state FILE]`);
}

function makeRuntime(writer: MessageWriter, onClose: Runtime["onClose"]): Runtime & { currentStream?: string } {
  const runtime: Runtime & { currentStream?: string } = {
    log: writer.logger(),
    rateLimited: (retryAtMs) => {
      if (runtime.currentStream) void writer.streamStatus(runtime.currentStream, "RUNNING", retryAtMs);
    },
    onClose,
  };
  return runtime;
}

async function reportError(writer: MessageWriter, error: unknown, stream?: string): Promise<void> {
  const failureType = failureTypeOf(error);
  const cause = error instanceof ConnectorError ? error.cause : error;
  await writer.error(failureType, userMessageOf(error), {
    internalMessage: cause instanceof Error ? cause.message : undefined,
    // A config error is the user's to fix; a stack would only hide the message.
    stackTrace: failureType === "config_error" ? undefined : (cause instanceof Error ? cause.stack : undefined),
    stream: stream ? { name: stream } : undefined,
  });
}

/**
 * The source's streams for this config. Building them makes no call, so a config error here is about a value in
 * the config file (a base URL, a date) that the spec alone cannot judge: the message names the file like every
 * other input error.
 */
async function streamsOf<Config extends JsonObject>(source: Source<Config>, config: Config, configPath: string, runtime: Runtime): Promise<Stream[]> {
  try {
    return await source.streams(config, runtime);
  } catch (error) {
    if (failureTypeOf(error) !== "config_error") throw error;
    throw configError(`Invalid config file ${configPath}: ${userMessageOf(error)}`);
  }
}

async function check<Config extends JsonObject>(
  source: Source<Config>,
  options: CommandOptions,
  writer: MessageWriter,
  runtime: Runtime,
): Promise<void> {
  let result: void | CheckResult;
  try {
    const config = loadConfig<Config>(source.spec().connectionSpecification, options.config!, writer.redactor);
    result = await source.check(config, runtime);
  } catch (error) {
    // A user's mistake is an answer, not a crash: FAILED with the reason, exit 0. Anything else propagates.
    if (failureTypeOf(error) !== "config_error") throw error;
    await writer.write({
      type: "CONNECTION_STATUS",
      connectionStatus: { status: "FAILED", message: writer.redactor.redact(userMessageOf(error)) },
    });
    return;
  }
  const message = result?.message ? { message: writer.redactor.redact(result.message) } : {};
  await writer.write({ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED", ...message } });
}

async function discover<Config extends JsonObject>(
  source: Source<Config>,
  options: CommandOptions,
  writer: MessageWriter,
  runtime: Runtime,
): Promise<void> {
  const config = loadConfig<Config>(source.spec().connectionSpecification, options.config!, writer.redactor);
  const streams = (await streamsOf(source, config, options.config!, runtime)).map(toAirbyteStream);
  await writer.write({ type: "CATALOG", catalog: { streams: streams as never } });
}

async function read<Config extends JsonObject>(
  source: Source<Config>,
  options: CommandOptions,
  writer: MessageWriter,
  runtime: Runtime & { currentStream?: string },
): Promise<number> {
  const config = loadConfig<Config>(source.spec().connectionSpecification, options.config!, writer.redactor);
  const catalog = parseCatalog(readJsonFile(options.catalog!, "catalog"), options.catalog!);
  const inputState = options.state ? parseState(readJsonFile(options.state, "state"), options.state, runtime.log.warn) : new Map();
  const available = new Map((await streamsOf(source, config, options.config!, runtime)).map((stream) => [stream.name, stream]));

  const unknown = catalog.streams.map((configured) => configured.stream.name).filter((name) => !available.has(name));
  if (unknown.length > 0) {
    throw configError(
      `The catalog file ${options.catalog} names streams this source does not have: ${unknown.join(", ")}. ` +
        `Available: ${[...available.keys()].join(", ")}.`,
    );
  }
  // Every input is checked before the first record: a typo in one stream's state must not surface an hour into
  // the sync, after other streams were read for nothing.
  const plans = catalog.streams.map((configured) => {
    const stream = available.get(configured.stream.name)!;
    const syncMode = effectiveSyncMode(stream, configured, runtime);
    const state = syncMode === "incremental" ? validatedStreamState(stream.stateSchema, inputState.get(stream.name), {
            path: options.state ?? "(none)",
            note: `(in the state of stream "${stream.name}")`,
          }) : undefined;
    return { stream, syncMode, state, configuredSchema: configured.stream.json_schema };
  });
  const failed: string[] = [];
  for (const { stream, syncMode, state, configuredSchema } of plans) {
    runtime.currentStream = stream.name;
    const ok = await readStream(stream, syncMode, state, configuredSchema, writer, runtime);
    runtime.currentStream = undefined;
    if (!ok.succeeded) failed.push(stream.name);
    if (ok.fatal) break;
  }
  if (failed.length > 0) {
    runtime.log.error(`The sync did not complete for: ${failed.join(", ")}. Records up to each stream's last STATE were delivered.`);
    return 1;
  }
  return 0;
}

/** Reads one stream: STARTED → RUNNING → records and states → COMPLETE, or INCOMPLETE with an ERROR trace. */
async function readStream(
  stream: Stream,
  syncMode: SyncMode,
  state: JsonObject | undefined,
  configuredSchema: JsonSchema | undefined,
  writer: MessageWriter,
  runtime: Runtime,
): Promise<{ succeeded: boolean; fatal: boolean }> {
  await writer.streamStatus(stream.name, "STARTED");
  let running = false;
  let recordsSinceState = 0;
  let lastState: string | undefined;
  const markRunning = async (): Promise<void> => {
    if (running) return;
    running = true;
    await writer.streamStatus(stream.name, "RUNNING");
  };
  try {
    const details: string[] = [];
    const context = {
      syncMode,
      state,
      configuredSchema,
      log: runtime.log,
      estimate: (rows: number) => void writer.estimate(stream.name, rows),
      report: (detail: string) => void details.push(detail),
    };
    let records = 0;

    for await (const item of stream.read(context)) {
      await markRunning();
      if (item instanceof Checkpoint) {
        const serialized = JSON.stringify(item.state);
        // Two identical states in a row with records between them fail a sync; without records they are noise.
        if (serialized === lastState) {
          if (recordsSinceState === 0) continue;
          throw systemError(`Stream "${stream.name}" repeated its state after new records; its checkpoints must advance.`);
        }
        const pending = writer.state(stream.name, item.state, recordsSinceState);
        if (pending) await pending;
        recordsSinceState = 0;
        lastState = serialized;
      } else {
        recordsSinceState++;
        records++;
        const pending = writer.record(stream.name, item);
        if (pending) await pending;
      }
    }
    await markRunning();
    // Every stream ends with a state, even a full refresh (the protocol asks for one per stream per sync). A
    // stream that checkpoints must end on a checkpoint: repeating its last state after more records would be a
    // duplicate state, which fails the sync.
    if (lastState === undefined) await writer.state(stream.name, {}, recordsSinceState);
    else if (recordsSinceState > 0) throw systemError(`Stream "${stream.name}" yielded records after its last checkpoint.`);
    runtime.log.info([`${stream.name}: ${records.toLocaleString("en-US")} records`, ...details].join("; "));
    await writer.streamStatus(stream.name, "COMPLETE");
    return { succeeded: true, fatal: false };
  } catch (error) {
    if (error instanceof OutputClosedError) throw error;
    await writer.streamStatus(stream.name, "INCOMPLETE");
    await reportError(writer, error, stream.name);
    // With bad credentials every later stream would fail the same way; a permission one key lacks need not.
    return { succeeded: false, fatal: endsSync(error) };
  }
}

function effectiveSyncMode(stream: Stream, configured: ConfiguredAirbyteStream, runtime: Runtime): SyncMode {
  if (configured.sync_mode === "incremental" && stream.cursorField === undefined) {
    runtime.log.info(`Stream "${stream.name}" supports only full refresh; reading it in full instead of incrementally.`);
    return "full_refresh";
  }
  return configured.sync_mode;
}
