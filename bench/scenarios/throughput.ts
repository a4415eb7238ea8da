/**
 * Throughput and memory: the connector's full-refresh `users` read against the floor (bench/floor.mjs), side by
 * side on one emulator per size (own process, no rate limits, no latency), stdout piped to a line counter. Then
 * the same at a slow destination (~1 MB/s), stopped after a fixed time: memory must stay bounded while the pipe
 * is full.
 */
import { connectorReadArgs, floorArgs, UNPACED_ENV } from "../lib/connector.js";
import { startEmulatorProcess } from "../lib/emulator.js";
import { median, runMeasured, type RunMeasurement } from "../lib/measure.js";
import { mb, perSecond, ratioRow, seconds, type Row } from "../lib/table.js";

const PAGE_SIZE = 1000;
const SLOW_READ_BYTES_PER_S = 1024 * 1024;
const SLOW_RUN_MS = 20_000;
const RUN_TIMEOUT_MS = 15 * 60_000;
/** The pipeline's targets against the floor in the same run: records/s, and peak RSS (both readers hold a page or two). */
const TARGET_RECORDS_PER_S_RATIO = 0.95;
const TARGET_PEAK_RSS_RATIO = 1.1;

const SUBJECTS = {
  connector: (emulator) => connectorReadArgs(emulator, ["users"], { page_size: PAGE_SIZE }),
  "floor (anchor)": (emulator) => floorArgs(emulator, PAGE_SIZE, "anchor"),
  "floor (page/offset)": (emulator) => floorArgs(emulator, PAGE_SIZE, "offset"),
} satisfies Record<string, (emulator: Awaited<ReturnType<typeof startEmulatorProcess>>) => string[]>;
type Subject = keyof typeof SUBJECTS;

export async function throughput(sizes: number[], reps: number): Promise<Row[]> {
  const rows: Row[] = [];
  const connectorPeakMb: number[] = [];
  for (const users of sizes) {
    const label = `users ${users.toLocaleString("en")}`;
    const emulator = await startEmulatorProcess(["--users", String(users), "--no-rate-limits"]);
    try {
      // Interleaved repetitions, so load from other work on the machine falls on every subject alike.
      const runs = new Map<Subject, RunMeasurement[]>();
      for (let rep = 0; rep < reps; rep++) {
        for (const [subject, args] of Object.entries(SUBJECTS) as [Subject, (typeof SUBJECTS)[Subject]][]) {
          const run = await runMeasured({ args: args(emulator), env: UNPACED_ENV, timeoutMs: RUN_TIMEOUT_MS });
          if (run.lines < users) throw new Error(`${subject} printed ${run.lines} lines for ${users} users`);
          runs.set(subject, [...(runs.get(subject) ?? []), run]);
        }
      }
      const best = (subject: Subject): RunMeasurement => runs.get(subject)!.reduce((a, b) => (b.elapsedMs < a.elapsedMs ? b : a));
      // A process's peak RSS depends on when V8 happens to collect: the two floors, the same work, differ by up to 8%
      // between runs. The median of the interleaved runs is compared; the highest is shown beside it.
      const peak = (subject: Subject): number => median(runs.get(subject)!.map((run) => run.peakRssMb));
      const highest = (subject: Subject): number => Math.max(...runs.get(subject)!.map((run) => run.peakRssMb));
      const floor = best("floor (anchor)");
      for (const subject of Object.keys(SUBJECTS) as Subject[]) {
        const run = best(subject);
        rows.push(
          ratioRow(
            {
              scenario: `throughput, ${label}`,
              subject,
              metric: `records/s (best of ${reps}; ${seconds(run.elapsedMs)})`,
              value: perSecond(users, run.elapsedMs),
              ratio: floor.elapsedMs / run.elapsedMs,
            },
            subject === "connector" ? { atLeast: TARGET_RECORDS_PER_S_RATIO } : undefined,
          ),
        );
      }
      for (const subject of Object.keys(SUBJECTS) as Subject[]) {
        rows.push(
          ratioRow(
            {
              scenario: `memory, ${label}`,
              subject,
              metric: `peak RSS (median of ${reps}; highest ${mb(highest(subject))})`,
              value: mb(peak(subject)),
              ratio: peak(subject) / peak("floor (anchor)"),
            },
            subject === "connector" ? { atMost: TARGET_PEAK_RSS_RATIO } : undefined,
          ),
        );
      }
      connectorPeakMb.push(peak("connector"));
      if (users === Math.max(...sizes)) rows.push(...(await slowConsumer(emulator, label)));
    } finally {
      await emulator.close();
    }
  }
  if (sizes.length > 1) {
    rows.push(
      ratioRow(
        {
          scenario: "memory growth",
          subject: "connector",
          metric: `peak RSS ${sizes.at(-1)!.toLocaleString("en")} ÷ ${sizes[0]!.toLocaleString("en")} users`,
          value: `${mb(connectorPeakMb.at(-1)!)} ÷ ${mb(connectorPeakMb[0]!)}`,
          ratio: connectorPeakMb.at(-1)! / connectorPeakMb[0]!,
        },
        { atMost: 1.15 },
      ),
    );
  }
  return rows;
}

/** Both readers against a ~1 MB/s destination for a fixed time: the peak RSS must stay that of a fast run. */
async function slowConsumer(emulator: Awaited<ReturnType<typeof startEmulatorProcess>>, label: string): Promise<Row[]> {
  const rows: Row[] = [];
  const floorRun = await runMeasured({
    args: SUBJECTS["floor (anchor)"](emulator),
    readBytesPerSecond: SLOW_READ_BYTES_PER_S,
    stopAfterMs: SLOW_RUN_MS,
    env: UNPACED_ENV,
    timeoutMs: RUN_TIMEOUT_MS,
  });
  const connectorRun = await runMeasured({
    args: SUBJECTS.connector(emulator),
    readBytesPerSecond: SLOW_READ_BYTES_PER_S,
    stopAfterMs: SLOW_RUN_MS,
    env: UNPACED_ENV,
    timeoutMs: RUN_TIMEOUT_MS,
  });
  for (const [subject, run] of [
    ["floor (anchor)", floorRun],
    ["connector", connectorRun],
  ] as const) {
    rows.push({
      scenario: `slow consumer (1 MB/s, ${SLOW_RUN_MS / 1000} s), ${label}`,
      subject,
      metric: `peak RSS (${(run.bytes / 1024 / 1024).toFixed(0)} MB read)`,
      value: mb(run.peakRssMb),
      ratio: subject === "connector" ? run.peakRssMb / floorRun.peakRssMb : undefined,
    });
  }
  return rows;
}
