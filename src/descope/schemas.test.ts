import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../cdk/package-root.js";
import { loadSchema } from "./schemas.js";

/** Every `additionalProperties` in a schema, with its JSON path. */
function additionalProperties(node: unknown, path: string): [string, unknown][] {
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([key, value]) => [
    ...(key === "additionalProperties" ? ([[`${path}.${key}`, value]] as [string, unknown][]) : []),
    ...additionalProperties(value, `${path}.${key}`),
  ]);
}

describe("stream schemas", () => {
  const streams = readdirSync(join(packageRoot(import.meta.url), "schemas")).map((file) => file.replace(/\.json$/, ""));

  it("say additionalProperties: true wherever they say it at all (Airbyte CAT test_additional_properties_is_true)", () => {
    expect(streams.length).toBeGreaterThanOrEqual(20);
    const offending = streams.flatMap((stream) => additionalProperties(loadSchema(stream), stream).filter(([, value]) => value !== true));
    expect(offending).toEqual([]);
  });
});
