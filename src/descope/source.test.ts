import { describe, expect, it } from "vitest";
import { SIDE_EFFECT_PATHS } from "../../integration_tests/emulator/index.js";
import { descopeSource, STREAM_ACCESS } from "./source.js";
import type { DescopeConfig } from "./spec.js";

const config = {
  project_id: "P2AbCdEfGhIjKlMnOpQrStUvWxYz",
  management_key: "K2-test",
  include_provider_token_values: false,
  page_size: 100,
  max_concurrent_requests: 4,
  request_timeout_seconds: 60,
  max_retries: 8,
  user_search_requests_per_minute: 150,
  management_requests_per_minute: 6000,
  audit_requests_per_minute: 10,
  custom_attribute_columns: false,
} satisfies DescopeConfig;
const runtime = { log: { debug() {}, info() {}, warn() {}, error() {} }, rateLimited() {}, onClose() {} };

describe("STREAM_ACCESS (what each stream reads, and check's probe for it)", () => {
  it("has exactly one entry per stream, so check reports every stream a role-scoped key cannot read", async () => {
    const streams = await descopeSource.streams(config, runtime);
    expect(Object.keys(STREAM_ACCESS).sort()).toEqual(streams.map((stream) => stream.name).sort());
  });

  it("probes only read endpoints, and never asks Descope to refresh a provider token", () => {
    for (const [stream, { probe }] of Object.entries(STREAM_ACCESS)) {
      expect(SIDE_EFFECT_PATHS, stream).not.toContain(probe.path);
      expect(probe.method === "GET" || /\/(search|history|all|load|list|targets)(\/test)?$/.test(probe.path), stream).toBe(true);
      if (probe.query && "forceRefresh" in probe.query) expect(probe.query.forceRefresh).toBe("false");
    }
  });
});
