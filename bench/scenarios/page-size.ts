/**
 * Page size: requests and wall time of the connector's full-refresh `users` read per page size (unpaced), and
 * the least time a million users take at Descope's 200 user searches per minute at that page size.
 */
import { connectorReadArgs, UNPACED_ENV } from "../lib/connector.js";
import { startEmulatorProcess, type RequestLog } from "../lib/emulator.js";
import { runMeasured } from "../lib/measure.js";
import { seconds, type Row } from "../lib/table.js";

const USERS = 100_000;
const PAGE_SIZES = [100, 250, 500, 1000, 2000, 5000];
const DEFAULT_PAGE_SIZE = 1000;
const USER_SEARCHES_PER_MINUTE = 200;
const RUN_TIMEOUT_MS = 10 * 60_000;

export async function pageSize(): Promise<Row[]> {
  const rows: Row[] = [];
  const emulator = await startEmulatorProcess(["--users", String(USERS), "--no-rate-limits"]);
  try {
    const results: { size: number; requests: number; elapsedMs: number }[] = [];
    for (const size of PAGE_SIZES) {
      await emulator.admin("POST", "reset");
      const run = await runMeasured({
        args: connectorReadArgs(emulator, ["users"], { page_size: size }),
        env: UNPACED_ENV,
        timeoutMs: RUN_TIMEOUT_MS,
      });
      const { requests } = await emulator.admin<RequestLog>("GET", "requests");
      results.push({ size, requests: requests.length, elapsedMs: run.elapsedMs });
    }
    const reference = results.find((result) => result.size === DEFAULT_PAGE_SIZE)!;
    for (const { size, requests, elapsedMs } of results) {
      // Unpaced, requests cost nothing and the scan reads short ranges of one request each, so the count here
      // overstates a paced read, which asks about one request per page: the minimum is a million ÷ page size.
      const millionUserMinutes = Math.ceil(1_000_000 / size) / USER_SEARCHES_PER_MINUTE;
      rows.push({
        scenario: `page size, users ${USERS.toLocaleString("en")}`,
        subject: `page_size ${size}`,
        metric: `requests; wall time (ratio to ${DEFAULT_PAGE_SIZE}); 1M users at ${USER_SEARCHES_PER_MINUTE}/min ≥ ${millionUserMinutes.toFixed(1)} min`,
        value: `${requests}; ${seconds(elapsedMs)}`,
        ratio: elapsedMs / reference.elapsedMs,
      });
    }
  } finally {
    await emulator.close();
  }
  return rows;
}
