import { createHash } from "node:crypto";
import type { Logger } from "../cdk/output.js";
import type { JsonObject, JsonSchema } from "../cdk/protocol.js";
import { Checkpoint, type Stream, type StreamContext } from "../cdk/stream.js";
import { userMessageOf } from "../cdk/errors.js";
import type { DescopeClient } from "./client.js";
import { fetchList } from "./streams/list-endpoint.js";

/**
 * Custom attributes as typed, top-level columns of `users` and `test_users` (`custom_<machine name>`), built at
 * discover from `GET /v1/mgmt/user/customattributes`. The raw `customAttributes` object stays as Descope sends it;
 * the columns are a typed copy, so a value that does not fit its declared type is only left out of its column
 * (null), counted, and still there in `customAttributes`.
 *
 * Column names are a pure function of the attribute's name, so a column always means the same attribute:
 * - a name of ASCII letters, digits and `_` (Descope's machine names) gives `custom_<name>`;
 * - any other name, one longer than `MAX_COLUMN_LENGTH` allows, or two names equal but for letter case (warehouses
 *   such as Snowflake and Postgres fold case) give `custom_<name folded to ASCII, other runs as _>_<8 hex of the
 *   SHA-256 of the exact name>`.
 */

/** Postgres truncates identifiers at 63 bytes; every column name stays within it. */
const MAX_COLUMN_LENGTH = 63;
const COLUMN_PREFIX = "custom_";
const HASH_LENGTH = 8;

/** Descope's attribute types (go-sdk `CustomAttribute.Type`, docs/descope-api-notes.md §0.1 item 11). */
export const ATTRIBUTE_TYPES = { text: 1, number: 2, boolean: 3, singleSelect: 4, multiSelect: 5, date: 6, monthDay: 7 } as const;

export interface AttributeDefinition {
  name: string;
  type: number;
}

/** One typed column: its name, the attribute it copies, and its declared schema. */
export interface AttributeColumn {
  column: string;
  attribute: string;
  type: number;
  schema: JsonSchema;
}

/** The columns of one project, or why there are none. */
export interface CustomAttributeColumns {
  columns: AttributeColumn[];
  /** Set when the definitions could not be read (a key without that permission): every column is null then. */
  unavailable?: string;
}

function columnSchema(definition: AttributeDefinition): JsonSchema | undefined {
  const describe = (what: string) => `Descope custom attribute "${definition.name}" (${what}); the raw value stays in customAttributes.`;
  switch (definition.type) {
    case ATTRIBUTE_TYPES.text:
      return { type: ["string", "null"], description: describe("text") };
    case ATTRIBUTE_TYPES.singleSelect:
      return { type: ["string", "null"], description: describe("single select") };
    case ATTRIBUTE_TYPES.number:
      return { type: ["number", "null"], description: describe("number") };
    case ATTRIBUTE_TYPES.boolean:
      return { type: ["boolean", "null"], description: describe("boolean") };
    case ATTRIBUTE_TYPES.multiSelect:
      return { type: ["array", "null"], items: { type: "string" }, description: describe("multi select") };
    case ATTRIBUTE_TYPES.date:
      return { type: ["string", "null"], format: "date-time", description: describe("date, as an RFC 3339 UTC time") };
    case ATTRIBUTE_TYPES.monthDay:
      return { type: ["string", "null"], description: describe("month and day") };
    default:
      return undefined; // a type this connector does not know: no column, the value stays in customAttributes
  }
}

function hashOf(name: string): string {
  return createHash("sha256").update(name).digest("hex").slice(0, HASH_LENGTH);
}

function isPlainName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name) && COLUMN_PREFIX.length + name.length <= MAX_COLUMN_LENGTH;
}

/** `custom_<folded>_<hash>`: safe for any name, and tied to the exact name by its hash. */
function hashedColumnName(name: string): string {
  const folded = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, MAX_COLUMN_LENGTH - COLUMN_PREFIX.length - HASH_LENGTH - 1);
  return `${COLUMN_PREFIX}${folded ? `${folded}_` : ""}${hashOf(name)}`;
}

