/**
 * Fan-out under rate limits the connector is not told: `login_history` and `provider_tokens` against an emulator
 * whose management limit is 1000/10 s (Descope's backend-SDK budget) and against one whose limit is 100/60 s
 * (plain API traffic); which one a client gets is not documented (docs/descope-api-notes.md §0.1 item 9). The connector runs with
 * its default budgets, so it must find the limit itself. Clocks are scaled so each run's floor is ~10 s.
 *
 * Throughput is the floor ÷ elapsed, the floor being the busiest bucket's admitted requests ÷ limit × window, with
 * user search at the connector's own share (its spec default) and management at the enforced limit. Where the
 * binding bucket's requests fit in one window, a burst may beat the floor (ratio above 1). A run still going
 * after STOP_AFTER_MS is stopped: the floor of the requests it made by then ÷ that time is still its throughput.
 * `max_concurrent_requests` 32, so latency never binds before the limit does (1000/10 s is 100 requests/s, which
 * at 100 ms a request needs 10 in flight).
 */
import { connectorReadArgs } from "../lib/connector.js";
import { startEmulatorProcess, type RequestLog } from "../lib/emulator.js";
import { runMeasured } from "../lib/measure.js";
import {
  connectorSpecDefault,
  describeCounts,
  describeLimit,
  rateLimitFloor,
  scaledEmulatorFlags,
  type Bucket,
  type Limit,
} from "../lib/rate-limits.js";
import { ratioRow, seconds, type Row } from "../lib/table.js";

const LATENCY_MS = 100;
const CONCURRENCY = 32;
/** Three times the ~10 s floor: a connector pacing to 100/min against 1000/10 s would take 60 times the floor. */
const STOP_AFTER_MS = 30_000;
const RUN_TIMEOUT_MS = 2 * 60_000;
const TARGET_THROUGHPUT = 0.85;
const TARGET_REJECTED_SHARE = 0.02;

const USER_SEARCH: Limit = { limit: 200, windowMs: 60_000 };
const AUDIT: Limit = { limit: 10, windowMs: 60_000 };
const MANAGEMENT_LIMITS: Record<string, Limit> = {
  "backend SDK": { limit: 1000, windowMs: 10_000 },
  "plain API": { limit: 100, windowMs: 60_000 },
};

/**
 * Users and time scale per run, for a ~10 s floor: history is ~1 call per 100 users, tokens ~0.38 per user.
 * login_history at 1000/10 s is bound by user search (10 history calls per 1000-user page), in one window.
 */
const RUNS = [
  { stream: "login_history", management: "backend SDK", users: 20_000, timeScale: 1 },
  { stream: "login_history", management: "plain API", users: 20_000, timeScale: 0.1 },
  { stream: "provider_tokens", management: "backend SDK", users: 13_000, timeScale: 0.25 },
  { stream: "provider_tokens", management: "plain API", users: 5_000, timeScale: 0.01 },
];

export async function fanOut(): Promise<Row[]> {
  const userSearchShare: Limit = { limit: connectorSpecDefault("user_search_requests_per_minute"), windowMs: 60_000 };
  const rows: Row[] = [];
  for (const { stream, management, users, timeScale } of RUNS) {
    const enforced: Record<Bucket, Limit> = { userSearch: USER_SEARCH, management: MANAGEMENT_LIMITS[management]!, audit: AUDIT };
    const emulator = await startEmulatorProcess(["--users", String(users), ...scaledEmulatorFlags(enforced, timeScale, LATENCY_MS)]);
    try {
      const run = await runMeasured({
        args: connectorReadArgs(emulator, [stream], { max_concurrent_requests: CONCURRENCY }),
        env: { SOURCE_DESCOPE_TIME_SCALE: String(timeScale) },
        stopAfterMs: STOP_AFTER_MS,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      const { requests } = await emulator.admin<RequestLog>("GET", "requests");
      const floor = rateLimitFloor(requests, { ...enforced, userSearch: userSearchShare }, timeScale);
      const stopped =
        run.exitCode === 0 ? "" : run.elapsedMs >= STOP_AFTER_MS ? `; stopped after ${seconds(STOP_AFTER_MS)}` : `; FAILED, exit ${run.exitCode}`;
      const scenario = `fan-out, ${stream}, ${users.toLocaleString("en")} users, management ${describeLimit(enforced.management)} (${management})`;
      rows.push(
        ratioRow(
          {
            scenario,
            subject: "connector",
            metric: `throughput ÷ limit: floor ${seconds(floor.floorMs)} (${floor.binding} binds; ${describeCounts(floor.admitted)}; time scale ${timeScale}) ÷ elapsed${stopped}`,
            value: seconds(run.elapsedMs),
            ratio: floor.floorMs / run.elapsedMs,
          },
          { atLeast: TARGET_THROUGHPUT },
        ),
        ratioRow(
          {
            scenario,
            subject: "connector",
            metric: "share of requests answered 429",
            value: `${floor.rejected} of ${floor.total}`,
            ratio: floor.rejected / floor.total,
          },
          { atMost: TARGET_REJECTED_SHARE },
        ),
      );
    } finally {
      await emulator.close();
    }
  }
  return rows;
}
