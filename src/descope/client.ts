import type { Dispatcher } from "undici";
import { configError, ConnectorError, transientError } from "../cdk/errors.js";
import { classify, type DeclaredException, type HttpAnswer, type Outcome, type OutcomeRule } from "./outcomes.js";
import { budgetLimits, Pace, type PaceLimits, perIpLimits, type Sleep } from "./rate-budget.js";

/**
 * Descope's rate-limit buckets (docs/descope-api-notes.md §0.1 item 9, §3.3): user search is limited per project (200/60 s,
 * shared with the customer's own application), audit search to 10 a minute, the rest per IP address.
 */
export type Bucket = "userSearch" | "audit" | "management";

export interface DescopeClientOptions {
  projectId: string;
  managementKey: string;
  /** Overrides the URL derived from the project ID (custom domains, the emulator). */
  baseUrl?: string;
  requestTimeoutMs: number;
  maxRetries: number;
  /** Budgets for user search and audit (a 429 lowers them); for management, the ceiling its pace may reach. */
  requestsPerMinute: Record<Bucket, number>;
  maxConnections: number;
  /** Multiplies every wait (backoff, Retry-After, rate windows); 1 in production, smaller in tests. */
  timeScale?: number;
  log: { info(message: string): void; warn(message: string): void };
  onRateLimited?: (retryAtMs: number) => void;
}

export interface RequestOptions {
  /** Answers this request's stream reads as "nothing here" (the table's `empty` row). */
  exceptions?: readonly DeclaredException[];
}

/** What a request resolves to when the answer was one of the exceptions its stream declared. */
export class EmptyAnswer {
  constructor(
    readonly exception: DeclaredException,
    readonly status: number,
    readonly errorCode: string | undefined,
    /** "HTTP 400: E011003 — Request is invalid — flows is not enabled", for log lines: Descope's own words. */
    readonly detail: string,
  ) {}
}

/** What Descope answered to a request that failed, for messages and for callers that look at the status. */
export interface ApiFailure {
  status: number;
  errorCode?: string;
  errorDescription?: string;
  /** `METHOD /path`, without the query (provider-token queries carry login IDs). */
  endpoint: string;
  /** "HTTP 403: E011003 — Forbidden" */
  detail: string;
}

/** A non-retryable answer from Descope, with its status, error code and the endpoint that gave it. */
export class DescopeApiError extends ConnectorError {
  constructor(
    message: string,
    failureType: ConnectorError["failureType"],
    readonly failure: ApiFailure,
    options: { endsSync?: boolean } = {},
  ) {
    super(message, failureType, options);
    this.name = "DescopeApiError";
  }

  get status(): number {
    return this.failure.status;
  }

  get errorCode(): string | undefined {
    return this.failure.errorCode;
  }

  get endpoint(): string {
    return this.failure.endpoint;
  }
}

const LICENSE_PATH = "/v1/mgmt/license";
/** The handshake is optional: a slow answer must not hold the sync for a whole request timeout. */
const LICENSE_TIMEOUT_MS = 10_000;
const DEFAULT_RETRY_AFTER_S = 60;
const MAX_RETRY_AFTER_S = 600;
const MAX_BACKOFF_MS = 60_000;

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

/** One HTTP exchange, as the outcome table sees it, with what the actions need. */
interface Exchange {
  answer: HttpAnswer;
  json?: unknown;
  retryAfterS?: number;
  error?: DescopeErrorBody;
  /** For logs and messages: "HTTP 503: E… — …", "network error (ECONNRESET)". */
  reason: string;
}

/** Requests and 429s per bucket, and the fastest pace since the last mark. */
export interface BucketStats {
  requests: number;
  rateLimited: number;
  peakPerMinute: number;
}

/**
 * The one place that talks HTTP to Descope: authentication, the license handshake, keep-alive connections,
 * per-bucket pacing, and every answer looked up in the one outcome table (outcomes.ts): retries with capped
 * exponential backoff and jitter, Retry-After on rate limits, Descope error bodies turned into messages a user
 * can act on. It only ever reads: nothing here knows a side-effecting endpoint.
 */
