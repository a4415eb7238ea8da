import { afterEach, describe, expect, it } from "vitest";
import type { Fault } from "../../integration_tests/emulator/faults.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../integration_tests/emulator/index.js";
import { ConnectorError } from "../cdk/errors.js";
import { baseUrlForProject, DescopeApiError, DescopeClient, EmptyAnswer, validatedBaseUrl, type DescopeClientOptions } from "./client.js";
import type { DeclaredException } from "./outcomes.js";

describe("baseUrlForProject", () => {
  it("derives the region from 32-character project IDs as the official SDKs do, and uses the global host otherwise", () => {
    // Examples from the go and python SDK tests.
    expect(baseUrlForProject("Puse12aAc4T2V93bddihGEx2Ryhc8e5Z")).toBe("https://api.use1.descope.com");
    expect(baseUrlForProject("Puse1ar")).toBe("https://api.descope.com");
    expect(baseUrlForProject("P2abcdefghijklmnopqrstuvwxyz")).toBe("https://api.descope.com");
  });
});

describe("validatedBaseUrl", () => {
  it("accepts https anywhere and plain http only on loopback, without a trailing slash", () => {
    expect(validatedBaseUrl("https://auth.example.com/")).toBe("https://auth.example.com");
    expect(validatedBaseUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(validatedBaseUrl("http://localhost:3000/")).toBe("http://localhost:3000");
  });

  it("refuses plain http to another host (the management key would travel in clear text) with a config error naming the field", () => {
    for (const url of ["http://api.descope.com", "http://10.0.0.5", "ftp://example.com", "not a url"]) {
      let error: unknown;
      try {
        validatedBaseUrl(url);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConnectorError);
      expect((error as ConnectorError).failureType).toBe("config_error");
      expect((error as ConnectorError).message).toContain('"base_url"');
    }
  });
});

interface Run {
  client: DescopeClient;
  logs: string[];
}

const emulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((emu) => emu.close()));
});

async function connect(options: EmulatorOptions = {}, overrides: Partial<DescopeClientOptions> = {}): Promise<Run & { emu: Emulator }> {
  const emu = await startEmulator({ users: 30, testUsers: 0, tenants: 2, auditEvents: 10, rateLimits: false, ...options });
  emulators.push(emu);
  const logs: string[] = [];
  const client = new DescopeClient({
    projectId: emu.projectId,
    managementKey: emu.managementKey,
    baseUrl: emu.url,
    requestTimeoutMs: 2_000,
    maxRetries: 3,
    requestsPerMinute: { userSearch: 150, management: 6_000, audit: 10 },
    maxConnections: 4,
    timeScale: 0.001,
    log: { info: (message) => logs.push(message), warn: (message) => logs.push(message) },
    ...overrides,
  });
  return { emu, client, logs };
}

async function failureOf(promise: Promise<unknown>): Promise<DescopeApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DescopeApiError);
  return error as DescopeApiError;
}

const TENANTS = "/v1/mgmt/tenant/all";
const USER_SEARCH = "/v2/mgmt/user/search";
const NO_TOKEN: DeclaredException = { meaning: "no stored token", statuses: [400, 404] };

describe("the license handshake", () => {
  it("is made once, before the first request, and its tier travels in x-descope-license on every request", async () => {
    const { emu, client } = await connect();
    await Promise.all([
      client.post(USER_SEARCH, { limit: 1 }, "userSearch"),
      client.get(TENANTS, {}, "management"),
      client.post("/v1/mgmt/audit/search", {}, "audit"),
    ]);
    await client.get(TENANTS, {}, "management");
    expect(emu.requests[0]).toMatchObject({ method: "GET", path: "/v1/mgmt/license" });
    expect(emu.requests.filter((request) => request.path === "/v1/mgmt/license")).toHaveLength(1);
    const others = emu.requests.slice(1);
    expect(others).toHaveLength(4);
    for (const request of others) expect(request.headers["x-descope-license"], request.path).toBe("tier1");
    await client.close();
  });

  it.each([
    ["a deployment without the endpoint (404)", { licenseHandshake: "fail" } as EmulatorOptions, undefined],
    ["a key refused the license (403)", {}, { kind: "status", status: 403, body: { errorCode: "E011003", errorDescription: "Forbidden" } } as Fault],
    ["an outage (503)", {}, { kind: "status", status: 503 } as Fault],
    ["a handshake that never answers", {}, { kind: "hang" } as Fault],
  ])("after %s, requests go on without the header and the log says so once", async (_name, options, fault) => {
    const { emu, client, logs } = await connect(options, { requestTimeoutMs: 300 });
    if (fault) emu.faults.add({ ...fault, match: "/v1/mgmt/license" });
    const [tenants] = await Promise.all([client.get(TENANTS, {}, "management"), client.post(USER_SEARCH, { limit: 1 }, "userSearch")]);
    await client.get(TENANTS, {}, "management");
    expect(tenants).toHaveProperty("tenants");
    expect(emu.requests.filter((request) => request.path === "/v1/mgmt/license")).toHaveLength(1);
    const others = emu.requests.filter((request) => request.path !== "/v1/mgmt/license");
    expect(others).toHaveLength(3);
    for (const request of others) expect(request.headers).not.toHaveProperty("x-descope-license");
    expect(logs.filter((line) => line.includes("license"))).toHaveLength(1);
    await client.close();
  });
});

