import { describe, expect, it } from "vitest";
import { Redactor, secretValues } from "./redact.js";

describe("secretValues", () => {
  it("finds every airbyte_secret value in the config, nested and in oneOf variants, and nothing else", () => {
    const spec = {
      type: "object",
      properties: {
        name: { type: "string" },
        key: { type: "string", airbyte_secret: true },
        auth: {
          type: "object",
          oneOf: [{ type: "object", properties: { token: { type: "string", airbyte_secret: true } } }],
          properties: { password: { type: "string", airbyte_secret: true } },
        },
      },
    };
    const config = { name: "visible", key: "k1", auth: { token: "t1", password: "p1" } };
    expect(secretValues(spec, config).sort()).toEqual(["k1", "p1", "t1"]);
    expect(secretValues(spec, { name: "x" })).toEqual([]);
  });
});

describe("Redactor", () => {
  it("masks every occurrence, longest secret first", () => {
    const redactor = new Redactor();
    redactor.add("abc", "abcdef");
    expect(redactor.redact("x abcdef y abc")).toBe("x ********** y **********");
  });
});
