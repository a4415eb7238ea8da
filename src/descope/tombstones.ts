import type { Logger } from "../cdk/output.js";
import type { JsonObject, JsonSchema } from "../cdk/protocol.js";
import { Checkpoint, checkpoint, type Stream, type StreamContext } from "../cdk/stream.js";
import { DescopeApiError, type DescopeClient } from "./client.js";
import { AuditReadTally, readAuditWindow } from "./audit-window.js";

/**
 * Tombstones for hard-deleted users (docs/descope-api-notes.md §0.1 item 12): Descope's user search never shows a deleted user
 * again, so an incremental sync learns of deletions from the audit trail (`UserDeleted`, bulk `UsersDeleted`)
 * and emits, once per deleted user, a record `{userId, modifiedTime, _ab_cdc_deleted_at}` — Airbyte's CDC
 * convention, which append-dedup destinations apply as a delete. `modifiedTime` is the deletion's second: the
 * cursor decides which version of a user a dedup keeps (and sorts a missing cursor last), so the tombstone must
 * carry one at least as new as the user's last version. Live records do not carry `_ab_cdc_deleted_at` (absent
 * reads as null in every destination), so they stay exactly as Descope sends them.
 *
 * The audit trail is read in a fixed window `(deletionsCheckedUntilMs, sync start − 1–2 minutes]` that is already in the
 * past, so it is a set that no longer changes and can be paged by counter in whatever order Descope answers
 * (`oldestFirst` may be ignored, `from`/`to` may be exclusive: the request asks one millisecond wider on each
 * side and filters here). Every ID found is checked with `POST /v1/mgmt/users/load`: a user deleted and
 * created again with the same ID still exists and gets no tombstone. Deletion events do not say whether the user
 * was a test user, so `users` and `test_users` both carry every tombstone; one for an ID a table never held
 * deletes nothing.
 */

const DELETION_ACTIONS = ["UserDeleted", "UsersDeleted"];
/** Descope keeps (and lets us search) 30 days of audit events. */
const AUDIT_RETENTION_MS = 30 * 24 * 3600 * 1000;
/** Reading starts this far inside the retention edge when it must start there: the edge moves while we page. */
const RETENTION_MARGIN_MS = 60 * 60 * 1000;
/** Events written in the last minute may not be searchable yet; they belong to the next sync's window. */
const WINDOW_END_LAG_MS = 60 * 1000;
const MINUTE_MS = 60 * 1000;
/** User IDs per `users/load` request; the limit is undocumented ("validated in app level"). */
const LOAD_BATCH_SIZE = 100;
/** Where a bulk `UsersDeleted` event may list its users; the real shape is undocumented (README "Assumptions about the Descope API"). */
const USER_ID_LIST_FIELDS = ["userIds", "userIDs", "user_ids", "users", "deletedUserIds", "ids"];

export const DELETED_AT_COLUMN = "_ab_cdc_deleted_at";

/** What the users state adds: deletions up to this time (epoch ms, inclusive) have been emitted as tombstones. */
export interface DeletionsState {
  deletionsCheckedUntilMs?: number;
  modifiedTime?: number;
}

export const DELETIONS_STATE_PROPERTIES: JsonObject = {
  deletionsCheckedUntilMs: { type: "integer", minimum: 0, description: "epoch milliseconds; deletions up to here were emitted as tombstones" },
};

interface AuditRecord extends JsonObject {
  occurred?: unknown;
  action?: unknown;
  userId?: unknown;
  data?: unknown;
}

export interface Deletion {
  userId: string;
  deletedAtMs: number;
}

