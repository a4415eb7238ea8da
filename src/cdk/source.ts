import type { Logger } from "./output.js";
import type { ConnectorSpecification, JsonObject } from "./protocol.js";
import type { Stream } from "./stream.js";

/** What the engine offers a source while it works: logging, and a way to say "rate limited, waiting". */
export interface Runtime {
  log: Logger;
  /** Reports that requests are paused until `retryAtMs` (epoch ms) because of the API's rate limit. */
  rateLimited(retryAtMs: number): void;
  /** Registers cleanup (closing connection pools) to run once the command has finished. */
  onClose(cleanup: () => Promise<void> | void): void;
}

/** A connection that works, with an optional note for the user (e.g. streams this key cannot read). */
export interface CheckResult {
  message?: string;
}

export interface Source<Config extends JsonObject = JsonObject> {
  spec(): ConnectorSpecification;
  /** Throws a config error when the credentials or settings are wrong; returns when the connection works. */
  check(config: Config, runtime: Runtime): Promise<void | CheckResult>;
  /**
   * The streams for this config. May call the API (e.g. to add a project's custom attribute columns to a schema)
   * and so may be asynchronous; `spec` never needs it.
   */
  streams(config: Config, runtime: Runtime): Stream[] | Promise<Stream[]>;
}
