import type { ConnectorSpecification } from "../cdk/protocol.js";

/** The config as the runner hands it over: validated against the spec below, defaults filled in. */
export interface DescopeConfig {
  [key: string]: unknown;
  project_id: string;
  management_key: string;
  base_url?: string;
  start_date?: string;
  include_provider_token_values: boolean;
  custom_attribute_columns: boolean;
  page_size: number;
  max_concurrent_requests: number;
  request_timeout_seconds: number;
  max_retries: number;
  user_search_requests_per_minute: number;
  management_requests_per_minute: number;
  audit_requests_per_minute: number;
}

/**
 * No maximum: Descope's limits are the defaults' reference, but a project whose limits Descope raised, or a local
 * emulator (npm run demo), needs more; above the real limit Descope's 429s and Retry-After govern.
 */
const requestsPerMinute = (title: string, order: number, defaultPerMinute: number, description: string) => ({
  type: "integer",
  title,
  description,
  default: defaultPerMinute,
  minimum: 1,
  order,
});

/**
 * Descope's limits (docs/descope-api-notes.md §0.1 item 9): user search 200/60 s per project, audit search 10/min, other
 * management calls per IP at 100/60 s for plain API traffic or 1000/10 s (6,000/min) for backend SDKs.
 */
const USER_SEARCH_LIMIT_PER_MINUTE = 200;
const BACKEND_SDK_LIMIT_PER_MINUTE = 6_000;
const AUDIT_LIMIT_PER_MINUTE = 10;

export const spec: ConnectorSpecification = {
  documentationUrl: "https://github.com/source-descope/source-descope/blob/main/docs/descope.md",
  connectionSpecification: {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Descope Source Spec",
    type: "object",
    required: ["project_id", "management_key"],
    additionalProperties: true,
    properties: {
      project_id: {
        type: "string",
        title: "Project ID",
        description: "Your Descope project ID (Project Settings → Project ID), e.g. P2abc…",
        minLength: 1,
        order: 0,
      },
      management_key: {
        type: "string",
        title: "Management Key",
        description: "A Descope management key (Company Settings → Management Keys) with read access to the project.",
        airbyte_secret: true,
        minLength: 1,
        order: 1,
      },
      start_date: {
        type: "string",
        title: "Start Date",
        description: "Only for the first incremental sync: read records modified at or after this UTC date-time. Leave empty for all history.",
        format: "date-time",
        pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$",
        pattern_descriptor: "YYYY-MM-DDTHH:mm:ssZ",
        examples: ["2024-01-01T00:00:00Z"],
        order: 2,
      },
      base_url: {
        type: "string",
        title: "API Base URL",
        description:
          "Override the Descope API URL (custom domain). Empty: derived from the project ID like the official SDKs do. Must be https:// except for localhost.",
        examples: ["https://api.descope.com"],
        order: 3,
      },
      include_provider_token_values: {
        type: "boolean",
        title: "Include Provider Token Values",
        description: "Include users' OAuth access and refresh tokens in the provider_tokens stream. Off by default: they are live credentials.",
        default: false,
        order: 4,
      },
      page_size: {
        type: "integer",
        title: "Page Size",
        description: "Users per search request. Larger pages need fewer of the 200 user searches Descope allows per minute.",
        default: 1000,
        minimum: 1,
        maximum: 5000,
        order: 5,
      },
      max_concurrent_requests: {
        type: "integer",
        title: "Max Concurrent Requests",
        description: "Requests in flight at once for per-user fan-out streams (login history, provider tokens).",
        default: 4,
        minimum: 1,
        maximum: 32,
        order: 6,
      },
      request_timeout_seconds: {
        type: "integer",
        title: "Request Timeout (seconds)",
        default: 60,
        minimum: 1,
        maximum: 600,
        order: 7,
      },
      max_retries: {
        type: "integer",
        title: "Max Retries",
        description: "Retries per request on 429, 5xx, timeouts and network errors, with exponential backoff.",
        default: 8,
        minimum: 0,
        maximum: 20,
        order: 8,
      },
      user_search_requests_per_minute: requestsPerMinute(
        "User Search Requests per Minute",
        9,
        Math.round(USER_SEARCH_LIMIT_PER_MINUTE * 0.75),
        "Most user searches this connector sends per minute. Descope allows 200 per project, and that budget is shared " +
          "with your own application's user searches and updates; the default, 150 (75%), leaves a quarter of it to them. " +
          "Raise it up to 200 if nothing else searches this project's users while the sync runs. 429 answers are honoured.",
      ),
      management_requests_per_minute: requestsPerMinute(
        "Management Requests per Minute (ceiling)",
        10,
        BACKEND_SDK_LIMIT_PER_MINUTE,
        "Ceiling for all other management calls (login history, provider tokens, tenants, groups…), which Descope limits per IP " +
          "address: 100 requests per minute for plain API traffic, 1000 per 10 seconds for backend SDKs. The connector sends the " +
          "first 100 of any minute at once, then tries a few more, three at a time: if Descope takes them it goes on up to this " +
          "ceiling (counted per minute and per 10 seconds), if it answers 429 the connector stays at 95% of what Descope accepted " +
          "and honours its Retry-After. Default 6,000 per minute, the SDK limit. Lower it if other tools share the IP address; " +
          "at 100 or less the connector holds the ceiling from the start and slows down only on a 429.",
      ),
      audit_requests_per_minute: requestsPerMinute(
        "Audit Requests per Minute",
        11,
        AUDIT_LIMIT_PER_MINUTE,
        "Most audit searches this connector sends per minute. Descope allows 10; lower it if other tools read the audit trail too.",
      ),
      custom_attribute_columns: {
        type: "boolean",
        title: "Custom Attribute Columns",
        description:
          "Add one typed column per custom attribute (custom_<machine name>) to users and test_users, built at discover. " +
          "The raw customAttributes object is always kept. Off: the schemas carry customAttributes only.",
        default: true,
        order: 12,
      },
    },
  },
};
