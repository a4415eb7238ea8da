/**
 * Unauthenticated control surface under `/__emulator/` for out-of-process use (demo, Docker tests, benchmarks):
 *   POST /__emulator/users/:id/touch   body: optional user patch   → {user}   (modifiedTime becomes now)
 *   POST /__emulator/users/delete      body: {userIds, bulk?, atMs?} → {audits} (hard delete + audit events)
 *   POST /__emulator/faults            body: a fault as JSON        → {pending}
 *        `matchRegex: "..."` stands for a RegExp `match`; `times: "Infinity"` (or -1) for a permanent fault.
 *   GET  /__emulator/requests                                       → {requests, rateLimitHits}
 *   POST /__emulator/reset                                          → {}  (log, faults, rate limits; not the store)
 * Admin requests are not logged, rate limited or faulted.
 */
import type { ServerResponse } from "node:http";
import type { Fault, FaultQueue } from "./faults.js";
import type { RateLimitBucket } from "./route.js";
import type { RequestLogEntry } from "./server.js";
import type { EmulatorStore } from "./store.js";

export const ADMIN_PREFIX = "/__emulator/";

export interface EmulatorControl {
  store: EmulatorStore;
  faults: FaultQueue;
  requests: RequestLogEntry[];
  rateLimitHits: Readonly<Record<RateLimitBucket, number>>;
  reset(): void;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}

function faultFromJson(json: Record<string, unknown>): Fault {
  const { matchRegex, times, ...rest } = json;
  const fault = { ...rest } as Fault;
  if (typeof matchRegex === "string") fault.match = new RegExp(matchRegex);
  if (times === "Infinity" || times === -1) fault.times = Infinity;
  else if (typeof times === "number") fault.times = times;
  return fault;
}

export async function handleAdminRequest(
  control: EmulatorControl,
  method: string,
  path: string,
  rawBody: string,
  response: ServerResponse,
): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = rawBody.trim() ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
  } catch {
    return reply(response, 400, { error: "body is not valid JSON" });
  }
  const touch = /^\/__emulator\/users\/([^/]+)\/touch$/.exec(path);
  if (method === "POST" && touch) {
    const userId = decodeURIComponent(touch[1]);
    if (!control.store.userById(userId)) return reply(response, 404, { error: `no user ${userId}` });
    return reply(response, 200, { user: control.store.updateUser(userId, body) });
  }
  if (method === "POST" && path === "/__emulator/users/delete") {
    const { userIds, bulk, atMs } = body as { userIds?: unknown; bulk?: unknown; atMs?: unknown };
    if (!Array.isArray(userIds) || userIds.some((userId) => typeof userId !== "string" || !control.store.userById(userId))) {
      return reply(response, 404, { error: "userIds must name existing users" });
    }
    return reply(response, 200, {
      audits: control.store.deleteUsers(userIds, { bulk: bulk === true, atMs: typeof atMs === "number" ? atMs : undefined }),
    });
  }
  if (method === "POST" && path === "/__emulator/faults") {
    control.faults.add(faultFromJson(body));
    return reply(response, 200, { pending: control.faults.pending.length });
  }
  if (method === "GET" && path === "/__emulator/requests") {
    return reply(response, 200, { requests: control.requests, rateLimitHits: control.rateLimitHits });
  }
  if (method === "POST" && path === "/__emulator/reset") {
    control.reset();
    return reply(response, 200, {});
  }
  return reply(response, 404, { error: `no admin endpoint ${method} ${path}` });
}
