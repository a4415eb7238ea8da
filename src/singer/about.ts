import type { ConnectorSpecification, JsonObject, JsonSchema } from "../cdk/protocol.js";

export interface TapInfo {
  name: string;
  description: string;
  version: string;
}

/** What `--about` promises; Meltano's `capabilities` in meltano.yml must not claim more. */
export const CAPABILITIES = ["catalog", "discover", "state", "about"] as const;

/**
 * The Meltano Singer SDK's `--about --format json` shape (singer_sdk `_get_about_info`), minus the Python-only
 * fields. Settings are the Airbyte connection specification, with secrets also marked the SDK way
 * (`secret`/`writeOnly`), so one spec serves both hosts.
 */
export function aboutInfo(info: TapInfo, spec: ConnectorSpecification): JsonObject {
  return {
    name: info.name,
    description: info.description,
    version: info.version,
    capabilities: [...CAPABILITIES],
    settings: singerSettings(spec.connectionSpecification),
  };
}

function singerSettings(schema: JsonSchema): JsonSchema {
  const copy = structuredClone(schema);
  for (const property of Object.values((copy.properties ?? {}) as Record<string, JsonSchema>)) {
    if (property.airbyte_secret === true) Object.assign(property, { secret: true, writeOnly: true });
  }
  return copy;
}

export function aboutMarkdown(about: JsonObject): string {
  const settings = about.settings as JsonSchema;
  const required = new Set((settings.required ?? []) as string[]);
  const rows = Object.entries((settings.properties ?? {}) as Record<string, JsonSchema>).map(([name, property]) => {
    const cells = [
      name,
      required.has(name) ? "True" : "False",
      property.default === undefined ? "None" : JSON.stringify(property.default),
      String(property.description ?? property.title ?? "").replace(/\|/g, "\\|") + (property.secret ? " (secret)" : ""),
    ];
    return `| ${cells.join(" | ")} |`;
  });
  return [
    `# \`${String(about.name)}\``,
    "",
    String(about.description),
    "",
    `Version: ${String(about.version)}`,
    "",
    "## Capabilities",
    "",
    ...(about.capabilities as string[]).map((capability) => `* \`${capability}\``),
    "",
    "## Settings",
    "",
    "| Setting | Required | Default | Description |",
    "|:--------|:--------:|:-------:|:------------|",
    ...rows,
    "",
  ].join("\n");
}

export function aboutText(about: JsonObject): string {
  const settings = Object.keys(((about.settings as JsonSchema).properties ?? {}) as JsonObject);
  return [
    `Name: ${String(about.name)}`,
    `Description: ${String(about.description)}`,
    `Version: ${String(about.version)}`,
    `Capabilities: [${(about.capabilities as string[]).join(", ")}]`,
    `Settings: [${settings.join(", ")}]`,
    "",
  ].join("\n");
}
