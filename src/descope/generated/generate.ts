/**
 * Writes validators.cjs (and its .d.cts) beside this file: the Descope source's validators, precompiled
 * (src/cdk/precompile.ts). Run `npm run validators` after changing the spec, a stream's state schema or the vendored
 * protocol schema; validators.test.ts fails until you do.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { validateConfig } from "../../cdk/inputs.js";
import { precompiledValidatorsModule, schemasToPrecompile } from "../../cdk/precompile.js";
import { descopeSource } from "../source.js";
import type { DescopeConfig } from "../spec.js";

export const GENERATED_FILES = { js: new URL("validators.cjs", import.meta.url), dts: new URL("validators.d.cts", import.meta.url) };

export async function descopeValidatorsModule(): Promise<{ js: string; dts: string }> {
  // The streams' state schemas do not depend on the config; without custom attribute columns, listing them calls nobody.
  const exampleConfig = { project_id: "P0", management_key: "K0", custom_attribute_columns: false };
  const config = await validateConfig<DescopeConfig>(descopeSource.spec().connectionSpecification, exampleConfig, "(example)");
  const runtime = { log: { debug() {}, info() {}, warn() {}, error() {} }, rateLimited() {}, onClose() {} };
  const schemas = await schemasToPrecompile(descopeSource, config, runtime);
  return precompiledValidatorsModule(schemas, "npm run validators");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { js, dts } = await descopeValidatorsModule();
  writeFileSync(GENERATED_FILES.js, js);
  writeFileSync(GENERATED_FILES.dts, dts);
  console.log(`wrote ${fileURLToPath(GENERATED_FILES.js)} and its .d.cts`);
}
