import { configError, failureTypeOf } from "../cdk/errors.js";
import type { Runtime, Source } from "../cdk/source.js";
import type { Stream } from "../cdk/stream.js";
import { DescopeApiError, DescopeClient, permissionErrorFor, type Bucket } from "./client.js";
import { mapConcurrentOrdered } from "../cdk/concurrency.js";
import { fetchCustomAttributeColumns } from "./custom-attribute-columns.js";
import { spec, type DescopeConfig } from "./spec.js";
import { accessKeysStream } from "./streams/access-keys.js";
import { authzRelationsStream } from "./streams/authz-relations.js";
import { flowsStream } from "./streams/flows.js";
import { inboundAppConsentsStream } from "./streams/inbound-app-consents.js";
import { inboundAppsStream } from "./streams/inbound-apps.js";
import { outboundAppsStream } from "./streams/outbound-apps.js";
import { tenantSettingsStream } from "./streams/tenant-settings.js";
import { tenantSsoSettingsStream } from "./streams/tenant-sso-settings.js";
import { analyticsStream } from "./streams/analytics.js";
import { auditEventsStream } from "./streams/audit-events.js";
import { customAttributesStream } from "./streams/custom-attributes.js";
import { groupsStream } from "./streams/groups.js";
import { loginHistoryStream } from "./streams/login-history.js";
import { permissionsStream } from "./streams/permissions.js";
import { providerTokensStream } from "./streams/provider-tokens.js";
import { rolesStream } from "./streams/roles.js";
import { ssoApplicationsStream } from "./streams/sso-applications.js";
import { tenantsStream } from "./streams/tenants.js";
import { testUsersStream, usersStream } from "./streams/users.js";

/**
 * Test and benchmark knob: scales every wait (backoff, Retry-After, the one-minute rate windows) so the
 * emulator's rate limits can be exercised in seconds. Unset in production.
 */
const TIME_SCALE_ENV = "SOURCE_DESCOPE_TIME_SCALE";

function timeScale(): number {
  const raw = process.env[TIME_SCALE_ENV];
  const value = raw === undefined ? 1 : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : 1;
}

function startDateSeconds(config: DescopeConfig): number | undefined {
  if (!config.start_date) return undefined;
  const ms = Date.parse(config.start_date);
  if (Number.isNaN(ms)) throw configError(`Config field "start_date" is not a valid date-time: ${JSON.stringify(config.start_date)}.`);
  return Math.floor(ms / 1000);
}

function openClient(config: DescopeConfig, runtime: Runtime, overrides: { maxRetries?: number } = {}): DescopeClient {
  const client = new DescopeClient({
    projectId: config.project_id,
    managementKey: config.management_key,
    baseUrl: config.base_url || undefined,
    requestTimeoutMs: config.request_timeout_seconds * 1000,
    maxRetries: overrides.maxRetries ?? config.max_retries,
    requestsPerMinute: {
      userSearch: config.user_search_requests_per_minute,
      management: config.management_requests_per_minute,
      audit: config.audit_requests_per_minute,
    },
    maxConnections: config.max_concurrent_requests + 2,
    timeScale: timeScale(),
    log: runtime.log,
    onRateLimited: runtime.rateLimited,
  });
  runtime.onClose(() => client.close());
  return client;
}

/** One cheap, read-only request that needs the same permission as a stream; `check` sends each once. */
interface Probe {
  method: "GET" | "POST";
  path: string;
  bucket: Bucket;
  /** A function for bodies that depend on the time of the check. */
  body?: unknown;
  query?: Record<string, string>;
}

/** An ID no project has: a probe needs a permission, not data (a 404 for it is as good as a 200). */
const PROBE_ID = "source-descope-permission-probe";

/**
 * What each stream reads (said in a 403's message) and the probe `check` sends for it. A role-scoped management
 * key (docs/descope-api-notes.md §0.1 item 7) may read some of these and not others. Every stream needs an entry (source.test.ts).
 */
