import { systemError } from "../../cdk/errors.js";
import type { JsonObject } from "../../cdk/protocol.js";
import { checkpoint, type Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { chunk, mapConcurrentOrdered } from "../../cdk/concurrency.js";
import { loadSchema } from "../schemas.js";
import { syntheticId } from "../../cdk/synthetic-id.js";
import { fetchList } from "./list-endpoint.js";
import { scanAllUsers, type ScanPosition } from "../user-scan/index.js";

/** Descope documents no maximum; one call per 100 users is what the SDK examples and our peers use. */
const USERS_PER_HISTORY_CALL = 100;

type LoginHistoryState = {
  /** Logins at or after this second (epoch s) are emitted; the boundary second is re-read on purpose. */
  loginTime?: number;
  /** Present mid-sync only: how far the fan-out over users got, and the newest login seen so far. */
  resume?: { createdTime: number; seenUserIds: string[]; maxLoginTime: number };
};

/**
 * `login_history`: Descope keeps logins per user, with no time filter and no paging, so the stream fans out over
 * every user (walked by `createdTime`, which never changes, so the walk is stable while users are edited) in
 * batches of user IDs, calls in parallel under a bound, and filters by `loginTime` on our side.
 */
export function loginHistoryStream(
  client: DescopeClient,
  settings: { pageSize: number; concurrency: number; searchIntervalMs: number; startDateS?: number },
): Stream {
  return {
    name: "login_history",
    jsonSchema: loadSchema("login_history"),
    primaryKey: [["id"]],
    cursorField: ["loginTime"],
    stateSchema: {
      type: "object",
      properties: {
        loginTime: { type: "integer", minimum: 0 },
        resume: {
          type: "object",
          required: ["createdTime", "seenUserIds", "maxLoginTime"],
          properties: {
            createdTime: { type: "integer" },
            seenUserIds: { type: "array", items: { type: "string" } },
            maxLoginTime: { type: "integer" },
          },
        },
      },
    },
    async *read(context) {
      const incremental = context.syncMode === "incremental";
      const saved = (incremental ? context.state : undefined) as LoginHistoryState | undefined;
      const sinceS = incremental ? (saved?.loginTime ?? settings.startDateS ?? 0) : 0;
      let maxLoginTime = saved?.resume?.maxLoginTime ?? sinceS;
      const from: ScanPosition = saved?.resume
        ? { timeS: saved.resume.createdTime, seenUserIds: saved.resume.seenUserIds }
        : { timeS: 0, seenUserIds: [] };

      const scan = scanAllUsers(client, { ...settings, context, from });
      // Calls run pipelined across user pages (the next page is fetched while calls run); answers and each page's
      // end come back in order, so a checkpoint follows every login of the users before it.
      const work = async function* (): AsyncGenerator<HistoryWork> {
        for await (const page of scan) {
          for (const userIds of chunk(
            page.users.map((user) => user.userId),
            USERS_PER_HISTORY_CALL,
          ))
            yield { userIds };
          yield { position: page.position };
        }
      };
      const answers = mapConcurrentOrdered(work(), settings.concurrency, async (item) =>
        "userIds" in item ? { logins: await fetchHistory(client, item.userIds), userCount: item.userIds.length } : item,
      );
      let usersAsked = 0;
      let calls = 0;
      for await (const answer of answers) {
        if ("position" in answer) {
          const { timeS, seenUserIds } = answer.position;
          if (incremental) yield checkpoint({ loginTime: sinceS, resume: { createdTime: timeS, seenUserIds, maxLoginTime } });
          continue;
        }
        calls++;
        usersAsked += answer.userCount;
        for (const login of answer.logins) {
          if (login.loginTime < sinceS) continue;
          maxLoginTime = Math.max(maxLoginTime, login.loginTime);
          yield { id: loginId(login), ...login };
        }
      }
      context.report(
        `login history of ${usersAsked.toLocaleString("en-US")} users asked in ${calls.toLocaleString("en-US")} calls, every call answered`,
      );
      if (incremental) yield checkpoint({ loginTime: maxLoginTime });
    },
  };
}

type HistoryWork = { userIds: string[] } | { position: ScanPosition };

interface Login extends JsonObject {
  userId: string;
  loginTime: number;
}

/** The SDKs send a bare array of IDs and get a bare array back; the docs show `{usersAuthHistory: [...]}`. fetchList takes both. */
async function fetchHistory(client: DescopeClient, userIds: string[]): Promise<Login[]> {
  const rows = await fetchList(client, { method: "POST", path: "/v1/mgmt/user/history", field: "usersAuthHistory", body: userIds });
  // An answer about users we did not ask for is not the answer to this batch: its users' logins may be missing.
  const asked = new Set(userIds);
  const stranger = rows.find((row) => !asked.has(row.userId as string));
  if (stranger)
    throw systemError(
      `Descope's login history for a batch of ${userIds.length} users held a login of user ${String(stranger.userId)}, who was not asked for; stopping rather than trust the batch.`,
    );
  // Descope omits zero values, so a missing loginTime is 0; the row is kept either way.
  return rows.map((row) => ({ ...row, loginTime: typeof row.loginTime === "number" ? row.loginTime : 0 }) as Login);
}

/** Logins have no ID of their own; the same login always hashes to the same key, so re-reads deduplicate. */
function loginId(login: Login): string {
  return syntheticId([login.userId, login.loginTime, login.ip, login.city, login.country, login.selectedTenant]);
}
