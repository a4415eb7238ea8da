import { describe, expect, it } from "vitest";
import { ConnectorError } from "../cdk/errors.js";
import { baseUrlForProject, validatedBaseUrl } from "./client.js";

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
