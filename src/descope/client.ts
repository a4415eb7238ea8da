import type { Dispatcher } from "undici";
import { configError, ConnectorError, transientError } from "../cdk/errors.js";
import { RateBudget, type Sleep } from "./rate-budget.js";

/** Descope's rate-limit buckets (reference §3.3): user search is limited per project, audit is very tight. */
export type Bucket = "userSearch" | "audit" | "management";

export interface DescopeClientOptions {
  projectId: string;
  managementKey: string;
  /** Overrides the URL derived from the project ID (custom domains, the emulator). */
  baseUrl?: string;
  requestTimeoutMs: number;
  maxRetries: number;
  requestsPerMinute: Record<Bucket, number>;
  maxConnections: number;
  /** Multiplies every wait (backoff, Retry-After, rate windows); 1 in production, smaller in tests. */
  timeScale?: number;
  log: { info(message: string): void; warn(message: string): void };
  onRateLimited?: (retryAtMs: number) => void;
}

/** A non-retryable answer from Descope, with its error code and status, for callers that treat some as data. */
export class DescopeApiError extends ConnectorError {
  constructor(
    message: string,
    failureType: ConnectorError["failureType"],
    readonly status: number,
    readonly errorCode: string | undefined,
    readonly errorDescription: string | undefined,
    options: { endsSync?: boolean } = {},
  ) {
    super(message, failureType, options);
    this.name = "DescopeApiError";
  }
}

/** Statuses worth another try: timeouts, overload and the Cloudflare codes the official SDKs retry. */
const RETRYABLE_STATUSES = new Set([408, 500, 502, 503, 504, 520, 521, 522, 524, 530]);
const DEFAULT_RETRY_AFTER_S = 60;
const MAX_RETRY_AFTER_S = 600;
const MAX_BACKOFF_MS = 60_000;
const WINDOW_SAFETY_FACTOR = 1.03;

/** The SDKs' rule: 32-character project IDs carry their region in characters 1–4. */
export function baseUrlForProject(projectId: string): string {
  return projectId.length >= 32 ? `https://api.${projectId.slice(1, 5)}.descope.com` : "https://api.descope.com";
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Checks a base URL; plain http would send the management key in clear text, so only loopback may use it. */
export function validatedBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`Config field "base_url" is not a valid URL: ${JSON.stringify(raw)}.`);
  }
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    throw configError(`Config field "base_url" must use https:// (plain http:// is allowed only for localhost/127.0.0.1): ${raw}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw configError(`Config field "base_url" must be an https:// URL: ${raw}.`);
  }
  return url.origin + url.pathname.replace(/\/+$/, "");
}

interface Attempt {
  status: number;
  retryAfterS?: number;
  reason: string;
}

/**
 * The one place that talks HTTP to Descope: authentication, keep-alive connections, per-bucket pacing, retries
 * with capped exponential backoff and jitter, Retry-After on 429, and Descope error bodies turned into messages
 * a user can act on. It only ever reads: nothing here knows a side-effecting endpoint.
 */
export class DescopeClient {
  readonly baseUrl: string;
  /** undici loads on the first request: it is the slowest module to load, and spec and discover never send one. */
  private http: Promise<{ request: typeof import("./http.js").request; dispatcher: Dispatcher }> | undefined;
  private readonly headers: Record<string, string>;
  private readonly budgets: Record<Bucket, RateBudget>;
  private readonly sleep: Sleep;
  private rateLimitedLogged = false;