export const STREAM_ACCESS: Record<string, { reads: string; probe: Probe }> = {
  users: { reads: "users", probe: { method: "POST", path: "/v2/mgmt/user/search", bucket: "userSearch", body: { limit: 1 } } },
  test_users: {
    reads: "test users",
    probe: { method: "POST", path: "/v2/mgmt/user/search/test", bucket: "userSearch", body: { withTestUser: true, testUsersOnly: true, limit: 1 } },
  },
  login_history: { reads: "users' login history", probe: { method: "POST", path: "/v1/mgmt/user/history", bucket: "management", body: [PROBE_ID] } },
  provider_tokens: {
    reads: "users' provider tokens",
    probe: {
      method: "GET",
      path: "/v1/mgmt/user/provider/token",
      bucket: "management",
      query: { loginId: PROBE_ID, provider: "google", withRefreshToken: "false", forceRefresh: "false" },
    },
  },
  audit_events: { reads: "the audit trail", probe: { method: "POST", path: "/v1/mgmt/audit/search", bucket: "audit", body: { size: 1 } } },
  tenants: { reads: "tenants", probe: { method: "GET", path: "/v1/mgmt/tenant/all", bucket: "management" } },
  roles: { reads: "roles", probe: { method: "POST", path: "/v1/mgmt/role/search", bucket: "management", body: {} } },
  permissions: { reads: "permissions", probe: { method: "GET", path: "/v1/mgmt/permission/all", bucket: "management" } },
  access_keys: { reads: "access keys", probe: { method: "POST", path: "/v1/mgmt/accesskey/search", bucket: "management", body: {} } },
  groups: { reads: "tenants' groups", probe: { method: "POST", path: "/v1/mgmt/group/all", bucket: "management", body: { tenantId: PROBE_ID } } },
  sso_applications: { reads: "SSO applications", probe: { method: "GET", path: "/v1/mgmt/sso/idp/apps/load", bucket: "management" } },
  custom_attributes: {
    reads: "custom attribute definitions",
    probe: { method: "GET", path: "/v1/mgmt/user/customattributes", bucket: "management" },
  },
  analytics: {
    reads: "analytics",
    probe: {
      method: "POST",
      path: "/v1/mgmt/analytics/search",
      bucket: "management",
      body: () => ({ from: Date.now() - 86_400_000, to: Date.now() }),
    },
  },
  tenant_sso_settings: {
    reads: "tenants' SSO settings",
    probe: { method: "GET", path: "/v2/mgmt/sso/settings/all", bucket: "management", query: { tenantId: PROBE_ID } },
  },
  tenant_settings: {
    reads: "tenants' settings",
    probe: { method: "GET", path: "/v1/mgmt/tenant/settings", bucket: "management", query: { id: PROBE_ID } },
  },
  inbound_apps: {
    reads: "third-party (inbound) apps",
    probe: { method: "POST", path: "/v2/mgmt/thirdparty/apps/load", bucket: "management", body: { page: 0, limit: 1 } },
  },
  inbound_app_consents: {
    reads: "third-party app consents",
    probe: { method: "POST", path: "/v1/mgmt/thirdparty/consents/search", bucket: "management", body: { page: 0, limit: 1 } },
  },
  outbound_apps: { reads: "outbound apps", probe: { method: "GET", path: "/v1/mgmt/outbound/apps", bucket: "management" } },
  flows: { reads: "flows", probe: { method: "POST", path: "/v1/mgmt/flow/list", bucket: "management", body: {} } },
  authz_relations: {
    reads: "ReBAC relations",
    probe: { method: "POST", path: "/v1/mgmt/authz/re/targets", bucket: "management", body: { targets: [PROBE_ID] } },
  },
};

/** The streams whose probe Descope answers with 403, each with the endpoint that refused. */
async function unreadableStreams(client: DescopeClient, names: string[], concurrency: number, log: Runtime["log"]): Promise<string[]> {
  const refused: string[] = [];
  const results = mapConcurrentOrdered(names, concurrency, async (name) => {
    const { probe } = STREAM_ACCESS[name]!;
    try {
      const body = typeof probe.body === "function" ? (probe.body as () => unknown)() : probe.body;
      await (probe.method === "GET" ? client.get(probe.path, probe.query ?? {}, probe.bucket) : client.post(probe.path, body, probe.bucket));
    } catch (error) {
      if (error instanceof DescopeApiError && error.status === 403) return `${name} (${error.endpoint}: HTTP 403)`;
      if (error instanceof DescopeApiError && error.endsSync) throw error;
      // Any other answer from Descope (a 404 for the probe's made-up ID) got past the permission check.
      if (error instanceof DescopeApiError) return undefined;
      log.info(`check: could not tell whether the key may read "${name}": ${(error as Error).message}`);
    }
    return undefined;
  });
  for await (const result of results) if (result) refused.push(result);
  return refused;
}

