/**
 * The Airbyte adapter: the command line (`spec`, `check`, `discover`, `read`) and `AirbyteOutput`, which
 * writes the engine's events (engine.ts plans and runs the read) as Airbyte messages.
 */
import { parseArgs } from "node:util";
import { runCommand } from "./command.js";
import { engineRuntime, planRead, runRead, streamsFor, type Pending, type PlannedStream, type StreamOutcome, type SyncOutput } from "./engine.js";
import { loadConfig, parseCatalog, parseState, readJsonFile } from "./inputs.js";
import { ConnectorError, configError, failureTypeOf, userMessageOf } from "./errors.js";
import { MessageWriter } from "./output.js";
import type { JsonObject } from "./protocol.js";
import type { CheckResult, Runtime, Source } from "./source.js";
import { toAirbyteStream } from "./stream.js";

interface CommandOptions {
  command: string;
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
  const parsed = commandLine(argv);
  const writer = new MessageWriter(out, !(parsed instanceof Error) && Boolean(parsed.debug));
  return runCommand({
    writer,
    warn: (message) => writer.log("WARN", message),
    body: async (onClose) => {
      if (parsed instanceof Error) throw parsed;
      const options = parsed;
      // A rate limit reached while a stream reads shows as that stream's RUNNING status with a RATE_LIMITED reason.
      const runtime = engineRuntime(writer.logger(), onClose, (stream, retryAtMs) => {
        if (stream) void writer.streamStatus(stream, "RUNNING", retryAtMs);
      });
      switch (options.command) {
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
          throw configError(`Unknown command "${options.command}". Use spec, check, discover or read.`);
      }
    },
    report: (error) => reportError(writer, error),
  });
}

/** The options each command needs; anything else on the line (the Python CDK's `--debug` and friends) is accepted. */
const REQUIRED_OPTIONS: Record<string, readonly ("config" | "catalog")[]> = {
  spec: [],
  check: ["config"],
  discover: ["config"],
  read: ["config", "catalog"],
};

/**
 * The arguments, or the usage error to report. Node's own `util.parseArgs`, as the Singer tap uses: the four
 * commands take three file options and a flag, and loading yargs cost about 45 ms of every cold start.
 */
function commandLine(argv: string[]): CommandOptions | Error {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: "string" }, catalog: { type: "string" }, state: { type: "string" }, debug: { type: "boolean" } },
    strict: false,
    allowPositionals: true,
  });
  const command = positionals[0];
  if (command === undefined) return usageError("No command given.");
  for (const name of REQUIRED_OPTIONS[command] ?? []) {
    if (typeof values[name] !== "string") return usageError(`Missing required argument: ${name}.`);
  }
  const file = (name: "config" | "catalog" | "state") => (typeof values[name] === "string" ? values[name] : undefined);
  return { command, config: file("config"), catalog: file("catalog"), state: file("state"), debug: values.debug === true };
}

function usageError(problem: string): Error {
  return configError(
    `${problem.replace(/\.?$/, ".")} Usage: spec | check --config FILE | discover --config FILE | read --config FILE --catalog FILE [--state FILE]`,
  );
}

async function reportError(writer: MessageWriter, error: unknown, stream?: string): Promise<void> {
  const failureType = failureTypeOf(error);
  const cause = error instanceof ConnectorError ? error.cause : error;
  await writer.error(failureType, userMessageOf(error), {
    internalMessage: cause instanceof Error ? cause.message : undefined,
    // A config error is the user's to fix; a stack would only hide the message.
    stackTrace: failureType === "config_error" ? undefined : cause instanceof Error ? cause.stack : undefined,
    stream: stream ? { name: stream } : undefined,
  });
}

async function check<Config extends JsonObject>(
  source: Source<Config>,
  options: CommandOptions,
  writer: MessageWriter,
  runtime: Runtime,
): Promise<void> {
  let result: void | CheckResult;
  try {
    const config = await loadConfig<Config>(source.spec().connectionSpecification, options.config!, writer.redactor);
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
  const config = await loadConfig<Config>(source.spec().connectionSpecification, options.config!, writer.redactor);
  const streams = (await streamsFor(source, config, options.config!, runtime)).map(toAirbyteStream);
  await writer.write({ type: "CATALOG", catalog: { streams: streams as never } });
}

async function read<Config extends JsonObject>(
  source: Source<Config>,
  options: CommandOptions,
  writer: MessageWriter,
  runtime: Runtime,
): Promise<number> {
  const config = await loadConfig<Config>(source.spec().connectionSpecification, options.config!, writer.redactor);
  const catalog = await parseCatalog(readJsonFile(options.catalog!, "catalog"), options.catalog!);
  const inputState = options.state ? parseState(readJsonFile(options.state, "state"), options.state, runtime.log.warn) : new Map();
  const plan = await planRead({
    available: await streamsFor(source, config, options.config!, runtime),
    requested: catalog.streams.map((configured) => ({
      name: configured.stream.name,
      syncMode: configured.sync_mode,
      configuredSchema: configured.stream.json_schema,
    })),
    savedState: (stream) => inputState.get(stream),
    stateLocation: (stream) => ({ path: options.state ?? "(none)", note: `(in the state of stream "${stream}")` }),
    unknownStreams: (names, available) =>
      configError(
        `The catalog file ${options.catalog} names streams this source does not have: ${names.join(", ")}. Available: ${available.join(", ")}.`,
      ),
    log: runtime.log,
  });
  return runRead(plan, new AirbyteOutput(writer), runtime.log);
}

/** The engine's events as Airbyte messages: stream statuses, RECORD, per-stream STATE with exact counts, traces. */
class AirbyteOutput implements SyncOutput {
  constructor(private readonly writer: MessageWriter) {}

  streamStarted({ stream }: PlannedStream): Pending {
    return this.writer.streamStatus(stream.name, "STARTED");
  }

  streamRunning(stream: string): Pending {
    return this.writer.streamStatus(stream, "RUNNING");
  }

  records(stream: string, page: readonly JsonObject[]): Pending {
    return this.writer.records(stream, page);
  }

  checkpoint(stream: string, state: JsonObject, recordCount: number): Pending {
    return this.writer.state(stream, state, recordCount);
  }

  async streamSucceeded(stream: string, outcome: StreamOutcome): Promise<void> {
    // Every stream ends with a state, even a full refresh: the protocol asks for one per stream per sync.
    if (!outcome.checkpointed) await this.writer.state(stream, {}, outcome.recordsSinceCheckpoint);
    await this.writer.streamStatus(stream, "COMPLETE");
  }

  async streamFailed(stream: string, error: unknown): Promise<void> {
    await this.writer.streamStatus(stream, "INCOMPLETE");
    await reportError(this.writer, error, stream);
  }

  estimate(stream: string, rowCount: number): void {
    void this.writer.estimate(stream, rowCount);
  }

  syncEnded(): Pending {}
}
