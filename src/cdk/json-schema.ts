import type { Ajv, Options } from "ajv";

/**
 * ajv (with its formats) loaded on first use: compiling validators is the largest part of a cold start, and
 * `spec` needs none, so the CLIs start at about the cost of Node itself. Every validator in src/cdk comes from here.
 */
export async function newAjv(options: Options, { formats = true } = {}): Promise<Ajv> {
  // Both are CommonJS whose module.exports is the class (the plugin): that is `default` under Node's own import
  // and under the bundle's alike, where named exports are not.
  const AjvClass = (await import("ajv")).default as unknown as typeof Ajv;
  const ajv = new AjvClass(options);
  if (!formats) return ajv;
  const addFormats = (await import("ajv-formats")).default as unknown as (ajv: Ajv) => Ajv;
  return addFormats(ajv);
}