/**
 * A stream as the runner sees it, with what the client knows added: a 403 names the stream and what it reads,
 * and the stream's end-of-stream summary says how many requests each rate-limit bucket sent and how fast.
 */
function throughClient(stream: Stream, client: DescopeClient): Stream {
  return {
    ...stream,
    async *read(context) {
      const mark = client.markRates();
      try {
        yield* stream.read(context);
      } catch (error) {
        if (!(error instanceof DescopeApiError && error.status === 403)) throw error;
        throw permissionErrorFor(error, { name: stream.name, reads: STREAM_ACCESS[stream.name]?.reads ?? `what "${stream.name}" reads` });
      }
      for (const line of client.rateSummary(mark)) context.report(line);
    },
  };
}

export const descopeSource: Source<DescopeConfig> = {
  spec: () => spec,

  /**
   * One user search of one user proves the connection (every key that can sync anything can make it). Then one
   * probe per other stream: a role-scoped key passes the check, and the message lists what it cannot read.
   */
  async check(config, runtime) {
    const client = openClient(config, runtime, { maxRetries: 2 });
    try {
      await client.post("/v2/mgmt/user/search", { limit: 1 }, "userSearch");
    } catch (error) {
      // An unreachable or wrong base URL is as much the user's to fix as a wrong key.
      if (failureTypeOf(error) === "transient_error") throw configError(`Could not reach Descope at ${client.baseUrl}: ${(error as Error).message}`);
      throw error;
    }
    const others = Object.keys(STREAM_ACCESS).filter((name) => name !== "users");
    const refused = await unreadableStreams(client, others, config.max_concurrent_requests, runtime.log);
    if (refused.length === 0) return;
    return {
      message:
        `Connected, but this management key may not read ${refused.length} stream(s): ${refused.join(", ")}. Those streams will fail ` +
        `(the others sync) until the key in "management_key" gets a role that can read them, or they are deselected.`,
    };
  },

  async streams(config, runtime): Promise<Stream[]> {
    const client = openClient(config, runtime);
    const pageSize = config.page_size;
    const concurrency = config.max_concurrent_requests;
    const startDateS = startDateSeconds(config);
    // The users schemas carry one typed column per custom attribute the project defines (one request).
    const customAttributeColumns = config.custom_attribute_columns ? await fetchCustomAttributeColumns(client, runtime.log) : undefined;
    // The user-search budget's spacing on our clock (waits are scaled in tests): user scans size their concurrency from it.
    const searchIntervalMs = (60_000 / config.user_search_requests_per_minute) * timeScale();
    return [
      usersStream(client, { pageSize, concurrency, searchIntervalMs, startDateS, customAttributeColumns }),
      testUsersStream(client, { pageSize, concurrency, searchIntervalMs, startDateS, customAttributeColumns }),
      loginHistoryStream(client, { pageSize, concurrency, searchIntervalMs, startDateS }),
      providerTokensStream(client, { pageSize, concurrency, searchIntervalMs, includeTokenValues: config.include_provider_token_values }),
      auditEventsStream(client, { startDateMs: startDateS === undefined ? undefined : startDateS * 1000 }),
      tenantsStream(client),
      rolesStream(client),
      permissionsStream(client),
      accessKeysStream(client),
      groupsStream(client, { concurrency }),
      ssoApplicationsStream(client),
      customAttributesStream(client),
      analyticsStream(client),
      tenantSsoSettingsStream(client, { concurrency }),
      tenantSettingsStream(client, { concurrency }),
      inboundAppsStream(client),
      inboundAppConsentsStream(client),
      outboundAppsStream(client),
      flowsStream(client),
      authzRelationsStream(client, { pageSize, concurrency, searchIntervalMs }),
    ].map((stream) => throughClient(stream, client));
  },
};