  constructor(private readonly options: DescopeClientOptions) {
    this.baseUrl = validatedBaseUrl(options.baseUrl ?? baseUrlForProject(options.projectId));
    const scale = options.timeScale ?? 1;
    this.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms * scale)));
    const scaledNow = (): number => Date.now() / scale;
    // A window slightly longer than Descope's minute absorbs the gap between when we send and when it counts.
    const budget = (bucket: Bucket): RateBudget =>
      new RateBudget(bucket, options.requestsPerMinute[bucket], 60_000 * WINDOW_SAFETY_FACTOR, scaledNow, this.sleep);
    this.budgets = { userSearch: budget("userSearch"), audit: budget("audit"), management: budget("management") };
    this.headers = {
      authorization: `Bearer ${options.projectId}:${options.managementKey}`,
      "content-type": "application/json",
      "x-descope-project-id": options.projectId,
      "x-descope-sdk-name": "airbyte-source-descope",
    };
  }

  post(path: string, body: unknown, bucket: Bucket): Promise<unknown> {
    return this.send("POST", path, JSON.stringify(body), bucket);
  }

  get(path: string, query: Record<string, string>, bucket: Bucket): Promise<unknown> {
    const search = new URLSearchParams(query).toString();
    return this.send("GET", search ? `${path}?${search}` : path, undefined, bucket);
  }

  async close(): Promise<void> {
    if (this.http) await (await this.http).dispatcher.close();
  }

  private connect(): Promise<{ request: typeof import("./http.js").request; dispatcher: Dispatcher }> {
    this.http ??= import("./http.js").then(({ Agent, request }) => ({
      request,
      dispatcher: new Agent({ keepAliveTimeout: 30_000, connections: this.options.maxConnections }),
    }));
    return this.http;
  }

  private async send(method: "GET" | "POST", path: string, body: string | undefined, bucket: Bucket): Promise<unknown> {
    const scale = this.options.timeScale ?? 1;
    const budget = this.budgets[bucket];
    let last: Attempt | undefined;
    for (let attempt = 0; attempt <= this.options.maxRetries; attempt++) {
      await budget.take();
      const result = await this.attempt(method, path, body);
      if (!("status" in result)) {
        this.rateLimitedLogged = false;
        return result.json;
      }
      last = result;
      if (attempt === this.options.maxRetries) break;
      if (result.status === 429) {
        const waitS = Math.min(result.retryAfterS ?? DEFAULT_RETRY_AFTER_S, MAX_RETRY_AFTER_S);
        const retryAt = Date.now() + waitS * 1000 * scale;
        budget.pauseUntil(Date.now() / scale + waitS * 1000);
        this.options.onRateLimited?.(retryAt);
        if (!this.rateLimitedLogged) {
          this.options.log.warn(`Descope rate limit reached on ${bucket} requests; waiting ${waitS}s as Descope asks, then retrying.`);
          this.rateLimitedLogged = true;
        }
        continue;
      }
      const backoffMs = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
      const delayMs = backoffMs / 2 + Math.random() * (backoffMs / 2);
      this.options.log.info(`${method} ${pathOnly(path)}: ${result.reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 2} of ${this.options.maxRetries + 1}).`);
      await this.sleep(delayMs);
    }
    throw transientError(
      `Descope ${method} ${pathOnly(path)} still failing after ${this.options.maxRetries + 1} attempts: ${last?.reason}. ` +
        `The sync stopped after its last checkpoint; run it again to resume.`,
    );
  }

  /** One HTTP exchange: the parsed JSON, or a retryable failure; non-retryable answers throw. */
  private async attempt(method: string, path: string, body: string | undefined): Promise<{ json: unknown } | Attempt> {
    let statusCode: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    const { request, dispatcher } = await this.connect();
    try {
      const response = await request(this.baseUrl + path, {
        method,
        headers: this.headers,
        body,
        dispatcher,
        headersTimeout: this.options.requestTimeoutMs,
        bodyTimeout: this.options.requestTimeoutMs,
      });
      statusCode = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      return { status: 0, reason: `network error (${networkReason(error)})` };
    }
    if (statusCode >= 200 && statusCode < 300) {
      try {
        return { json: JSON.parse(text) };
      } catch {
        return { status: statusCode, reason: `incomplete or malformed JSON in a ${statusCode} response (${text.length} bytes)` };
      }
    }
    const descope = parseDescopeError(text);
    if (statusCode === 429) {
      return { status: 429, retryAfterS: parseRetryAfter(headers["retry-after"]), reason: `HTTP 429 rate limited${describe(descope)}` };
    }
    if (RETRYABLE_STATUSES.has(statusCode)) return { status: statusCode, reason: `HTTP ${statusCode}${describe(descope)}` };
    if (statusCode === 401 || statusCode === 403) {
      const what = statusCode === 401 ? "rejected the project ID and management key" : "refused this management key access";
      throw new DescopeApiError(
        `Descope ${what} (HTTP ${statusCode}${describe(descope)}) on ${method} ${pathOnly(path)}. ` +
          `Check "project_id" and "management_key" in the config, and that the key is active and has permission for this project.`,
        "config_error",
        statusCode,
        descope?.errorCode,
        descope?.errorDescription,
        { endsSync: true },
      );
    }
    throw new DescopeApiError(
      `Descope answered HTTP ${statusCode}${describe(descope)} to ${method} ${pathOnly(path)}.`,
      "system_error",
      statusCode,
      descope?.errorCode,
      descope?.errorDescription,
    );
  }
}

interface DescopeErrorBody {
  errorCode?: string;
  errorDescription?: string;
  errorMessage?: string;
}

function parseDescopeError(text: string): DescopeErrorBody | undefined {
  try {
    const body = JSON.parse(text) as DescopeErrorBody;
    return body && typeof body === "object" && (body.errorCode || body.errorDescription) ? body : undefined;
  } catch {
    return undefined; // HTML from a CDN, or nothing at all
  }
}

function describe(error: DescopeErrorBody | undefined): string {
  if (!error) return "";
  const parts = [error.errorCode, error.errorDescription, error.errorMessage].filter(Boolean);
  return parts.length ? `: ${parts.join(" — ")}` : "";
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function networkReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** Paths are logged without their query: provider-token queries carry login IDs. */
function pathOnly(path: string): string {
  return path.split("?")[0]!;
}

