import type { FailureType } from "../cdk/protocol.js";

/**
 * What came back from one HTTP exchange, before anyone decided what it means. `json` is false for a body that is
 * not JSON (a CDN's HTML page, a truncated answer); `errorCode` is Descope's, when the body carried one.
 */
export type HttpAnswer =
  | { kind: "network"; reason: string }
  | { kind: "http"; status: number; json: boolean; errorCode?: string; errorDescription?: string; errorMessage?: string };

/**
 * What the client does with an answer:
 * - `ok`: hand the JSON to the caller;
 * - `retry`: try again after a backoff with jitter, up to `max_retries`;
 * - `waitRetryAfter`: pause the whole rate-limit bucket for Descope's Retry-After, slow the bucket down, retry;
 * - `failStream`: stop this stream (the sync goes on with the others);
 * - `failSync`: stop the sync (no later stream can succeed);
 * - `empty`: an answer the stream declared as "nothing here" (e.g. no provider token for this user).
 */
export type Action = "ok" | "retry" | "waitRetryAfter" | "failStream" | "failSync" | "empty";

export interface OutcomeRule {
  answer: string;
  matches(answer: HttpAnswer): boolean;
  action: Action;
  /** The failure type once the action gives up: at once for the fail actions, after the last retry for the others. */
  failureType?: FailureType;
}

/**
 * An answer a stream expects for some requests and reads as "nothing here" rather than a failure, e.g. the 404
 * for a user without a stored provider token. Declared next to the stream, passed with its requests, and matched
 * only where the table says "declared by the stream" (never for 401/403, 429 or retryable statuses).
 */
export interface DeclaredException {
  /** What the answer means, in the stream's words; it is what the stream and its logs get back. */
  meaning: string;
  statuses: readonly number[];
  /** When set, only answers whose Descope `errorDescription` or `errorMessage` matches count. */
  description?: RegExp;
}

/** Descope's rate-limit error codes (docs/descope-api-notes.md §0.1 item 9): either one means "rate limited", whatever the status. */
export const RATE_LIMIT_ERROR_CODES: ReadonlySet<string> = new Set(["E130429", "E170429"]);

const http = (test: (answer: Extract<HttpAnswer, { kind: "http" }>) => boolean) => (answer: HttpAnswer) => answer.kind === "http" && test(answer);
const is2xx = (status: number) => status >= 200 && status < 300;

/** The one table from HTTP outcome to action, for every request the connector sends. The first matching row wins. */
export const OUTCOMES: readonly OutcomeRule[] = [
  { answer: "network error, reset or timeout", matches: (a) => a.kind === "network", action: "retry", failureType: "transient_error" },
  {
    answer: "429, or Descope error code E130429/E170429 with any status",
    matches: http((a) => a.status === 429 || RATE_LIMIT_ERROR_CODES.has(a.errorCode ?? "")),
    action: "waitRetryAfter",
    failureType: "transient_error",
  },
  { answer: "2xx with a JSON body", matches: http((a) => is2xx(a.status) && a.json), action: "ok" },
  { answer: "2xx with truncated or malformed JSON", matches: http((a) => is2xx(a.status)), action: "retry", failureType: "transient_error" },
  {
    answer: "408, 5xx (Cloudflare 52x included)",
    matches: http((a) => a.status === 408 || (a.status >= 500 && a.status < 600)),
    action: "retry",
    failureType: "transient_error",
  },
  { answer: "401: credentials refused", matches: http((a) => a.status === 401), action: "failSync", failureType: "config_error" },
  { answer: "403: the key lacks a permission", matches: http((a) => a.status === 403), action: "failStream", failureType: "config_error" },
  { answer: "declared by the stream for this request", matches: () => false, action: "empty" },
  { answer: "any other answer (other 4xx, 1xx, 3xx)", matches: () => true, action: "failStream", failureType: "system_error" },
];

const DECLARED_ROW = OUTCOMES.findIndex((rule) => rule.action === "empty");

export interface Outcome {
  rule: OutcomeRule;
  /** The stream's exception, for the `empty` row. */
  exception?: DeclaredException;
}

/** Looks the answer up in OUTCOMES; the stream's declared exceptions fill the "declared by the stream" row. */
export function classify(answer: HttpAnswer, exceptions: readonly DeclaredException[] = []): Outcome {
  for (const [row, rule] of OUTCOMES.entries()) {
    if (row === DECLARED_ROW) {
      const exception = answer.kind === "http" ? exceptions.find((declared) => declares(declared, answer)) : undefined;
      if (exception) return { rule, exception };
    } else if (rule.matches(answer)) {
      return { rule };
    }
  }
  throw new Error("unreachable: the last outcome row matches every answer");
}

function declares(exception: DeclaredException, answer: Extract<HttpAnswer, { kind: "http" }>): boolean {
  const words = [answer.errorDescription, answer.errorMessage].filter(Boolean).join(" ");
  return exception.statuses.includes(answer.status) && (!exception.description || exception.description.test(words));
}
