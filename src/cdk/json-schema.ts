import type { Ajv, Options } from "ajv";

/**
 * ajv (with its formats) loaded on first use: compiling validators is the largest part of a cold start, and
 * `spec` needs none, so the CLIs start at about the cost of Node itself. Every validator in src/cdk comes from here.
 */
export async function newAjv(options: Options, { formats = true } = {}): Promise<Ajv> {
  const { Ajv: AjvClass } = await import("ajv");
  const ajv = new AjvClass(options);
  if (!formats) return ajv;
  // ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
  const addFormats = (await import("ajv-formats")).default as unknown as (ajv: Ajv) => Ajv;
  return addFormats(ajv);
}
