import type { JsonObject, JsonSchema } from "./protocol.js";

const MASK = "**********";

/**
 * Collects the values of every config field the spec marks `airbyte_secret`, walking nested objects, so logs and
 * traces can be scrubbed without the connector listing its secrets twice.
 */
export function secretValues(connectionSpecification: JsonSchema, config: unknown): string[] {
  const found: string[] = [];
  const walk = (schema: JsonSchema | undefined, value: unknown): void => {
    if (!schema || value === null || typeof value !== "object") return;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [name, propertySchema] of Object.entries(properties)) {
      const fieldValue = (value as JsonObject)[name];
      if (propertySchema.airbyte_secret === true && (typeof fieldValue === "string" || typeof fieldValue === "number")) {
        found.push(String(fieldValue));
      }
      walk(propertySchema, fieldValue);
    }
    for (const variant of (schema.oneOf ?? []) as JsonSchema[]) walk(variant, value);
  };
  walk(connectionSpecification, config);
  return found.filter((secret) => secret.length > 0);
}

/** Replaces every occurrence of the known secrets in a piece of text. Longest first, so overlaps mask fully. */
export class Redactor {
  private secrets: string[] = [];

  add(...values: string[]): void {
    for (const value of values) if (value && !this.secrets.includes(value)) this.secrets.push(value);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) if (result.includes(secret)) result = result.split(secret).join(MASK);
    return result;
  }
}
