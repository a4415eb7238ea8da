/**
 * Runs the emulator as a process:
 *   npx tsx integration_tests/emulator/cli.ts --port 0 --users 2000
 * prints one JSON line {"url","projectId","managementKey"} to stdout, then serves until SIGTERM/SIGINT.
 * Flags mirror EmulatorOptions; see README.md.
 */
import { parseArgs } from "node:util";
import { startEmulator, type EmulatorOptions } from "./index.js";
import type { RateLimitBucket } from "./route.js";

const { values: flags } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string" },
    "project-id": { type: "string" },
    "management-key": { type: "string" },
    seed: { type: "string" },
    users: { type: "string" },
    "test-users": { type: "string" },
    tenants: { type: "string" },
    "audit-events": { type: "string" },
    "bulk-import-users": { type: "string" },
    "latency-ms": { type: "string" },
    "time-scale": { type: "string" },
    /** bucket=limit/windowMs, repeatable: --rate-limit userSearch=5/1000 */
    "rate-limit": { type: "string", multiple: true },
    "no-rate-limits": { type: "boolean" },
    "no-provider-token-management": { type: "boolean" },
    "history-wrapper": { type: "boolean" },
    "groups-wrapper": { type: "boolean" },
    "no-audit-ids": { type: "boolean" },
    "empty-project": { type: "boolean" },
    "key-without-permission": { type: "boolean" },
    "analytics-max-days-per-request": { type: "string" },
    /** ID | id */
    "audit-id-field": { type: "string" },
    "exclusive-audit-from": { type: "boolean" },
    "exclusive-audit-to": { type: "boolean" },
    "ignore-audit-oldest-first": { type: "boolean" },
    "reject-unknown-fields": { type: "boolean" },
    strict: { type: "boolean" },
  },
  strict: true,
});

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got ${text}`);
  return value;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0 && Number.isFinite(value))) throw new Error(`--${name} must be a positive number, got ${text}`);
  return value;
}

function auditIdField(text: string | undefined): EmulatorOptions["auditIdField"] {
  if (text === undefined || text === "ID" || text === "id") return text;
  throw new Error(`--audit-id-field must be ID or id, got ${text}`);
}

function rateLimits(specs: string[] | undefined): EmulatorOptions["rateLimits"] {
  if (flags["no-rate-limits"]) return false;
  const limits: NonNullable<Exclude<EmulatorOptions["rateLimits"], false>> = {};
  for (const spec of specs ?? []) {
    const match = /^(userSearch|audit|management)=(\d+)\/(\d+)$/.exec(spec);
    if (!match) throw new Error(`--rate-limit must look like userSearch=200/60000, got ${spec}`);
    limits[match[1] as RateLimitBucket] = { limit: Number(match[2]), windowMs: Number(match[3]) };
  }
  return limits;
}

const emulator = await startEmulator({
  port: integer("port", flags.port),
  host: flags.host,
  projectId: flags["project-id"],
  managementKey: flags["management-key"],
  seed: integer("seed", flags.seed),
  users: integer("users", flags.users),
  testUsers: integer("test-users", flags["test-users"]),
  tenants: integer("tenants", flags.tenants),
  auditEvents: integer("audit-events", flags["audit-events"]),
  bulkImportUsers: integer("bulk-import-users", flags["bulk-import-users"]),
  latencyMs: integer("latency-ms", flags["latency-ms"]),
  timeScale: positive("time-scale", flags["time-scale"]),
  rateLimits: rateLimits(flags["rate-limit"]),
  providerTokenManagement: !flags["no-provider-token-management"],
  historyWrapper: flags["history-wrapper"],
  groupsWrapper: flags["groups-wrapper"],
  auditIds: !flags["no-audit-ids"],
  emptyProject: flags["empty-project"],
  keyWithoutPermission: flags["key-without-permission"],
  analyticsMaxDaysPerRequest: integer("analytics-max-days-per-request", flags["analytics-max-days-per-request"]),
  auditIdField: auditIdField(flags["audit-id-field"]),
  exclusiveAuditFrom: flags["exclusive-audit-from"],
  exclusiveAuditTo: flags["exclusive-audit-to"],
  ignoreAuditOldestFirst: flags["ignore-audit-oldest-first"],
  rejectUnknownFields: flags["reject-unknown-fields"],
  strict: flags.strict,
});

process.stdout.write(`${JSON.stringify({ url: emulator.url, projectId: emulator.projectId, managementKey: emulator.managementKey })}\n`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void emulator.close().then(() => process.exit(0));
  });
}
