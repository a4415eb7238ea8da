/** Start-up: wall time of `spec` and `discover` (no network) against a bare `node -e 0`, interleaved, median. */
import { inputFiles } from "../../integration_tests/helpers/messages.js";
import { median, SOURCE_BIN, wallTimeMs } from "../lib/measure.js";
import { ratioRow, seconds, type Row } from "../lib/table.js";

const REPS = 11;
const TARGET_SPEC_RATIO = 1.5;
const TIMEOUT_MS = 30_000;

export async function startup(): Promise<Row[]> {
  // Without custom attribute columns discover builds the streams but sends nothing, so the base URL need not answer.
  const { config } = inputFiles({
    config: { project_id: "P2benchmark", management_key: "K2benchmark", base_url: "http://127.0.0.1:9", custom_attribute_columns: false },
  });
  const commands = {
    "node -e 0": ["-e", "0"],
    spec: [SOURCE_BIN, "spec"],
    discover: [SOURCE_BIN, "discover", "--config", config!],
  };
  const times = new Map<string, number[]>();
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, args] of Object.entries(commands)) times.set(name, [...(times.get(name) ?? []), await wallTimeMs(args, TIMEOUT_MS)]);
  }
  const bare = median(times.get("node -e 0")!);
  return Object.keys(commands).map((name) => {
    const wall = median(times.get(name)!);
    return ratioRow(
      { scenario: "startup", subject: name, metric: `wall time (median of ${REPS})`, value: seconds(wall), ratio: wall / bare },
      name === "spec" ? { atMost: TARGET_SPEC_RATIO } : undefined,
    );
  });
}