export class DescopeClient {
  readonly baseUrl: string;
  /** undici loads on the first request: it is the slowest module to load, and spec and discover never send one. */
  private http: Promise<{ request: typeof import("./http.js").request; dispatcher: Dispatcher }> | undefined;
  private readonly headers: Record<string, string>;
  private readonly paces: Record<Bucket, Pace>;
  private readonly stats: Record<Bucket, BucketStats>;
  private readonly sleep: Sleep;
  private license: Promise<Record<string, string>> | undefined;
  private rateLimitedLogged = false;

  constructor(private readonly options: DescopeClientOptions) {
    this.baseUrl = validatedBaseUrl(options.baseUrl ?? baseUrlForProject(options.projectId));
    const scale = options.timeScale ?? 1;
    this.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms * scale)));
    const scaledNow = (): number => Date.now() / scale;
    const pace = (bucket: Bucket, limits: PaceLimits): Pace => new Pace(bucket, limits, scaledNow, this.sleep);
    const perMinute = options.requestsPerMinute;
    this.paces = {
      userSearch: pace("userSearch", budgetLimits(perMinute.userSearch)),
      audit: pace("audit", budgetLimits(perMinute.audit)),
      management: pace("management", perIpLimits(perMinute.management)),
    };
    this.stats = { userSearch: zeroStats(), audit: zeroStats(), management: zeroStats() };
    this.headers = {
      authorization: `Bearer ${options.projectId}:${options.managementKey}`,
      "content-type": "application/json",
      "x-descope-project-id": options.projectId,
      "x-descope-sdk-name": "airbyte-source-descope",
    };
  }

  /** Resolves with the JSON answer, or an EmptyAnswer when the answer is one of `options.exceptions`. */
  post(path: string, body: unknown, bucket: Bucket, options: RequestOptions = {}): Promise<unknown> {
    return this.send("POST", path, JSON.stringify(body), bucket, options);
  }

  get(path: string, query: Record<string, string>, bucket: Bucket, options: RequestOptions = {}): Promise<unknown> {
    const search = new URLSearchParams(query).toString();
    return this.send("GET", search ? `${path}?${search}` : path, undefined, bucket, options);
  }

  /** Counters per bucket since the client was made; starts a new peak-pace measurement. */
  markRates(): Record<Bucket, BucketStats> {
    const mark = structuredClone(this.stats);
    for (const [bucket, stats] of Object.entries(this.stats)) stats.peakPerMinute = this.paces[bucket as Bucket].perMinute;
    return mark;
  }

  /** One line per bucket used since `mark`, e.g. "management: 1,204 requests (3 rate-limited), pace 97/min (peak 1,600/min)". */
  rateSummary(mark: Record<Bucket, BucketStats>): string[] {
    return (Object.keys(this.stats) as Bucket[]).flatMap((bucket) => {
      const requests = this.stats[bucket].requests - mark[bucket].requests;
      if (requests === 0) return [];
      const rateLimited = this.stats[bucket].rateLimited - mark[bucket].rateLimited;
      const pace = `${count(Math.round(this.paces[bucket].perMinute))}/min`;
      const peak = `${count(Math.round(this.stats[bucket].peakPerMinute))}/min`;
      return [`${bucket}: ${count(requests)} requests (${count(rateLimited)} rate-limited), pace ${pace}${peak === pace ? "" : ` (peak ${peak})`}`];
    });
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

  /**
   * The SDKs' handshake (docs/descope-api-notes.md §0.1 item 6): `GET /v1/mgmt/license` once, then `x-descope-license: <tier>` on
   * every management request so Descope's CDN applies the customer's rate-limit tier. It is only a hint: any
   * failure (an older deployment without the endpoint, a key without access, a timeout) leaves the header out.
   */
  private licenseHeaders(): Promise<Record<string, string>> {
    this.license ??= (async () => {
      const timeoutMs = Math.min(LICENSE_TIMEOUT_MS, this.options.requestTimeoutMs);
      const { exchange, rule } = await this.pacedExchange("management", "GET", LICENSE_PATH, undefined, this.headers, timeoutMs);
      const tier = (exchange.json as { rateLimitTier?: unknown } | undefined)?.rateLimitTier;
      if (rule.action === "ok" && typeof tier === "string" && tier !== "") return { ...this.headers, "x-descope-license": tier };
      // Refused credentials are the next request's to report, as the config error they are.
      if (rule.action === "failSync") return this.headers;
      this.options.log.info(
        `Descope's license handshake (GET ${LICENSE_PATH}) did not answer with a rate-limit tier (${rule.action === "ok" ? "no rateLimitTier" : exchange.reason}); ` +
          `continuing without the x-descope-license header.`,
      );
      return this.headers;
    })();
    return this.license;
  }

  private async send(method: "GET" | "POST", path: string, body: string | undefined, bucket: Bucket, options: RequestOptions): Promise<unknown> {
    const scale = this.options.timeScale ?? 1;
    const headers = await this.licenseHeaders();
    let last: Exchange | undefined;
    for (let attempt = 0; attempt <= this.options.maxRetries; attempt++) {
      const { exchange, rule, exception } = await this.pacedExchange(
        bucket,
        method,
        path,
        body,
        headers,
        this.options.requestTimeoutMs,
        options.exceptions,
      );
      last = exchange;
      switch (rule.action) {
        case "ok":
          this.rateLimitedLogged = false;
          return exchange.json;
        case "empty":
          return new EmptyAnswer(
            exception!,
            httpStatus(exchange),
            exchange.error?.errorCode,
            `HTTP ${httpStatus(exchange)}${describe(exchange.error)}`,
          );
        case "failStream":
        case "failSync":
          throw this.failure(rule, exchange, `${method} ${pathOnly(path)}`);
        case "waitRetryAfter": {
          if (attempt === this.options.maxRetries) break;
          const waitS = retryAfterS(exchange);
          this.options.onRateLimited?.(Date.now() + waitS * 1000 * scale);
          if (!this.rateLimitedLogged) {
            this.options.log.warn(`Descope rate limit reached on ${bucket} requests; waiting ${waitS}s as Descope asks, then retrying.`);
            this.rateLimitedLogged = true;
          }
          break;
        }
        case "retry": {
          if (attempt === this.options.maxRetries) break;
          const backoffMs = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
          const delayMs = backoffMs / 2 + Math.random() * (backoffMs / 2);
          this.options.log.info(
            `${method} ${pathOnly(path)}: ${exchange.reason}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 2} of ${this.options.maxRetries + 1}).`,
          );
          await this.sleep(delayMs);
          break;
        }
      }
    }
    throw transientError(
      `Descope ${method} ${pathOnly(path)} still failing after ${this.options.maxRetries + 1} attempts: ${last?.reason}. ` +
        `The sync stopped after its last checkpoint; run it again to resume.`,
    );
  }

  /** One exchange in its bucket's pace, counted, told back to the pace, and looked up in the outcome table. */
  private async pacedExchange(
    bucket: Bucket,
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
    exceptions?: readonly DeclaredException[],
  ): Promise<{ exchange: Exchange } & Outcome> {
    const pace = this.paces[bucket];
    const stats = this.stats[bucket];
    const ticket = await pace.take();
    stats.requests++;
    stats.peakPerMinute = Math.max(stats.peakPerMinute, pace.perMinute);
    let exchange: Exchange;
    try {
      exchange = await this.exchange(method, path, body, headers, timeoutMs);
    } catch (error) {
      pace.answered(ticket, "failed");
      throw error;
    }
    const outcome = classify(exchange.answer, exceptions);
    const rateLimited = outcome.rule.action === "waitRetryAfter";
    // The pace holds the whole bucket until Retry-After, and learns the limit from the refusal.
    pace.answered(ticket, rateLimited ? { retryAfterS: retryAfterS(exchange) } : exchange.answer.kind === "http" ? "accepted" : "failed");
    if (rateLimited) stats.rateLimited++;
    return { exchange, ...outcome };
  }

  /** The error for a fail action: what went wrong and what the user can do about it. */
  private failure(rule: OutcomeRule, exchange: Exchange, endpoint: string): DescopeApiError {
    const status = httpStatus(exchange);
    const { errorCode, errorDescription } = exchange.error ?? {};
    const failure: ApiFailure = { status, errorCode, errorDescription, endpoint, detail: `HTTP ${status}${describe(exchange.error)}` };
    const message =
      status === 401
        ? `Descope rejected the project ID and management key (${failure.detail}) on ${endpoint}. ` +
          `Check "project_id" and "management_key" in the config, and that the key is active and has permission for this project.`
        : status === 403
          ? lacksPermissionMessage(failure)
          : `Descope answered ${failure.detail} to ${endpoint}.`;
    return new DescopeApiError(message, rule.failureType!, failure, { endsSync: rule.action === "failSync" });
  }

  private async exchange(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<Exchange> {
    let statusCode: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    const { request, dispatcher } = await this.connect();
    try {
      const response = await request(this.baseUrl + path, { method, headers, body, dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      statusCode = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (error) {
      const reason = `network error (${networkReason(error)})`;
      return { answer: { kind: "network", reason }, reason };
    }
    let json: unknown;
    let parsed = true;
    try {
      json = JSON.parse(text);
    } catch {
      parsed = false;
    }
    const error = parsed ? descopeError(json) : undefined;
    const is2xx = statusCode >= 200 && statusCode < 300;
    return {
      answer: {
        kind: "http",
        status: statusCode,
        json: parsed,
        errorCode: error?.errorCode,
        errorDescription: error?.errorDescription,
        errorMessage: error?.errorMessage,
      },
      json: is2xx ? json : undefined,
      retryAfterS: parseRetryAfter(responseHeaders["retry-after"]),
      error,
      reason:
        is2xx && !parsed
          ? `incomplete or malformed JSON in a ${statusCode} response (${text.length} bytes)`
          : `HTTP ${statusCode}${statusCode === 429 ? " rate limited" : ""}${describe(error)}`,
    };
  }
}

/**
 * A 403 from a key that authenticates: management keys can be limited to roles (docs/descope-api-notes.md §0.1 item 7), so one
 * endpoint may refuse what the others allow. With the stream and what it reads, the message says what to grant.
 */
function lacksPermissionMessage(failure: ApiFailure, stream?: { name: string; reads: string }): string {
  const needs = stream ? `read ${stream.reads}` : "call it";
  return (
    `${stream ? `Stream "${stream.name}" cannot be read with this management key: ` : ""}Descope refused the key access to ${failure.endpoint} (${failure.detail}). ` +
    `The key authenticates but lacks the permission to ${needs}: management keys can be limited to company, project or tag roles ` +
    `(Company Settings → Management Keys). Give the key in "management_key" a role that can ${needs} in this project` +
    (stream ? `, or deselect "${stream.name}". The other streams are not affected.` : ".")
  );
}

/** The same refusal, told about the stream that met it. */
export function permissionErrorFor(error: DescopeApiError, stream: { name: string; reads: string }): DescopeApiError {
  return new DescopeApiError(lacksPermissionMessage(error.failure, stream), error.failureType, error.failure, { endsSync: error.endsSync });
}

function zeroStats(): BucketStats {
  return { requests: 0, rateLimited: 0, peakPerMinute: 0 };
}

/** The seconds Descope asks us to wait after a 429 (its default when absent), bounded so a bad header cannot stall a sync. */
function retryAfterS(exchange: Exchange): number {
  return Math.min(exchange.retryAfterS ?? DEFAULT_RETRY_AFTER_S, MAX_RETRY_AFTER_S);
}

function httpStatus(exchange: Exchange): number {
  return exchange.answer.kind === "http" ? exchange.answer.status : 0;
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

interface DescopeErrorBody {
  errorCode?: string;
  errorDescription?: string;
  errorMessage?: string;
}

function descopeError(json: unknown): DescopeErrorBody | undefined {
  const body = json as DescopeErrorBody | null;
  return body && typeof body === "object" && (body.errorCode || body.errorDescription) ? body : undefined;
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
