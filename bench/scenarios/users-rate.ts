/**
 * The users full refresh against Descope's user-search limit (200 a minute per project, shared with the customer's
 * own application), with 1 s per page as a large project answers, on a clock scaled by TIME_SCALE:
 *
 * - rate-floor: elapsed against the time the connector's default share of that limit (its spec default for
 *   `user_search_requests_per_minute`) allows for the pages it asked. A scan that waits for each page before asking
 *   the next is bound by latency (1 s a page), not by the limit (one page per 0.4 s at 150 a minute).
 * - headroom: the same read while an "app" issues user searches at 25% of the limit; the app must see no 429.
 *
 * 50k users at page_size 100 make 501 searches, 3.3 minutes of the share: several windows, so the first window's
 * burst does not decide the ratio, at a scale where each page's CPU is small against the 20 ms between pages.
 */
import { connectorReadArgs } from "../lib/connector.js";
import { startEmulatorProcess, type EmulatorProcess, type RequestLog } from "../lib/emulator.js";
import { runMeasured } from "../lib/measure.js";
import { connectorSpecDefault, describeCounts, rateLimitFloor, scaledEmulatorFlags, type Bucket, type Limit } from "../lib/rate-limits.js";
import { ratioRow, seconds, type Row } from "../lib/table.js";

const USERS = 50_000;
const PAGE_SIZE = 100;
const PAGE_LATENCY_MS = 1000;
const TIME_SCALE = 0.05;
const DESCOPE_LIMITS: Record<Bucket, Limit> = {
  userSearch: { limit: 200, windowMs: 60_000 },
  management: { limit: 100, windowMs: 60_000 },
  audit: { limit: 10, windowMs: 60_000 },
};
/** The customer's own application takes a quarter of the user-search limit (1% under, for timer jitter). */
const APP_SHARE = 0.25;
const APP_SDK_NAME = "bench-customer-app";
const RUN_TIMEOUT_MS = 3 * 60_000;
const TARGET_FLOOR_RATIO = 1.15;

const scenarioName = `users full refresh, ${USERS.toLocaleString("en")} users, page_size ${PAGE_SIZE}, ${PAGE_LATENCY_MS} ms a page`;

function startUsersEmulator(): Promise<EmulatorProcess> {
  return startEmulatorProcess(["--users", String(USERS), "--test-users", "0", ...scaledEmulatorFlags(DESCOPE_LIMITS, TIME_SCALE, PAGE_LATENCY_MS)]);
}

function readUsers(emulator: EmulatorProcess) {
  return runMeasured({
    args: connectorReadArgs(emulator, ["users"], { page_size: PAGE_SIZE }),
    env: { SOURCE_DESCOPE_TIME_SCALE: String(TIME_SCALE) },
    timeoutMs: RUN_TIMEOUT_MS,
  });
}

/** The floor at the connector's own default share of the user-search limit. */
function shareLimits(): Record<Bucket, Limit> {
  const perMinute = connectorSpecDefault("user_search_requests_per_minute");
  return { ...DESCOPE_LIMITS, userSearch: { limit: perMinute, windowMs: 60_000 } };
}

export async function rateFloor(): Promise<Row[]> {
  const limits = shareLimits();
  const emulator = await startUsersEmulator();
  try {
    const run = await readUsers(emulator);
    if (run.lines < USERS) throw new Error(`the connector printed ${run.lines} lines for ${USERS} users`);
    const floor = rateLimitFloor((await emulator.admin<RequestLog>("GET", "requests")).requests, limits, TIME_SCALE);
    return [
      ratioRow(
        {
          scenario: `rate-floor: ${scenarioName}`,
          subject: "connector",
          metric: `elapsed ÷ floor ${seconds(floor.floorMs)} at ${limits.userSearch.limit}/min (spec default; ${describeCounts(floor.admitted)}; ${floor.rejected} × 429; time scale ${TIME_SCALE})`,
          value: seconds(run.elapsedMs),
          ratio: run.elapsedMs / floor.floorMs,
        },
        { atMost: TARGET_FLOOR_RATIO },
      ),
    ];
  } finally {
    await emulator.close();
  }
}

/**
 * The customer's app: user searches evenly spaced at its share of the limit, each sent no sooner than one
 * interval after the previous one was sent, so it never exceeds its share in any window, until `stop` resolves.
 */
async function customerApp(emulator: EmulatorProcess, stop: Promise<unknown>): Promise<void> {
  const intervalMs = ((DESCOPE_LIMITS.userSearch.windowMs * TIME_SCALE) / (DESCOPE_LIMITS.userSearch.limit * APP_SHARE)) * 1.01;
  const headers = {
    authorization: `Bearer ${emulator.projectId}:${emulator.managementKey}`,
    "content-type": "application/json",
    "x-descope-sdk-name": APP_SDK_NAME,
  };
  let stopped = false;
  void stop.then(() => (stopped = true));
  while (!stopped) {
    const sentAt = performance.now();
    const answer = fetch(`${emulator.url}/v2/mgmt/user/search`, { method: "POST", headers, body: JSON.stringify({ limit: 10 }) });
    void answer.then((response) => response.arrayBuffer()).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + intervalMs - performance.now())));
  }
}

export async function headroom(): Promise<Row[]> {
  const emulator = await startUsersEmulator();
  try {
    // The app starts first, as it would be running already when a sync begins.
    let connectorDone!: () => void;
    const stop = new Promise<void>((resolve) => (connectorDone = resolve));
    const app = customerApp(emulator, stop);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const run = await readUsers(emulator).finally(connectorDone);
    await app;
    await new Promise((resolve) => setTimeout(resolve, PAGE_LATENCY_MS * TIME_SCALE * 4)); // the app's last answers
    const { requests } = await emulator.admin<RequestLog>("GET", "requests");
    const appRequests = requests.filter((request) => request.headers["x-descope-sdk-name"] === APP_SDK_NAME);
    const appRejected = appRequests.filter((request) => request.status === 429).length;
    const connectorRejected = requests.filter((request) => request.status === 429).length - appRejected;
    const perMinute = DESCOPE_LIMITS.userSearch.limit * APP_SHARE;
    return [
      ratioRow(
        {
          scenario: `headroom: ${scenarioName}`,
          subject: `app at ${perMinute}/min`,
          metric: `app's user searches answered 429 during the sync (connector: ${seconds(run.elapsedMs)}, ${connectorRejected} × 429)`,
          value: `${appRejected} of ${appRequests.length}`,
          ratio: appRejected / Math.max(1, appRequests.length),
        },
        { atMost: 0 },
      ),
    ];
  } finally {
    await emulator.close();
  }
}