/** The typed columns for a project's definitions, in definition order; unknown types and unusable names get none. */
export function attributeColumns(definitions: readonly AttributeDefinition[], warn: (message: string) => void = () => {}): AttributeColumn[] {
  const typed = definitions.flatMap((definition) => {
    const schema = typeof definition.name === "string" && definition.name !== "" ? columnSchema(definition) : undefined;
    return schema ? [{ attribute: definition.name, type: definition.type, schema }] : [];
  });
  const plainCaseCounts = new Map<string, number>();
  for (const { attribute } of typed) {
    if (isPlainName(attribute)) plainCaseCounts.set(attribute.toLowerCase(), (plainCaseCounts.get(attribute.toLowerCase()) ?? 0) + 1);
  }
  const taken = new Set<string>();
  const columns: AttributeColumn[] = [];
  for (const entry of typed) {
    const plain = isPlainName(entry.attribute) && plainCaseCounts.get(entry.attribute.toLowerCase()) === 1;
    const column = plain ? COLUMN_PREFIX + entry.attribute : hashedColumnName(entry.attribute);
    if (taken.has(column.toLowerCase())) {
      warn(`Custom attribute "${entry.attribute}" gets no column: its column name ${column} is already taken. Its values stay in customAttributes.`);
      continue;
    }
    taken.add(column.toLowerCase());
    columns.push({ column, ...entry });
  }
  return columns;
}

/**
 * Reads the project's definitions for the schemas. The stream list is built from them for every command, so a
 * failure here must not stop streams that do not need them: a key that may not read them (403), a wrong key (the
 * users stream then fails on its own first request) or an outage after every retry leave the schemas without the
 * columns, with a warning. No value is lost: every one stays in customAttributes.
 */
export async function fetchCustomAttributeColumns(client: DescopeClient, log: Logger): Promise<CustomAttributeColumns> {
  try {
    const rows = await fetchList(client, { method: "GET", path: "/v1/mgmt/user/customattributes", field: "data" });
    return { columns: attributeColumns(rows as unknown as AttributeDefinition[], log.warn) };
  } catch (error) {
    const reason = `the custom attribute definitions could not be read (${userMessageOf(error)})`;
    log.warn(`users, test_users: no custom_ attribute columns: ${reason}. Custom attributes stay in customAttributes.`);
    return { columns: [], unavailable: reason };
  }
}

/** The users schema with one nullable property per column added; `additionalProperties` stays as it is. */
export function schemaWithColumns(schema: JsonSchema, columns: readonly AttributeColumn[]): JsonSchema {
  if (columns.length === 0) return schema;
  const properties = { ...(schema.properties as JsonObject), ...Object.fromEntries(columns.map((column) => [column.column, column.schema])) };
  return { ...schema, properties };
}

type Fit = { value: unknown } | { misfit: true };

/** Descope's date attributes: epoch milliseconds (what its JS console stores) or a date string; anything else misfits. */
function normalisedDate(value: unknown): Fit {
  const ms =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^-?\d+$/.test(value.trim())
        ? Number(value)
        : typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value.trim())
          ? Date.parse(value.trim())
          : Number.NaN;
  const date = new Date(ms);
  return Number.isFinite(ms) && !Number.isNaN(date.getTime()) ? { value: date.toISOString() } : { misfit: true };
}

/** The column value of one attribute value: null when absent or empty, a misfit when it does not fit the type. */
export function columnValue(type: number, value: unknown): Fit {
  if (value === undefined || value === null) return { value: null };
  if (value === "" && type !== ATTRIBUTE_TYPES.text) return { value: null };
  switch (type) {
    case ATTRIBUTE_TYPES.text:
    case ATTRIBUTE_TYPES.singleSelect:
    case ATTRIBUTE_TYPES.monthDay:
      return typeof value === "string" ? { value } : { misfit: true };
    case ATTRIBUTE_TYPES.number:
      return typeof value === "number" && Number.isFinite(value) ? { value } : { misfit: true };
    case ATTRIBUTE_TYPES.boolean:
      return typeof value === "boolean" ? { value } : { misfit: true };
    case ATTRIBUTE_TYPES.multiSelect:
      return Array.isArray(value) && value.every((item) => typeof item === "string") ? { value } : { misfit: true };
    case ATTRIBUTE_TYPES.date:
      return normalisedDate(value);
    default:
      return { misfit: true };
  }
}

