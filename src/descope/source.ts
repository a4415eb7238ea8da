import { configError, failureTypeOf } from "../cdk/errors.js";
import type { Runtime, Source } from "../cdk/source.js";
import type { Stream } from "../cdk/stream.js";
import { DescopeClient } from "./client.js";
import { spec, type DescopeConfig } from "./spec.js";
import { accessKeysStream } from "./streams/access-keys.js";
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

export const descopeSource: Source<DescopeConfig> = {
  spec: () => spec,

  async check(config, runtime) {
    // One user search of one user: every management key can make it, whatever optional features are in use.
    const client = openClient(config, runtime, { maxRetries: 2 });
    try {
      await client.post("/v2/mgmt/user/search", { limit: 1 }, "userSearch");
    } catch (error) {
      // An unreachable or wrong base URL is as much the user's to fix as a wrong key.
      if (failureTypeOf(error) === "transient_error") throw configError(`Could not reach Descope at ${client.baseUrl}: ${(error as Error).message}`);
      throw error;
    }
  },

  streams(config, runtime): Stream[] {
    const client = openClient(config, runtime);
    const pageSize = config.page_size;
    const concurrency = config.max_concurrent_requests;
    const startDateS = startDateSeconds(config);
    // The user-search budget's spacing on our clock (waits are scaled in tests): user scans size their concurrency from it.
    const searchIntervalMs = (60_000 / config.user_search_requests_per_minute) * timeScale();
    return [
      usersStream(client, { pageSize, concurrency, searchIntervalMs, startDateS }),
      testUsersStream(client, { pageSize, concurrency, searchIntervalMs, startDateS }),
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
    ];
  },
};
