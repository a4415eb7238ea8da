/**
 * Fan-out under rate limits: `login_history` and `provider_tokens` for 20k users, 50 ms latency per request, the
 * emulator enforcing Descope's per-window limits (fixed windows) and the connector pacing itself to the same
 * limits. Windows are scaled down (connector: SOURCE_DESCOPE_TIME_SCALE; emulator: --rate-limit windowMs) so each
 * stream's rate-limit floor is about 20 s. The floor of a bucket is its admitted requests ÷ limit × window; the
 * stream's floor is that of its busiest bucket.
 */
import { connectorReadArgs } from "../lib/connector.js";
import { startEmulatorProcess, type RequestLog } from "../lib/emulator.js";
import { runMeasured } from "../lib/measure.js";
import { ratioRow, seconds, type Row } from "../lib/table.js";

const USERS = 20_000;
const LATENCY_MS = 50;
const PER_MINUTE = { userSearch: 200, management: 100, audit: 10 } as const;
type Bucket = keyof typeof PER_MINUTE;
/** Enough requests in flight that 50 ms latency never limits before the scaled rate does. */
const CONCURRENCY = 32;
const RUN_TIMEOUT_MS = 3 * 60_000;

/** Time scale per stream: chosen so requests ÷ limit × window ≈ 20 s (≈200 history calls; ≈9,000 token calls). */
const STREAMS = [
  { stream: "login_history", timeScale: 0.1 },
  { stream: "provider_tokens", timeScale: 0.004 },
];

function bucketOf(path: string): Bucket {
  if (path.startsWith("/v1/mgmt/user/search") || path.startsWith("/v2/mgmt/user/search")) return "userSearch";
  return path.startsWith("/v1/mgmt/audit") ? "audit" : "management";
}

export async function fanOut(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const { stream, timeScale } of STREAMS) {
    const windowMs = 60_000 * timeScale;
    const limits = (Object.keys(PER_MINUTE) as Bucket[]).flatMap((bucket) => ["--rate-limit", `${bucket}=${PER_MINUTE[bucket]}/${Math.round(windowMs)}`]);
    const emulator = await startEmulatorProcess(["--users", String(USERS), "--latency-ms", String(LATENCY_MS), ...limits]);
    try {
      const run = await runMeasured({
        args: connectorReadArgs(emulator, [stream], { max_concurrent_requests: CONCURRENCY }),
        env: { SOURCE_DESCOPE_TIME_SCALE: String(timeScale) },
        timeoutMs: RUN_TIMEOUT_MS,
      });
      const log = await emulator.admin<RequestLog>("GET", "requests");
      const admitted = new Map<Bucket, number>();
      for (const request of log.requests) {
        if (request.status !== 429) admitted.set(bucketOf(request.path), (admitted.get(bucketOf(request.path)) ?? 0) + 1);
      }
      const floorMs = Math.max(...[...admitted].map(([bucket, count]) => (count / PER_MINUTE[bucket]) * Math.round(windowMs)));
      const rejected = log.requests.filter((request) => request.status === 429).length;
      const scenario = `fan-out, ${stream}, ${USERS.toLocaleString("en")} users`;
      const counts = [...admitted].map(([bucket, count]) => `${count} ${bucket}`).join(", ");
      rows.push(
        ratioRow({ scenario, subject: "connector", metric: `elapsed ÷ rate-limit floor ${seconds(floorMs)} (${counts}; window ${Math.round(windowMs)} ms)`, value: seconds(run.elapsedMs), ratio: run.elapsedMs / floorMs }, { atMost: 1.1 }),
        ratioRow({ scenario, subject: "connector", metric: "share of requests answered 429", value: `${rejected} of ${log.requests.length}`, ratio: rejected / log.requests.length }, { atMost: 0.02 }),
      );
    } finally {
      await emulator.close();
    }
  }
  return rows;
}
