/**
 * The output side of both adapters: JSON lines on stdout, chunked, with backpressure and drain on exit.
 * `JsonLinesWriter` writes any protocol's lines; `MessageWriter` adds the Airbyte messages (with redaction of every
 * text the connector authored), the Singer tap its own RECORD lines (src/singer/tap.ts).
 */
import type { Writable } from "node:stream";
import type { AirbyteMessage, AirbyteTraceMessage, FailureType, JsonObject, LogLevel, StreamDescriptor, StreamStatus } from "./protocol.js";
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
 * Writes JSON lines to stdout for any protocol (Airbyte, Singer, a tap's `--about` document), typed by the
 * messages that protocol has. Lines are gathered into chunks and written with backpressure: callers await the
 * promise a write returns (if any) before writing more. A record page is one call and one await, whatever its size.
 */
export class JsonLinesWriter<Message extends object> {
  readonly redactor = new Redactor();
  private pending = "";
  private closed = false;
  private drainWaiter: Promise<void> | undefined;
  private idleFlush: NodeJS.Immediate | undefined;

  constructor(private readonly out: Writable) {
    // EPIPE (reader gone) and any other write error leave nothing to write to; the next write reports it.
    out.on("error", () => {
      this.closed = true;
    });
  }

  /** Queues one message; the returned promise (if any) must be awaited before writing more. */
  write(message: Message): Promise<void> | undefined {
    return this.writeLines(`${JSON.stringify(message)}\n`);
  }

  /**
   * Queues lines the caller has already serialised, each ending in a newline: the record hot path builds its
   * envelope around `JSON.stringify(record)` instead of stringifying an envelope object per record.
   */
  protected writeLines(lines: string): Promise<void> | undefined {
    if (this.closed) throw new OutputClosedError();
    this.pending += lines;
    if (this.pending.length >= CHUNK_BYTES) return this.flushPending();
    this.idleFlush ??= setImmediate(() => this.flushWhenIdle());
    return undefined;
  }

  protected get isClosed(): boolean {
    return this.closed;
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
}

/** Serialises `[prefix]JSON(record)[suffix]` for each record of a page, e.g. an envelope around each record. */
export function envelopedLines(records: readonly JsonObject[], prefix: string, suffix: string): string {
  let lines = "";
  for (const record of records) lines += prefix + JSON.stringify(record) + suffix;
  return lines;
}

/**
 * The Airbyte protocol's writer: every text the connector authored (logs, traces) passes through the redactor.
 * Record data is written as is: it is the payload.
 */
export class MessageWriter extends JsonLinesWriter<AirbyteMessage> {
  /** `{"type":"RECORD","record":{"stream":<name>,"data":` per stream, the constant head of its record lines. */
  private readonly recordPrefixes = new Map<string, string>();

  constructor(
    out: Writable,
    private readonly debugEnabled = false,
  ) {
    super(out);
  }

  record(stream: string, data: JsonObject): Promise<void> | undefined {
    return this.records(stream, [data]);
  }

  /** One page of records, serialised straight into the output buffer (same bytes as `write` of each RECORD). */
  records(stream: string, page: readonly JsonObject[]): Promise<void> | undefined {
    let prefix = this.recordPrefixes.get(stream);
    if (prefix === undefined) {
      prefix = `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)},"data":`;
      this.recordPrefixes.set(stream, prefix);
    }
    return this.writeLines(envelopedLines(page, prefix, `,"emitted_at":${Date.now()}}}\n`));
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
    if (this.isClosed || (level === "DEBUG" && !this.debugEnabled)) return;
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