/** The IDs a deletion event names: its `userId`, and any list under the fields bulk events may use in `data`. */
export function deletedUserIdsOf(event: AuditRecord): string[] {
  const ids = new Set<string>();
  if (typeof event.userId === "string" && event.userId !== "") ids.add(event.userId);
  let data = event.data;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      data = undefined;
    }
  }
  const containers = [data, event].filter((value): value is JsonObject => value !== null && typeof value === "object");
  for (const container of containers) {
    if (typeof container.userId === "string" && container.userId !== "") ids.add(container.userId);
    for (const field of USER_ID_LIST_FIELDS) {
      const list = container[field];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const id = typeof item === "string" ? item : (item as JsonObject | null)?.userId;
        if (typeof id === "string" && id !== "") ids.add(id);
      }
    }
  }
  return [...ids];
}

/**
 * Every deletion event with `sinceMs < occurred <= untilMs`, read completely and checked against Descope's count
 * by the same order-free window read as `audit_events` (audit-window.ts).
 */
export async function deletionEventsBetween(client: DescopeClient, sinceMs: number, untilMs: number): Promise<AuditRecord[]> {
  const window = await readAuditWindow(
    client,
    { fromMs: sinceMs + 1, toMs: untilMs, maxEvents: Number.POSITIVE_INFINITY, actions: DELETION_ACTIONS },
    new AuditReadTally(),
  );
  return window.events.filter((event) => DELETION_ACTIONS.includes(String(event.action)));
}

/** The latest deletion of each user the events name, and how many events named no one we could read. */
export function deletionsOf(events: readonly AuditRecord[]): { deletions: Deletion[]; unreadable: number } {
  const latest = new Map<string, number>();
  let unreadable = 0;
  for (const event of events) {
    const ids = deletedUserIdsOf(event);
    if (ids.length === 0) unreadable++;
    for (const id of ids) latest.set(id, Math.max(latest.get(id) ?? Number.NEGATIVE_INFINITY, Number(event.occurred)));
  }
  return { deletions: [...latest].map(([userId, deletedAtMs]) => ({ userId, deletedAtMs })), unreadable };
}

/** The IDs among `userIds` that exist now (disabled and expired users included). */
export async function existingUserIds(client: DescopeClient, userIds: readonly string[]): Promise<Set<string>> {
  const existing = new Set<string>();
  for (let i = 0; i < userIds.length; i += LOAD_BATCH_SIZE) {
    const batch = userIds.slice(i, i + LOAD_BATCH_SIZE);
    const answer = (await client.post("/v1/mgmt/users/load", { userIds: batch, includeInvalidUsers: true }, "management")) as {
      users?: JsonObject[];
    };
    for (const user of Array.isArray(answer?.users) ? answer.users : []) {
      if (typeof user.userId === "string") existing.add(user.userId);
    }
  }
  return existing;
}

export function tombstone(deletion: Deletion): JsonObject {
  return { userId: deletion.userId, modifiedTime: Math.floor(deletion.deletedAtMs / 1000), [DELETED_AT_COLUMN]: iso(deletion.deletedAtMs) };
}

/**
 * Where this sync's deletion window starts. A state from before tombstones existed has only its cursor (the
 * last sync ran at or after it). A start older than Descope's 30 days is moved inside them, with a warning: the
 * deletions in between cannot be known, and only a full refresh removes those users downstream.
 */
export function deletionWindowStart(saved: DeletionsState, stream: string, log: Logger, nowMs = Date.now()): number {
  const sinceMs = saved.deletionsCheckedUntilMs ?? Math.max(0, (saved.modifiedTime ?? 0) * 1000 - 1);
  const oldestMs = nowMs - AUDIT_RETENTION_MS + RETENTION_MARGIN_MS;
  if (sinceMs >= oldestMs) return sinceMs;
  log.warn(
    `${stream}: users deleted between ${iso(sinceMs)} and ${iso(oldestMs)} cannot be known: Descope keeps audit events for 30 days, ` +
      `and deletions were last checked up to ${iso(sinceMs)}. Deleted users from that gap may remain in the destination; ` +
      `to repair it, run a full refresh of ${stream} (Airbyte: refresh the stream; Singer: sync it without its bookmark). ` +
      `Deletions from ${iso(oldestMs)} on are emitted as tombstones.`,
  );
  return oldestMs;
}

