/**
 * The HTTP server: one pipeline every API request goes through, in this order —
 * request log → onRequest listeners → latency → injected fault → auth → route → rate limit → handler.
 * Faults come before auth because they stand for the network and the CDN in front of Descope.
 * `/__emulator/*` (admin.ts) bypasses all of it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { firstUnknownField } from "./accepted-fields.js";
import { handleAdminRequest, ADMIN_PREFIX } from "./admin.js";
import { DescopeError, ErrorCode, invalidRequest, rateLimited } from "./descope-error.js";
import { FaultQueue, type FaultKind } from "./faults.js";
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimit } from "./rate-limiter.js";
import type { HandlerOptions, ParsedRequest, RateLimitBucket, Route } from "./route.js";
import { EmulatorStore } from "./store.js";
import { accessKeyRoutes } from "./handlers/access-keys.js";
import { analyticsRoutes } from "./handlers/analytics.js";
import { auditRoutes } from "./handlers/audit.js";
import { customAttributeRoutes } from "./handlers/custom-attributes.js";
import { groupRoutes } from "./handlers/groups.js";
import { licenseRoutes } from "./handlers/license.js";
import { loginHistoryRoutes } from "./handlers/login-history.js";
import { permissionRoutes } from "./handlers/permissions.js";
import { providerTokenRoutes } from "./handlers/provider-tokens.js";
import { roleRoutes } from "./handlers/roles.js";
import { sideEffectRoutes } from "./handlers/side-effects.js";
import { ssoApplicationRoutes } from "./handlers/sso-applications.js";
import { tenantRoutes } from "./handlers/tenants.js";
import { testUserRoutes } from "./handlers/test-users.js";
import { userRoutes } from "./handlers/users.js";
import { authzRelationRoutes } from "./handlers/authz-relations.js";
import type { OptionalFeature } from "./handlers/feature-gate.js";
import { flowRoutes } from "./handlers/flows.js";
import { inboundAppRoutes } from "./handlers/inbound-apps.js";
import { outboundAppRoutes } from "./handlers/outbound-apps.js";
import { tenantSsoSettingsRoutes } from "./handlers/tenant-sso-settings.js";
import { DEFAULT_SSO_CONFIGS_PER_TENANT } from "./seed-access.js";
import { usersLoadRoutes } from "./handlers/users-load.js";

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  projectId?: string;
  managementKey?: string;
  seed?: number;
  users?: number;
  testUsers?: number;
  tenants?: number;
  auditEvents?: number;
  /** How many of `users` share one createdTime = modifiedTime second (a bulk import), to exercise same-second paging. */
  bulkImportUsers?: number;
  /** `false` disables rate limiting; otherwise overrides per bucket. */
  rateLimits?: false | Partial<Record<RateLimitBucket, RateLimit>>;
  /** Delay before every API request is handled. */
  latencyMs?: number;
  /**
   * Runs Descope's clock faster for benchmarks, like the connector's SOURCE_DESCOPE_TIME_SCALE: rate-limit windows
   * and latency are given in Descope's units and last `timeScale` times as long (0.01: a minute in 600 ms), and
   * Retry-After counts unscaled seconds, so a client scaled the same way sees Descope's numbers. Default 1.
   */
  timeScale?: number;
  /** `false`: every provider-token call fails as when "Manage tokens from provider" is off. */
  providerTokenManagement?: boolean;
  /** Answer login history as `{"usersAuthHistory": [...]}` (the docs' shape) instead of a bare array. */
  historyWrapper?: boolean;
  /** Answer groups as `{"groups": [...]}` (the OpenAPI shape) instead of a bare array. */
  groupsWrapper?: boolean;
  /**
   * User search ignores `sort` and answers in userId order, as a deployment might: the sort fields are not
   * documented (docs/descope-api-notes.md §4.1, open question 3).
   */
  ignoreUserSort?: boolean;
  /** User search answers 400 (a Descope error naming the field) to any body with `sort`, as a gateway that refuses it would. */
  rejectUserSort?: boolean;
  /** User search `from*Time` is strictly after (and `to*Time` at or before), as go-sdk PR #822 says the backend does. */
  exclusiveUserTimeBounds?: boolean;
  /** This many of `users` (the oldest) lack `createdTime` and `modifiedTime`, as protojson leaves zero values out. */
  usersWithoutTimes?: number;
  /** A faulty backend: one user in N (by id) is silently left out of user-search pages but still counted in `total`. */
  dropUsersFromPages?: number;
  /** Include the audit record `ID` (default true). */
  auditIds?: boolean;
  /**
   * The name the audit record ID travels under: `ID` (default; the docs/OpenAPI) or `id`. No SDK maps the field,
   * so its wire name is unverified (docs/descope-api-notes.md §5, open question 7).
   */
  auditIdField?: "ID" | "id";
  /** Audit search `from` is strictly after ("newer than", go/node comments) instead of inclusive (docs/descope-api-notes.md §0.1 item 2). */
  exclusiveAuditFrom?: boolean;
  /** Audit search `to` is strictly before ("older than") instead of inclusive. */
  exclusiveAuditTo?: boolean;
  /** Audit search answers newest first whatever `oldestFirst` says: no SDK sends it (docs/descope-api-notes.md §0.1 item 3). */
  ignoreAuditOldestFirst?: boolean;
  /**
   * 400 naming the first request field an endpoint does not accept, as Descope's gateway does (docs/descope-api-notes.md §0.1
   * item 4); the accepted fields per endpoint are in accepted-fields.ts.
   */
  rejectUnknownFields?: boolean;
  /**
   * Every unfriendly behaviour the real API may have, at once (STRICT_SWITCHES); options given explicitly win, so
   * `{ strict: true, exclusiveAuditFrom: false }` is strict but for one switch.
   */
  strict?: boolean;
  /** No tenants, roles, permissions, groups, SSO apps, access keys or custom attributes; users stay. */
  emptyProject?: boolean;
  /** The key authenticates but lacks permission: every API call answers 403. */
  keyWithoutPermission?: boolean;
  /**
   * SSO configurations per tenant, cycled over the tenants (default [0, 1, 2]: tenants with none, one and two).
   * Each configuration brings its own groups, and group ids repeat across a tenant's configurations.
   */
  ssoConfigsPerTenant?: number[];
  /** Features the project does not use: their endpoints answer 400 "… is not enabled for this project". */
  disabledFeatures?: OptionalFeature[];
  /** `POST /v2/mgmt/thirdparty/apps/load` is a 404; only the older `GET /v1/...` form answers. */
  inboundAppsV1Only?: boolean;
  /** Third-party app and consent pages hold at most this many rows, whatever `limit` asked for. */
  thirdPartyMaxPageSize?: number;
  /**
   * Analytics search answers 400 to a window (`to` − `from`, in whole days rounded down) longer than this many
   * days, as a deployment with a cap on one answer might (docs/descope-api-notes.md §0.1 item 14). Unset: no cap.
   */
  analyticsMaxDaysPerRequest?: number;
  /**
   * A role-scoped key (docs/descope-api-notes.md §0.1 item 7): these paths answer 403 with Descope's error body to the
   * authenticated key, every other path works.
   */
  forbiddenPaths?: string[];
  /** `'fail'`: `GET /v1/mgmt/license` answers 404, as a deployment without the handshake would. Default `'ok'`. */
  licenseHandshake?: "ok" | "fail";
  /** The clock for seeded times, mutations, the audit/analytics windows and rate-limit windows. Epoch ms. */
  now?: () => number;
}

