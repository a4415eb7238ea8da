import { afterEach, describe, expect, it } from "vitest";
import { SIDE_EFFECT_PATHS } from "../emulator/index.js";
import type { Emulator } from "../emulator/server.js";
import { configuredCatalog, emulatorConfig, expectLifecycle, nextState, runConnector, scaledEmulator } from "../helpers/connector.js";
import { ofType } from "./support.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe("a sync only ever reads", () => {
  it("no sync of all streams (full refresh, incremental, token values on, faults, check) calls a side-effecting endpoint or forces a token refresh", async () => {
    emulator = await scaledEmulator({ users: 150, testUsers: 15, tenants: 3, auditEvents: 80 });
    const config = emulatorConfig(emulator, { page_size: 40, include_provider_token_values: true });
    const discovered = await runConnector("discover", { config });
    const streams = ofType(discovered, "CATALOG")[0]!.catalog.streams.map((stream) => stream.name);
    expect(streams.length).toBeGreaterThanOrEqual(10);

    // Every stdout line of these runs is checked against the protocol schema by runConnector.
    const check = await runConnector("check", { config });
    expect(ofType(check, "CONNECTION_STATUS")[0]!.connectionStatus.status).toBe("SUCCEEDED");
    const full = await runConnector("read", { config, catalog: configuredCatalog(streams) });
    expect(full.exitCode).toBe(0);
    for (const stream of streams) expectLifecycle(full, stream, "COMPLETE");

    // A flaky network makes the client retry: retries must not turn into anything but the same read.
    emulator.faults.add({ kind: "status", status: 503, times: 3 });
    emulator.faults.add({ kind: "reset", match: "/v1/mgmt/user/provider/token", times: 2 });
    const incremental = await runConnector("read", { config, catalog: configuredCatalog(streams, "incremental") });
    expect(incremental.exitCode).toBe(0);
    const again = await runConnector("read", { config, catalog: configuredCatalog(streams, "incremental"), state: nextState(incremental) });
    expect(again.exitCode).toBe(0);

    expect(emulator.requests.length).toBeGreaterThan(50);
    const sideEffects = emulator.requests.filter((request) => SIDE_EFFECT_PATHS.includes(request.path));
    expect(sideEffects.map((request) => `${request.method} ${request.path}`)).toEqual([]);
    const tokenCalls = emulator.requests.filter((request) => request.path === "/v1/mgmt/user/provider/token");
    expect(tokenCalls.length).toBeGreaterThan(0);
    expect(tokenCalls.filter((request) => request.query.forceRefresh !== "false")).toEqual([]);
    // The never-called list covers the endpoints that hand out secrets or live tokens, and flow exports.
    expect(SIDE_EFFECT_PATHS).toEqual(
      expect.arrayContaining([
        "/v1/mgmt/thirdparty/app/secret",
        "/v1/mgmt/outbound/app/user/token",
        "/v1/mgmt/outbound/app/tenant/token/latest",
        "/v1/mgmt/flow/export",
      ]),
    );
    // Nothing but GET and POST, and no POST outside the read endpoints (search, load, list, history, relation targets).
    expect(new Set(emulator.requests.map((request) => request.method))).toEqual(new Set(["GET", "POST"]));
    const posts = new Set(emulator.requests.filter((request) => request.method === "POST").map((request) => request.path));
    for (const path of posts) expect(path).toMatch(/\/(search|history|all|load|list|targets)(\/test)?$|\/search\/test$/);
  });
});
