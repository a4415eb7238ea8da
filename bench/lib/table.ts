/** One line of the results table: a measured value, optionally as a ratio to its floor and checked against a target. */
export interface Row {
  scenario: string;
  subject: string;
  metric: string;
  value: string;
  /** The value divided by its side-by-side reference (the floor, `node -e 0`, the 100k run). */
  ratio?: number;
  /** E.g. "≥ 0.9"; `met` says whether the ratio reaches it. */
  target?: string;
  met?: boolean;
}

export function ratioRow(row: Omit<Row, "met" | "target">, target?: { atLeast?: number; atMost?: number }): Row {
  if (!target || row.ratio === undefined) return row;
  const met = target.atLeast !== undefined ? row.ratio >= target.atLeast : row.ratio <= target.atMost!;
  return { ...row, target: target.atLeast !== undefined ? `≥ ${target.atLeast}` : `≤ ${target.atMost}`, met };
}

export function formatTable(rows: Row[]): string {
  const header = ["scenario", "subject", "metric", "value", "ratio", "target", "met"];
  const cells = rows.map((row) => [
    row.scenario,
    row.subject,
    row.metric,
    row.value,
    row.ratio === undefined ? "" : row.ratio.toFixed(2),
    row.target ?? "",
    row.met === undefined ? "" : row.met ? "yes" : "NO",
  ]);
  const line = (values: string[]): string => `| ${values.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...cells.map(line)].join("\n");
}

export const mb = (value: number): string => `${value.toFixed(0)} MB`;
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const perSecond = (count: number, ms: number): string => `${Math.round(count / (ms / 1000)).toLocaleString("en")} rec/s`;