/**
 * Wraps a users stream (whose schema file declares `_ab_cdc_deleted_at`): its state remembers
 * `deletionsCheckedUntilMs`, and an incremental read with a saved state first emits the tombstones of users
 * deleted since then (checkpointed like any record), then the stream's own records. A full refresh is the
 * stream itself: it emits live users only.
 */
export function withTombstones(client: DescopeClient, stream: Stream): Stream {
  const stateSchema = stream.stateSchema ?? { type: "object" };
  return {
    ...stream,
    stateSchema: { ...stateSchema, properties: { ...(stateSchema.properties as JsonObject), ...DELETIONS_STATE_PROPERTIES } } as JsonSchema,
    async *read(context: StreamContext) {
      if (context.syncMode !== "incremental") return yield* stream.read(context);
      const saved = context.state as (DeletionsState & JsonObject) | undefined;
      const untilMs = saved ? yield* emitTombstones(client, stream.name, saved, context) : windowEndMs();
      for await (const item of stream.read(context)) {
        yield item instanceof Checkpoint ? checkpoint(withCheckedUntil(item.state, untilMs)) : item;
      }
    },
  };
}

/**
 * This sync's window end: at least a minute ago, on a whole minute, so the state a sync leaves does not depend on
 * the milliseconds it took to reach this stream (reproducible fixtures). An earlier end only moves deletions to
 * the next sync's window.
 */
function windowEndMs(): number {
  return Math.floor((Date.now() - WINDOW_END_LAG_MS) / MINUTE_MS) * MINUTE_MS;
}

function withCheckedUntil(state: JsonObject, untilMs: number | undefined): JsonObject {
  return untilMs === undefined ? state : { ...state, deletionsCheckedUntilMs: untilMs };
}

/** Emits the window's tombstones and a checkpoint after them; returns how far deletions are now checked. */
async function* emitTombstones(
  client: DescopeClient,
  stream: string,
  saved: DeletionsState & JsonObject,
  context: StreamContext,
): AsyncGenerator<JsonObject | Checkpoint, number | undefined> {
  const untilMs = windowEndMs();
  const sinceMs = deletionWindowStart(saved, stream, context.log);
  if (sinceMs >= untilMs) return saved.deletionsCheckedUntilMs;
  let events: AuditRecord[];
  try {
    events = await deletionEventsBetween(client, sinceMs, untilMs);
  } catch (error) {
    // A key that may read users but not the audit trail still syncs users; deletions wait until it may.
    if (!(error instanceof DescopeApiError && error.status === 403)) throw error;
    context.log.warn(
      `${stream}: deleted users cannot be detected: this management key may not search the audit trail (HTTP 403). ` +
        `No tombstones are emitted; deletions since ${iso(sinceMs)} will be emitted once the key may read audit events (within 30 days).`,
    );
    return saved.deletionsCheckedUntilMs;
  }
  const { deletions, unreadable } = deletionsOf(events);
  if (unreadable > 0) {
    context.log.warn(
      `${stream}: ${unreadable} user deletion events between ${iso(sinceMs)} and ${iso(untilMs)} name no user ID this connector can read, ` +
        `so those users get no tombstone and may remain in the destination; a full refresh of ${stream} removes them.`,
    );
  }
  const existing = await existingUserIds(
    client,
    deletions.map((deletion) => deletion.userId),
  );
  const gone = deletions.filter((deletion) => !existing.has(deletion.userId));
  for (const deletion of gone) yield tombstone(deletion);
  context.report(
    `${gone.length} tombstones for users deleted since ${iso(sinceMs)}${existing.size ? ` (${existing.size} re-created, none for them)` : ""}`,
  );
  if (gone.length > 0) yield checkpoint(withCheckedUntil(saved, untilMs));
  return untilMs;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
