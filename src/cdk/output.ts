import type { Writable } from "node:stream";
import type {
  AirbyteMessage,
  AirbyteTraceMessage,
  FailureType,
  JsonObject,
  LogLevel,
  StreamDescriptor,
  StreamStatus,
} from "./protocol.js";
import { Redactor } from "./redact.js";

/** Lines are gathered into chunks of about this size before a write: one syscall per record is the slow path. */
const CHUNK_BYTES = 64 * 1024;

/** Raised when the reader of stdout has gone away (EPIPE): there is nobody left to deliver records to. */
export class OutputClosedError extends Error {
  constructor() {
    super("stdout was closed by its reader");
    this.name = "OutputClosedError";
  }
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Writes Airbyte messages to stdout, one JSON line each. It respects backpressure (callers await the promise
 * that `write` returns when the pipe is full) and every text the connector authored (logs, traces) passes through
 * the redactor. Record data is written as is: it is the payload.
 */
export class MessageWriter {
  readonly redactor = new Redactor();
  private pending = "";
  private closed = false;
  private drainWaiter: Promise<void> | undefined;
  private idleFlush: NodeJS.Immediate | undefined;

  constructor(
    private readonly out: Writable,
    private readonly debugEnabled = false,
  ) {
    // EPIPE (reader gone) and any other write error leave nothing to write to; the next write reports it.
    out.on("error", () => {
      this.closed = true;
    });
  }

  /** Queues one message; the returned promise (if any) must be awaited before writing more. */
  write(message: AirbyteMessage): Promise<void> | undefined {
    if (this.closed) throw new OutputClosedError();
    this.pending += JSON.stringify(message) + "\n";
    if (this.pending.length >= CHUNK_BYTES) return this.flushPending();
    this.idleFlush ??= setImmediate(() => this.flushWhenIdle());
    return undefined;
  }

  /**
   * Lines are gathered into chunks, but never held past the moment the connector stops producing: a STATE or a
   * "rate limited, waiting" status written just before a long wait must reach the host before the wait (and
   * survive a kill during it). While the pipe is full nothing extra is pushed; the next full chunk awaits drain.
   */
  private flushWhenIdle(): void {
    this.idleFlush = undefined;
    if (this.closed || this.drainWaiter || this.pending.length === 0) return;
    // A reader that went away is reported to whoever writes next.
    this.flushPending()?.catch(() => {});
  }

  async flush(): Promise<void> {
    if (this.pending.length > 0) await this.flushPending();
  }

  /** Ends stdout and resolves once everything written has reached the pipe. */
  async close(): Promise<void> {
    if (this.idleFlush) clearImmediate(this.idleFlush);
    this.idleFlush = undefined;
    await this.flush();
    if (this.closed) return;
    await new Promise<void>((resolve) => this.out.end(resolve));
  }

  private flushPending(): Promise<void> | undefined {
    const chunk = this.pending;
    this.pending = "";
    if (this.closed) throw new OutputClosedError();
    if (this.out.write(chunk)) return this.drainWaiter;
    this.drainWaiter ??= new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.out.off("drain", done);
        this.out.off("close", done);
        this.drainWaiter = undefined;
        if (this.closed) reject(new OutputClosedError());
        else resolve();
      };
      this.out.on("drain", done);
      this.out.on("close", done);
    });
    return this.drainWaiter;
  }

  record(stream: string, data: JsonObject): Promise<void> | undefined {
    return this.write({ type: "RECORD", record: { stream, data, emitted_at: Date.now() } });
  }

  state(stream: string, streamState: JsonObject, recordCount: number): Promise<void> | undefined {
    return this.write({
      type: "STATE",
      state: {
        type: "STREAM",
        stream: { stream_descriptor: { name: stream }, stream_state: streamState },
        sourceStats: { recordCount },
      },
    });
  }

  log(level: LogLevel, message: string): void {
    if (this.closed || (level === "DEBUG" && !this.debugEnabled)) return;
    void this.write({ type: "LOG", log: { level, message: this.redactor.redact(message) } });
  }

  streamStatus(stream: string, status: StreamStatus, rateLimitedUntil?: number): Promise<void> | undefined {
    const trace: AirbyteTraceMessage = {
      type: "STREAM_STATUS",
      emitted_at: Date.now(),
      stream_status: { stream_descriptor: { name: stream }, status },
    };
    if (rateLimitedUntil !== undefined) {
      trace.stream_status.reasons = [{ type: "RATE_LIMITED", rate_limited: { quota_reset: rateLimitedUntil } }];
    }
    return this.write({ type: "TRACE", trace });
  }

  estimate(stream: string, rowEstimate: number): Promise<void> | undefined {
    return this.write({
      type: "TRACE",
      trace: { type: "ESTIMATE", emitted_at: Date.now(), estimate: { name: stream, type: "STREAM", row_estimate: rowEstimate } },
    });
  }

  error(
    failureType: FailureType,
    message: string,
    details: { internalMessage?: string; stackTrace?: string; stream?: StreamDescriptor } = {},
  ): Promise<void> | undefined {
    const error: Extract<AirbyteTraceMessage, { type: "ERROR" }>["error"] = {
      message: this.redactor.redact(message),
      failure_type: failureType,
    };
    if (details.internalMessage) error.internal_message = this.redactor.redact(details.internalMessage);
    if (details.stackTrace) error.stack_trace = this.redactor.redact(details.stackTrace);
    if (details.stream) error.stream_descriptor = details.stream;
    return this.write({ type: "TRACE", trace: { type: "ERROR", emitted_at: Date.now(), error } });
  }

  logger(): Logger {
    return {
      debug: (message) => this.log("DEBUG", message),
      info: (message) => this.log("INFO", message),
      warn: (message) => this.log("WARN", message),
      error: (message) => this.log("ERROR", message),
    };
  }
}
