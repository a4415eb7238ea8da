import { describe, expect, it } from "vitest";
import { withoutSecrets } from "./secret-fields.js";

describe("withoutSecrets", () => {
  it("drops secret-named fields at any depth and the value of a secret-named {key, value} parameter", () => {
    const app = {
      id: "crm",
      clientId: "crm-client",
      clientSecret: "s1",
      tokenUrl: "https://crm.example.com/oauth/token",
      tokenUrlParams: [
        { key: "audience", value: "crm-api" },
        { key: "client_secret", value: "s2" },
        { key: "API-Key", value: "s3" },
      ],
      oidc: { clientId: "c", clientSecret: "s4", nested: [{ password: "s5", accessToken: "s6", refresh_token: "s7", privateKey: "s8" }] },
    };
    expect(withoutSecrets(app)).toEqual({
      id: "crm",
      clientId: "crm-client",
      tokenUrl: "https://crm.example.com/oauth/token",
      tokenUrlParams: [{ key: "audience", value: "crm-api" }, { key: "client_secret" }, { key: "API-Key" }],
      oidc: { clientId: "c", nested: [{}] },
    });
  });

  it("keeps configuration whose names only mention tokens, and leaves its input untouched", () => {
    const settings = { tokenUrl: "u", tokenUrlParams: [], manageProviderTokens: true, refreshTokenExpiration: 4, idpCertificate: "MIIC" };
    const copy = structuredClone(settings);
    expect(withoutSecrets(settings)).toEqual(settings);
    expect(settings).toEqual(copy);
  });
});
