/**
 * What a handler file exports: routes, each a method + path, the rate-limit bucket it counts against, and a
 * function from the parsed request to a JSON reply. Plus readers for Descope request fields, which are lenient
 * where the real gateway is (int64 as number or numeric string) and strict where it errors.
 */
import { invalidRequest } from "./descope-error.js";
import type { OptionalFeature } from "./handlers/feature-gate.js";
import type { EmulatorStore } from "./store.js";

export type RateLimitBucket = "userSearch" | "audit" | "management";

export interface ParsedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  headers: Record<string, string>;
}

/** Options handlers read (the subset of emulator options that change response shapes). */
export interface HandlerOptions {
  providerTokenManagement: boolean;
  historyWrapper: boolean;
  groupsWrapper: boolean;
  ignoreUserSort: boolean;
  /** Features whose endpoints answer 400 "not enabled" (handlers/feature-gate.ts). */
  disabledFeatures: readonly OptionalFeature[];
  /** Only the v1 GET form of the inbound apps list exists (older deployments). */
  inboundAppsV1Only: boolean;
  /** A server-side maximum page size for the third-party app and consent lists. */
  thirdPartyMaxPageSize?: number;
  analyticsMaxDaysPerRequest: number | undefined;
  auditIdField: "ID" | "id";
  exclusiveAuditFrom: boolean;
  exclusiveAuditTo: boolean;
  ignoreAuditOldestFirst: boolean;
  licenseHandshake: "ok" | "fail";
  rejectUserSort: boolean;
  exclusiveUserTimeBounds: boolean;
  /** 0: off; n: one user in n is missing from user-search pages (still counted in `total`). */
  dropUsersFromPages: number;
}

export interface HandlerContext {
  request: ParsedRequest;
  store: EmulatorStore;
  options: HandlerOptions;
}

export interface Reply {
  status?: number;
  body: unknown;
}

export interface Route {
  method: "GET" | "POST" | "DELETE";
  path: string;
  bucket: RateLimitBucket;
  handle(context: HandlerContext): Reply;
}

export type JsonObject = Record<string, unknown>;

/** The body as an object; `{}` when absent (every search field is optional). */
export function bodyObject(request: ParsedRequest): JsonObject {
  const { body } = request;
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw invalidRequest("request body must be a JSON object");
  return body as JsonObject;
}

/** int64 fields arrive as JSON numbers from the SDKs and as strings per the OpenAPI; accept both. */
export function readInt64(body: JsonObject, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isFinite(number)) throw invalidRequest(`${field} must be an integer`);
  return Math.trunc(number);
}

export function readNonNegativeInt(body: JsonObject, field: string): number {
  const value = readInt64(body, field) ?? 0;
  if (value < 0) throw invalidRequest(`${field} must not be negative`);
  return value;
}

export function readStringArray(body: JsonObject, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw invalidRequest(`${field} must be an array of strings`);
  }
  return value.length > 0 ? value : undefined;
}

export function readBoolean(body: JsonObject, field: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw invalidRequest(`${field} must be a boolean`);
  return value;
}

export function readString(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw invalidRequest(`${field} must be a string`);
  return value;
}

/** A Descope list response: protojson leaves an empty repeated field out entirely. */
export function listReply(field: string, items: readonly unknown[]): Reply {
  return { body: items.length > 0 ? { [field]: items } : {} };
}
