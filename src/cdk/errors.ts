import type { FailureType } from "./protocol.js";

/**
 * An error that knows how the platform should treat it. Everything the connector throws on purpose is one of
 * these; anything else is a bug and becomes a system_error.
 */
export class ConnectorError extends Error {
  /**
   * True when no later stream can succeed either (bad credentials, bad input): the engine stops the sync. A
   * failure of one stream's endpoint (e.g. a role-scoped key without that permission) leaves this false, so the
   * other streams still run and only the exit code says something failed.
   */
  readonly endsSync: boolean;

  constructor(
    message: string,
    readonly failureType: FailureType,
    options?: { cause?: unknown; endsSync?: boolean },
  ) {
    super(message, { cause: options?.cause });
    this.name = "ConnectorError";
    this.endsSync = options?.endsSync ?? false;
  }
}

/** The user must change something: credentials, config, catalog or state. */
export function configError(message: string, cause?: unknown, options: { endsSync?: boolean } = {}): ConnectorError {
  return new ConnectorError(message, "config_error", { cause, endsSync: options.endsSync });
}

/** Whether a stream's failure must stop the whole sync rather than only that stream. */
export function endsSync(error: unknown): boolean {
  return error instanceof ConnectorError && error.endsSync;
}

/** Expected to clear by itself: rate limits, timeouts, upstream 5xx after retries. */
export function transientError(message: string, cause?: unknown): ConnectorError {
  return new ConnectorError(message, "transient_error", { cause });
}

export function systemError(message: string, cause?: unknown): ConnectorError {
  return new ConnectorError(message, "system_error", { cause });
}

export function failureTypeOf(error: unknown): FailureType {
  return error instanceof ConnectorError ? error.failureType : "system_error";
}

/** The message a user sees. Unexpected errors keep their text; the stack goes to the trace's stack_trace. */
export function userMessageOf(error: unknown): string {
  if (error instanceof ConnectorError) return error.message;
  const text = error instanceof Error ? error.message : String(error);
  return `Unexpected error: ${text}`;
}
