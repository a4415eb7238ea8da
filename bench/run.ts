/**
 * `npm run bench`: starts the emulator (its own process, 127.0.0.1) at each size, runs every scenario and prints
 * one table. Ratios compare runs made side by side in this one invocation; absolute times drift on shared
 * machines. Options: --only throughput,fan-out,startup,page-size   --sizes 100000,1000000   --reps 2
 */
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { formatTable, type Row } from "./lib/table.js";
import { fanOut } from "./scenarios/fan-out.js";
import { pageSize } from "./scenarios/page-size.js";
import { startup } from "./scenarios/startup.js";
import { throughput } from "./scenarios/throughput.js";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "throughput,fan-out,startup,page-size" },
    sizes: { type: "string", default: "100000,1000000" },
    reps: { type: "string", default: "2" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const reps = Number(values.reps);

const SCENARIOS: Record<string, () => Promise<Row[]>> = {
  throughput: () => throughput(sizes, reps),
  "fan-out": fanOut,
  startup,
  "page-size": pageSize,
};

const rows: Row[] = [];
for (const name of values.only.split(",")) {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`unknown scenario ${name}; choose from ${Object.keys(SCENARIOS).join(", ")}`);
  const started = performance.now();
  rows.push(...(await scenario()));
  console.error(`bench: ${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${new Date().toISOString()}\n`);
console.log(formatTable(rows));