describe("the license handshake with a refused key", () => {
  it("stays quiet: the first real request reports the 401 as the config error it is", async () => {
    const { client, logs } = await connect({}, { managementKey: "K2-not-the-key" });
    const error = await failureOf(client.post(USER_SEARCH, { limit: 1 }, "userSearch"));
    expect(error).toMatchObject({ failureType: "config_error", endsSync: true, status: 401 });
    expect(logs.filter((line) => line.includes("license"))).toEqual([]);
    await client.close();
  });
});

describe("every answer goes through the outcome table", () => {
  it("a 403 on one path (a role-scoped key) fails that request as a config error for its stream only, naming the endpoint; other paths work", async () => {
    const { client } = await connect({ forbiddenPaths: [TENANTS] });
    const error = await failureOf(client.get(TENANTS, {}, "management"));
    expect(error).toMatchObject({ failureType: "config_error", endsSync: false, status: 403, endpoint: `GET ${TENANTS}` });
    expect(error.message).toContain(`GET ${TENANTS}`);
    expect(error.message).toContain('"management_key"');
    expect(error.message).toMatch(/role/);
    await expect(client.post(USER_SEARCH, { limit: 1 }, "userSearch")).resolves.toHaveProperty("users");
    await client.close();
  });

  it("a 401 ends the sync, and is not retried", async () => {
    const { emu, client } = await connect({}, { managementKey: "K2-wrong" });
    const error = await failureOf(client.get(TENANTS, {}, "management"));
    expect(error).toMatchObject({ failureType: "config_error", endsSync: true, status: 401 });
    expect(emu.requests.filter((request) => request.path === TENANTS)).toHaveLength(1);
    await client.close();
  });

  it("Descope's rate-limit codes mean rate limited whatever the status: E170429 on a 400 is waited out and retried", async () => {
    const { emu, client, logs } = await connect();
    emu.faults.add({
      match: TENANTS,
      kind: "status",
      status: 400,
      body: { errorCode: "E170429", errorDescription: "Too many requests" },
      headers: { "Retry-After": "2" },
    });
    const mark = client.markRates();
    await expect(client.get(TENANTS, {}, "management")).resolves.toHaveProperty("tenants");
    expect(emu.requests.filter((request) => request.path === TENANTS).map((request) => request.status)).toEqual([400, 200]);
    expect(logs.some((line) => /rate limit reached on management requests; waiting 2s/.test(line))).toBe(true);
    // Counted as a 429 for its bucket; with nothing accepted before it, the pace halves (someone else used the limit).
    expect(client.rateSummary(mark)).toEqual([expect.stringMatching(/^management: 3 requests \(1 rate-limited\), pace 50\/min \(peak 100\/min\)$/)]);
    await client.close();
  });

  it("a stream's declared answer resolves as an EmptyAnswer; the same answer undeclared fails the stream as a system error", async () => {
    const { client } = await connect();
    const query = { loginId: "nobody@example.com", provider: "google", withRefreshToken: "false", forceRefresh: "false" };
    const empty = await client.get("/v1/mgmt/user/provider/token", query, "management", { exceptions: [NO_TOKEN] });
    expect(empty).toBeInstanceOf(EmptyAnswer);
    expect(empty).toMatchObject({ exception: NO_TOKEN, status: 404, errorCode: "E112102" });
    const error = await failureOf(client.get("/v1/mgmt/user/provider/token", query, "management"));
    expect(error).toMatchObject({ failureType: "system_error", endsSync: false, status: 404 });
    await client.close();
  });
});
