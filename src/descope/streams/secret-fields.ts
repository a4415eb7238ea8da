import type { JsonObject } from "../../cdk/protocol.js";

/**
 * Field names that hold credentials. Descope documents that loads never return them (go-sdk: clientSecret "will
 * be empty on response"), but a record is a copy of whatever the API sent, so they are dropped by name anyway,
 * at any depth. `tokenUrl`-style fields are configuration, not tokens, and are kept.
 */
const SECRET_NAME = /secret|password|passwd|private.?key|api.?key|^(access|refresh|id|bearer)?_?token$|^cleartext$/i;

/**
 * A copy of `value` without secret-named fields, and without the `value` of `{key, value}` parameters whose key is
 * secret-named (an outbound app's token URL parameters can carry `client_secret`).
 */
export function withoutSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutSecrets(item)) as T;
  if (value === null || typeof value !== "object") return value;
  const object = value as JsonObject;
  const secretParameter = typeof object.key === "string" && SECRET_NAME.test(object.key.replace(/[-_]/g, ""));
  const copy: JsonObject = {};
  for (const [name, inner] of Object.entries(object)) {
    if (SECRET_NAME.test(name) || (secretParameter && name === "value")) continue;
    copy[name] = withoutSecrets(inner);
  }
  return copy as T;
}