/**
 * Which columns a read fills. A catalog configured before an attribute was added or removed keeps its schema:
 * only the custom_ columns it declares are emitted, a declared column whose attribute is gone (or changed type)
 * is null, and new attributes wait for the next discover. Without a configured schema, every column is emitted.
 */
function columnsForRead(available: CustomAttributeColumns, configured: JsonSchema | undefined, log: Logger, stream: string) {
  if (!configured) return { filled: available.columns, nulled: [] as string[] };
  const declared = (configured.properties ?? {}) as Record<string, JsonSchema>;
  const byName = new Map(available.columns.map((column) => [column.column, column]));
  const filled: AttributeColumn[] = [];
  const nulled: string[] = [];
  for (const [name, schema] of Object.entries(declared)) {
    if (!name.startsWith(COLUMN_PREFIX)) continue;
    const column = byName.get(name);
    if (column && JSON.stringify(column.schema.type) === JSON.stringify(schema.type) && column.schema.format === schema.format) filled.push(column);
    else nulled.push(name);
  }
  if (nulled.length > 0) {
    const why = available.unavailable ?? "their custom attributes were removed or changed type in Descope since the catalog was configured";
    log.warn(`${stream}: columns ${nulled.join(", ")} are null: ${why}. Refresh the source schema to pick up the current attributes.`);
  }
  return { filled, nulled };
}

/**
 * Wraps a users stream: its schema gains the columns, and every record yielded gets them filled from
 * `customAttributes`. Misfits are counted per column and reported in one warning when the stream ends.
 */
export function withCustomAttributeColumns(stream: Stream, available: CustomAttributeColumns | undefined): Stream {
  if (!available) return stream;
  return {
    ...stream,
    jsonSchema: schemaWithColumns(stream.jsonSchema, available.columns),
    async *read(context: StreamContext) {
      const { filled, nulled } = columnsForRead(available, context.configuredSchema, context.log, stream.name);
      const misfits = new Map<string, number>();
      try {
        // In place: the records are the stream's own, parsed from Descope's answer a moment ago, and a copy of
        // each (a million users: a million short-lived objects) would only feed the garbage collector.
        const addColumns = (record: JsonObject): void => {
          const raw = (record.customAttributes ?? {}) as JsonObject;
          for (const name of nulled) record[name] = null;
          for (const column of filled) {
            const fit = columnValue(column.type, raw[column.attribute]);
            if ("misfit" in fit) misfits.set(column.column, (misfits.get(column.column) ?? 0) + 1);
            record[column.column] = "misfit" in fit ? null : fit.value;
          }
        };
        for await (const item of stream.read(context)) {
          if (!(item instanceof Checkpoint) && (filled.length > 0 || nulled.length > 0)) {
            for (const record of Array.isArray(item) ? item : [item]) addColumns(record as JsonObject);
          }
          yield item;
        }
      } finally {
        reportMisfits(misfits, stream.name, context);
      }
    },
  };
}

function reportMisfits(misfits: Map<string, number>, stream: string, context: StreamContext): void {
  if (misfits.size === 0) return;
  const total = [...misfits.values()].reduce((sum, count) => sum + count, 0);
  const perColumn = [...misfits].map(([column, count]) => `${column}: ${count}`).join(", ");
  context.log.warn(
    `${stream}: ${total} custom attribute values did not fit their declared type (${perColumn}); those columns are null ` +
      `and the values are kept as Descope sent them in customAttributes.`,
  );
  context.report(`${total} custom attribute values of the wrong type kept raw`);
}