export interface RequestLogEntry extends ParsedRequest {
  /** Status sent; 0 while unanswered (or forever, for a request that hung). */
  status: number;
  /** Epoch ms, from the emulator clock, when the request arrived. */
  at: number;
}

/** Called before each API request is handled; may be async (the request waits for it). */
export type RequestListener = (request: RequestLogEntry) => void | Promise<void>;

export interface Emulator {
  readonly url: string;
  readonly projectId: string;
  readonly managementKey: string;
  readonly store: EmulatorStore;
  /** Every API request, oldest first (admin requests excluded). Authorization is never recorded. */
  readonly requests: RequestLogEntry[];
  readonly faults: FaultQueue;
  /** 429s answered by the rate limiter, per bucket. */
  readonly rateLimitHits: Readonly<Record<RateLimitBucket, number>>;
  /** Returns a function that removes the listener. */
  onRequest(listener: RequestListener): () => void;
  /** Clears the request log, pending faults and rate-limit windows and counters; the store is kept. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * What `strict: true` turns on: every switch for a behaviour the real API plausibly has and a client must survive.
 * Not here: alternative response shapes the SDKs would not parse (the history and groups wrappers), and sizes.
 * A new unfriendly switch is one line here, plus its row in README.md.
 */
export const STRICT_SWITCHES: Readonly<EmulatorOptions> = {
  exclusiveAuditFrom: true,
  exclusiveAuditTo: true,
  ignoreAuditOldestFirst: true,
  auditIdField: "id",
  rejectUnknownFields: true,
  ignoreUserSort: true,
  rejectUserSort: true,
  exclusiveUserTimeBounds: true,
  usersWithoutTimes: 5,
};

const ROUTES: Route[] = [
  ...userRoutes,
  ...testUserRoutes,
  ...usersLoadRoutes,
  ...loginHistoryRoutes,
  ...providerTokenRoutes,
  ...auditRoutes,
  ...analyticsRoutes,
  ...tenantRoutes,
  ...roleRoutes,
  ...permissionRoutes,
  ...accessKeyRoutes,
  ...ssoApplicationRoutes,
  ...groupRoutes,
  ...customAttributeRoutes,
  ...tenantSsoSettingsRoutes,
  ...inboundAppRoutes,
  ...outboundAppRoutes,
  ...flowRoutes,
  ...authzRelationRoutes,
  ...licenseRoutes,
  ...sideEffectRoutes,
];
const ROUTES_BY_KEY = new Map(ROUTES.map((route) => [`${route.method} ${route.path}`, route]));
/** `METHOD path` of every endpoint served, as accepted-fields.ts keys them. */
export const ROUTE_KEYS: readonly string[] = [...ROUTES_BY_KEY.keys()];

/** A 28-character project id: the SDKs then derive no region and keep the base URL as given. */
const DEFAULT_PROJECT_ID = "P2emulatorProject00000000000";
const DEFAULT_MANAGEMENT_KEY = "K2emulator-management-key-secret";

interface RawReply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): RawReply {
  return { status, body: JSON.stringify(body), headers: { "Content-Type": "application/json", ...headers } };
}

