import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newAjv, protocolDefinition, type SchemaUse, usePrecompiledValidators, validatorFor, validatorKey } from "../../cdk/json-schema.js";
import { packageRoot } from "../../cdk/package-root.js";
import type { JsonObject, JsonSchema } from "../../cdk/protocol.js";
import { validateConfig } from "../../cdk/inputs.js";
import { withNullOptionals } from "../../../integration_tests/helpers/connector.js";
import { descopeSource } from "../source.js";
import type { DescopeConfig } from "../spec.js";
import { descopeValidatorsModule, GENERATED_FILES } from "./generate.js";
import precompiled from "./validators.cjs";

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(packageRoot(import.meta.url), "integration_tests", name), "utf8"));
const runtime = { log: { debug() {}, info() {}, warn() {}, error() {} }, rateLimited() {}, onClose() {} };

/** The schemas a sync validates, as the source hands them to the runner (not as the generator lists them). */
async function runtimeSchemas(): Promise<[string, JsonSchema, SchemaUse][]> {
  const config = await validateConfig<DescopeConfig>(descopeSource.spec().connectionSpecification, fixture("sample_config.json"), "sample_config.json");
  const streams = await descopeSource.streams({ ...config, custom_attribute_columns: false }, runtime);
  return [
    ["config", descopeSource.spec().connectionSpecification, "fill-defaults"],
    ["catalog", protocolDefinition("ConfiguredAirbyteCatalog"), "check-only"],
    ...streams.filter((stream) => stream.stateSchema).map((stream): [string, JsonSchema, SchemaUse] => [`${stream.name} state`, stream.stateSchema!, "check-only"]),
  ];
}

/** A validator's verdict: valid or not, the errors, and the value afterwards (defaults filled in). */
function verdict(validate: (value: unknown) => boolean, value: unknown) {
  const copy = structuredClone(value);
  const valid = validate(copy);
  return { valid, errors: (validate as unknown as { errors?: unknown }).errors ?? null, value: copy };
}

describe("precompiled validators", () => {
  it("are up to date with the spec, the state schemas and the protocol schema (else run `npm run validators`)", async () => {
    const { js, dts } = await descopeValidatorsModule();
    expect(readFileSync(GENERATED_FILES.js, "utf8") === js, "src/descope/generated/validators.cjs is out of date: run `npm run validators`").toBe(true);
    expect(readFileSync(GENERATED_FILES.dts, "utf8")).toBe(dts);
  });

  it("cover every schema a sync validates, so a command never compiles one", async () => {
    const schemas = await runtimeSchemas();
    expect(schemas.length).toBeGreaterThanOrEqual(5);
    const missing = schemas.filter(([, schema, use]) => !precompiled[validatorKey(schema, use)]).map(([name]) => name);
    expect(missing).toEqual([]);
    usePrecompiledValidators(async () => precompiled);
    for (const [name, schema, use] of schemas) {
      expect(await validatorFor(schema, use), name).toBe(precompiled[validatorKey(schema, use)]);
    }
  });

  it("answer as ajv compiling the same schema does: validity, errors and filled-in defaults", async () => {
    const config = fixture("sample_config.json") as JsonObject;
    const catalog = fixture("configured_catalog.json") as JsonObject & { streams: JsonObject[] };
    const states = [...(fixture("sample_state.json") as JsonObject[]), ...(fixture("abnormal_state.json") as JsonObject[])].map(
      (message) => (message.stream as { stream_state: JsonObject }).stream_state,
    );
    const inputs: Record<string, unknown[]> = {
      config: [
        config,
        fixture("invalid_config.json"),
        {},
        { ...config, page_size: "100", start_date: "yesterday", base_url: 7 },
        { ...config, project_id: "", max_concurrent_requests: 0 },
      ],
      catalog: [
        catalog,
        withNullOptionals(catalog),
        { streams: catalog.streams.map(({ destination_sync_mode: _dropped, ...stream }) => stream) },
        { streams: [{ ...catalog.streams[0], sync_mode: "sometimes" }] },
        { stream: [] },
      ],
    };
    let compared = 0;
    for (const [name, schema, use] of await runtimeSchemas()) {
      const byAjv = (await newAjv(use)).compile(schema);
      const values = inputs[name] ?? [...states, { modifiedTime: -1 }, { modifiedTime: "1" }, {}, []];
      for (const value of values) {
        expect(verdict(precompiled[validatorKey(schema, use)]!, value), `${name}: ${JSON.stringify(value).slice(0, 80)}`).toEqual(verdict(byAjv, value));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(20);
  });
});
