import { checkpoint, type Stream } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { withCustomAttributeColumns, type CustomAttributeColumns } from "../custom-attribute-columns.js";
import { loadSchema } from "../schemas.js";
import { withTombstones } from "../tombstones.js";
import { scanUsers, type ScanPosition, type UserScanOptions } from "../user-scan/index.js";

/**
 * A second this close to "now" may still gain edits of users we already delivered (their modifiedTime stays the
 * same), so a checkpoint taken then does not let a resumed sync skip that second's users.
 */
const SETTLED_AFTER_S = 60;

type UserStreamSettings = {
  pageSize: number;
  concurrency: number;
  searchIntervalMs: number;
  startDateS?: number;
  customAttributeColumns?: CustomAttributeColumns;
};

type UserStreamState = { modifiedTime: number; seenUserIds?: string[]; seenSettled?: boolean };

/**
 * `users` and `test_users`: the search endpoints walked by `modifiedTime` (see user-scan/index.ts for why not plain
 * paging). Incremental syncs checkpoint after every page. The last state keeps only the second, so the next sync
 * re-reads that one second: a user edited again within it keeps its modifiedTime and would otherwise be missed.
 */
function userSearchStream(
  name: string,
  path: UserScanOptions["path"],
  filter: Record<string, unknown>,
  client: DescopeClient,
  settings: UserStreamSettings,
): Stream {
  // Deleted users (incremental only) and typed custom attribute columns: see tombstones.ts and custom-attribute-columns.ts.
  const scanned: Stream = {
    name,
    jsonSchema: loadSchema(name),
    primaryKey: [["userId"]],
    cursorField: ["modifiedTime"],
    stateSchema: {
      type: "object",
      required: ["modifiedTime"],
      properties: {
        modifiedTime: { type: "integer", minimum: 0, description: "epoch seconds" },
        seenUserIds: { type: "array", items: { type: "string" } },
        seenSettled: { type: "boolean" },
      },
    },
    async *read(context) {
      const incremental = context.syncMode === "incremental";
      const saved = context.state as UserStreamState | undefined;
      const from: ScanPosition = incremental
        ? { timeS: saved?.modifiedTime ?? settings.startDateS ?? 0, seenUserIds: saved?.seenSettled ? (saved.seenUserIds ?? []) : [] }
        : { timeS: 0, seenUserIds: [] };
      let position = from;
      const scan = scanUsers(client, {
        path,
        filter,
        timeField: "modifiedTime",
        from,
        pageSize: settings.pageSize,
        concurrency: settings.concurrency,
        requestIntervalMs: settings.searchIntervalMs,
        log: context.log,
        report: context.report,
        onTotal: (total) => context.estimate(total),
      });
      for await (const page of scan) {
        // A page at a time: the engine writes it in one step.
        yield page.users;
        position = page.position;
        if (incremental) {
          const seenSettled = position.timeS < Date.now() / 1000 - SETTLED_AFTER_S;
          yield checkpoint({ modifiedTime: position.timeS, seenUserIds: position.seenUserIds, seenSettled });
        }
      }
      if (incremental) yield checkpoint({ modifiedTime: position.timeS });
    },
  };
  return withTombstones(client, withCustomAttributeColumns(scanned, settings.customAttributeColumns));
}

export function usersStream(client: DescopeClient, settings: UserStreamSettings): Stream {
  return userSearchStream("users", "/v2/mgmt/user/search", {}, client, settings);
}

export function testUsersStream(client: DescopeClient, settings: UserStreamSettings): Stream {
  return userSearchStream("test_users", "/v2/mgmt/user/search/test", { withTestUser: true, testUsersOnly: true }, client, settings);
}