function errorReply(error: DescopeError): RawReply {
  return jsonReply(error.status, error.body, error.headers);
}

function send(response: ServerResponse, reply: RawReply): void {
  response.writeHead(reply.status, { ...reply.headers, "Content-Length": Buffer.byteLength(reply.body) });
  response.end(reply.body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function headersWithoutAuthorization(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name !== "authorization" && value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** A request naming a field its endpoint does not accept fails as a whole, like Descope's gateway. */
function rejectUnknownFields(request: ParsedRequest): void {
  const { body } = request;
  const fields =
    request.method === "GET" ? Object.keys(request.query) : body && typeof body === "object" && !Array.isArray(body) ? Object.keys(body) : [];
  const unknown = firstUnknownField(`${request.method} ${request.path}`, fields);
  if (unknown !== undefined)
    throw new DescopeError(400, ErrorCode.badRequest, "Bad request", `unknown field "${unknown}" in the request to ${request.path}`);
}

function rawHead(status: number, headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return [`HTTP/1.1 ${status} OK`, ...lines, "", ""].join("\r\n");
}

export async function startEmulator(requested: EmulatorOptions = {}): Promise<Emulator> {
  // An option left undefined (a CLI flag not given) does not turn a strict switch off.
  const given = Object.fromEntries(Object.entries(requested).filter(([, value]) => value !== undefined)) as EmulatorOptions;
  const options: EmulatorOptions = requested.strict ? { ...STRICT_SWITCHES, ...given } : requested;
  const now = options.now ?? Date.now;
  const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
  const managementKey = options.managementKey ?? DEFAULT_MANAGEMENT_KEY;
  const expectedAuthorization = `Bearer ${projectId}:${managementKey}`;
  const store = new EmulatorStore({
    now,
    projectId,
    seed: options.seed ?? 1,
    users: options.users ?? 200,
    testUsers: options.testUsers ?? 20,
    tenants: options.tenants ?? 5,
    auditEvents: options.auditEvents ?? 500,
    bulkImportUsers: options.bulkImportUsers ?? 0,
    usersWithoutTimes: options.usersWithoutTimes ?? 0,
    auditIds: options.auditIds ?? true,
    emptyProject: options.emptyProject ?? false,
    ssoConfigsPerTenant: options.ssoConfigsPerTenant ?? DEFAULT_SSO_CONFIGS_PER_TENANT,
  });
  const handlerOptions: HandlerOptions = {
    providerTokenManagement: options.providerTokenManagement ?? true,
    historyWrapper: options.historyWrapper ?? false,
    groupsWrapper: options.groupsWrapper ?? false,
    ignoreUserSort: options.ignoreUserSort ?? false,
    disabledFeatures: options.disabledFeatures ?? [],
    inboundAppsV1Only: options.inboundAppsV1Only ?? false,
    thirdPartyMaxPageSize: options.thirdPartyMaxPageSize,
    analyticsMaxDaysPerRequest: options.analyticsMaxDaysPerRequest,
    auditIdField: options.auditIdField ?? "ID",
    exclusiveAuditFrom: options.exclusiveAuditFrom ?? false,
    exclusiveAuditTo: options.exclusiveAuditTo ?? false,
    ignoreAuditOldestFirst: options.ignoreAuditOldestFirst ?? false,
    licenseHandshake: options.licenseHandshake ?? "ok",
    rejectUserSort: options.rejectUserSort ?? false,
    exclusiveUserTimeBounds: options.exclusiveUserTimeBounds ?? false,
    dropUsersFromPages: options.dropUsersFromPages ?? 0,
  };
  const timeScale = options.timeScale ?? 1;
  const forbiddenPaths = new Set(options.forbiddenPaths ?? []);
  const rateLimiter = new RateLimiter(
    options.rateLimits === false ? false : { ...DEFAULT_RATE_LIMITS, ...options.rateLimits },
    timeScale === 1 ? now : () => now() / timeScale,
  );
  const faults = new FaultQueue();
  const requests: RequestLogEntry[] = [];
  const listeners = new Set<RequestListener>();

  /** Auth, routing, rate limiting and the handler: the emulated Descope itself. */
  function descope(entry: RequestLogEntry, authorization: string | undefined, bodyIsJson: boolean): RawReply {
    try {
      if (authorization !== expectedAuthorization) {
        throw new DescopeError(401, ErrorCode.invalidRequest, "Unauthorized", "invalid or missing management key");
      }
      if (options.keyWithoutPermission || forbiddenPaths.has(entry.path)) {
        throw new DescopeError(403, ErrorCode.invalidRequest, "Forbidden", "the management key lacks permission for this operation");
      }
      const route = ROUTES_BY_KEY.get(`${entry.method} ${entry.path}`);
      if (!route) throw new DescopeError(404, ErrorCode.badRequest, "Not found", `no such endpoint: ${entry.method} ${entry.path}`);
      if (!bodyIsJson) throw invalidRequest("request body is not valid JSON");
      const retryAfterSeconds = rateLimiter.admit(route.bucket);
      if (retryAfterSeconds !== undefined) throw rateLimited(retryAfterSeconds);
      if (options.rejectUnknownFields) rejectUnknownFields(entry);
      const reply = route.handle({ request: entry, store, options: handlerOptions });
      return jsonReply(reply.status ?? 200, reply.body);
    } catch (error) {
      if (error instanceof DescopeError) return errorReply(error);
      const message = error instanceof Error ? error.message : String(error);
      return jsonReply(500, { errorCode: "E000000", errorDescription: "Emulator failure", errorMessage: message });
    }
  }

  /** Sends the reply, or mangles it as the fault dictates; a hang without `ms` sends nothing. */
  async function deliver(
    request: IncomingMessage,
    response: ServerResponse,
    entry: RequestLogEntry,
    fault: FaultKind | undefined,
    reply: () => RawReply,
  ): Promise<void> {
    const socket: Socket = request.socket;
    switch (fault?.kind) {
      case undefined: {
        const sent = reply();
        entry.status = sent.status;
        return send(response, sent);
      }
      case "status": {
        const body = typeof fault.body === "object" ? JSON.stringify(fault.body) : (fault.body ?? "");
        entry.status = fault.status;
        return send(response, { status: fault.status, body, headers: fault.headers ?? {} });
      }
      case "rateLimit": {
        entry.status = 429;
        return send(response, errorReply(rateLimited(fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds)));
      }
      case "truncatedJson": {
        const full = reply();
        const half = full.body.slice(0, Math.floor(full.body.length / 2));
        entry.status = 200;
        socket.end(rawHead(200, { "Content-Type": "application/json", Connection: "close" }) + half);
        return;
      }
      case "reset": {
        const full = reply();
        const half = full.body.slice(0, Math.floor(full.body.length / 2));
        entry.status = 200;
        const head = rawHead(200, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(full.body)) });
        socket.write(head + half, () => socket.resetAndDestroy());
        return;
      }
      case "hang": {
        if (fault.ms === undefined) return; // the client gives up, or close() destroys the socket
        await sleep(fault.ms);
        if (socket.destroyed) return;
        return deliver(request, response, entry, undefined, reply);
      }
    }
  }

  async function handleApiRequest(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    query: Record<string, string>,
    rawBody: string,
  ): Promise<void> {
    let body: unknown;
    let bodyIsJson = true;
    if (rawBody.trim() !== "") {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
        bodyIsJson = false;
      }
    }
    const entry: RequestLogEntry = {
      method: request.method ?? "GET",
      path,
      query,
      body,
      headers: headersWithoutAuthorization(request),
      status: 0,
      at: now(),
    };
    requests.push(entry);
    for (const listener of listeners) await listener(entry);
    if (options.latencyMs) await sleep(options.latencyMs * timeScale);
    const fault = faults.take(path);
    await deliver(request, response, entry, fault, () => descope(entry, request.headers.authorization, bodyIsJson));
  }

  const emulatorControl = {
    store,
    faults,
    requests,
    rateLimitHits: rateLimiter.rejections,
    reset() {
      requests.length = 0;
      faults.clear();
      rateLimiter.reset();
    },
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://emulator");
    const query = Object.fromEntries(url.searchParams);
    readBody(request)
      .then((rawBody) =>
        url.pathname.startsWith(ADMIN_PREFIX)
          ? handleAdminRequest(emulatorControl, request.method ?? "GET", url.pathname, rawBody, response)
          : handleApiRequest(request, response, url.pathname, query, rawBody),
      )
      .catch((error: unknown) => {
        if (!response.headersSent)
          send(response, jsonReply(500, { errorCode: "E000000", errorDescription: "Emulator failure", errorMessage: String(error) }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    ...emulatorControl,
    url: `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`,
    projectId,
    managementKey,
    onRequest(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
