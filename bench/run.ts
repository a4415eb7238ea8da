/**
 * `npm run bench`: starts the emulator (its own process, 127.0.0.1) at each size, runs every scenario and prints
 * one table. Ratios compare runs made side by side in this one invocation; absolute times drift on shared
 * machines. Options: --only rate-floor,headroom,fan-out,throughput,startup,page-size (a subset, in that order
 * by default)   --sizes 100000,1000000 (throughput)   --reps 5 (throughput)
 */
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { formatTable, type Row } from "./lib/table.js";
import { fanOut } from "./scenarios/fan-out.js";
import { pageSize } from "./scenarios/page-size.js";
import { startup } from "./scenarios/startup.js";
import { throughput } from "./scenarios/throughput.js";
import { headroom, rateFloor } from "./scenarios/users-rate.js";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    sizes: { type: "string", default: "100000,1000000" },
    reps: { type: "string", default: "5" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const reps = Number(values.reps);

const SCENARIOS: Record<string, () => Promise<Row[]>> = {
  "rate-floor": rateFloor,
  headroom,
  "fan-out": fanOut,
  throughput: () => throughput(sizes, reps),
  startup,
  "page-size": pageSize,
};

const chosen = values.only?.split(",") ?? Object.keys(SCENARIOS);
const unknown = chosen.filter((name) => !(name in SCENARIOS));
if (unknown.length) throw new Error(`unknown scenario ${unknown.join(", ")}; choose from ${Object.keys(SCENARIOS).join(", ")}`);

const rows: Row[] = [];
for (const name of chosen) {
  const scenario = SCENARIOS[name]!;
  const started = performance.now();
  rows.push(...(await scenario()));
  console.error(`bench: ${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
console.log(
  `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${new Date().toISOString()}\n`,
);
console.log(formatTable(rows));
