import { systemError } from "../../cdk/errors.js";
import type { JsonObject } from "../../cdk/protocol.js";
import { checkpoint, type Stream, type StreamContext } from "../../cdk/stream.js";
import type { DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";
import { syntheticId } from "../synthetic-id.js";

/** Descope serves the last 30 days of audit events and rejects a `from` older than that. */
const RETENTION_MS = 30 * 24 * 3600 * 1000;
/** How far inside the 30-day edge reading starts, when it must start there: the edge moves on while a sync runs. */
const RETENTION_MARGIN_MS = 10 * 60 * 1000;
/** A `from` this close to the edge may already be refused: our clock and Descope's need not agree. */
const CLOCK_SKEW_MS = 60 * 1000;
/** The window ends this long before the sync starts, so events still being written land in the next sync. */
const WINDOW_END_LAG_MS = 60 * 1000;
/** Descope's maximum (and default) page size. */
const PAGE_SIZE = 1000;

type AuditPosition = {
  /** The next request starts at this time (epoch ms), inclusive. */
  occurredMs: number;
  /** Events at exactly `occurredMs` already emitted; skipped when that millisecond is read again. */
  seenIds?: string[];
};

interface AuditEvent extends JsonObject {
  ID: string;
  occurred: string;
}

/**
 * `audit_events`: `POST /v1/mgmt/audit/search`, oldest first, in a window whose end is fixed at sync start (minus
 * a lag) so events written during the sync never shift pages. Every page after the first starts at the newest
 * millisecond already read, skipping the events of that millisecond it emitted (by ID): a plain page counter
 * would keep sending the sync's first `from`, and a backfill paced at 10 requests a minute would see Descope's
 * 30-day edge overtake it and reject the request. The page counter only steps past a millisecond holding a whole
 * page of events. Each page ends in a checkpoint of that position, so a resumed sync neither loses nor repeats.
 */
export function auditEventsStream(client: DescopeClient, settings: { startDateMs?: number }): Stream {
  return {
    name: "audit_events",
    jsonSchema: loadSchema("audit_events"),
    primaryKey: [["ID"]],
    cursorField: ["occurred"],
    stateSchema: {
      type: "object",
      required: ["occurredMs"],
      properties: {
        occurredMs: { type: "integer", minimum: 0, description: "epoch milliseconds" },
        seenIds: { type: "array", items: { type: "string" } },
      },
    },
    async *read(context) {
      const incremental = context.syncMode === "incremental";
      const toMs = Date.now() - WINDOW_END_LAG_MS;
      const saved = incremental ? (context.state as AuditPosition | undefined) : undefined;
      let position = startPosition(saved, incremental ? settings.startDateMs : undefined, context.log);
      let page = 0;
      let firstRequest = true;
      while (position.occurredMs <= toMs) {
        const clamped = clampToRetention(position, context.log);
        if (clamped !== position) [position, page] = [clamped, 0];
        const body = { from: position.occurredMs, to: toMs, page, size: PAGE_SIZE, oldestFirst: true };
        const answer = (await client.post("/v1/mgmt/audit/search", body, "audit")) as { audits?: JsonObject[]; total?: number };
        const events = (answer.audits ?? []).map(withKeyAndTime);
        // The first answer's total counts the whole window; later ones count only what is left of it.
        if (firstRequest && typeof answer.total === "number") context.estimate(answer.total);
        firstRequest = false;
        const seen = new Set(position.seenIds);
        let fresh = 0;
        for (const event of events) {
          if (seen.has(event.ID)) continue;
          fresh++;
          yield event;
        }
        if (events.length === 0) break;
        const next = positionAfter(position, events);
        page = next.occurredMs === position.occurredMs ? page + 1 : 0;
        position = next;
        // Older deployments may cap or ignore `size`, so a short page alone does not prove the end: `total` does,
        // and without it, a short answer that brought nothing new.
        const complete = typeof answer.total === "number" ? events.length >= answer.total : fresh === 0 && events.length < PAGE_SIZE;
        if (complete) break;
        if (incremental) yield checkpoint(position);
      }
      if (incremental) yield checkpoint(position);
    },
  };
}

/** The saved position, or the start date, moved up to the 30 days Descope keeps; a saved cursor that aged out means lost events. */
function startPosition(saved: AuditPosition | undefined, startDateMs: number | undefined, log: StreamContext["log"]): AuditPosition {
  if (saved) return clampToRetention(saved, log);
  const oldestMs = oldestReadableMs();
  if (startDateMs !== undefined && startDateMs < oldestMs) {
    log.info(`audit_events: Descope keeps audit events for 30 days, so reading starts at ${iso(oldestMs)} rather than the configured start_date.`);
  }
  return { occurredMs: Math.max(startDateMs ?? 0, oldestMs) };
}

/**
 * Descope refuses a `from` older than 30 days. A position that old (a stale saved cursor, or a backfill the edge
 * overtook) moves inside the edge, and the events skipped are gone for good, which the user must hear about.
 */
function clampToRetention(position: AuditPosition, log: StreamContext["log"]): AuditPosition {
  if (position.occurredMs >= Date.now() - RETENTION_MS + CLOCK_SKEW_MS) return position;
  const oldestMs = oldestReadableMs();
  log.warn(
    `audit_events: events from ${iso(position.occurredMs)} to ${iso(oldestMs)} were lost between syncs: Descope keeps audit events ` +
      `for 30 days only and the last sync reached ${iso(position.occurredMs)}. Continuing from ${iso(oldestMs)}; sync at least every few weeks to avoid gaps.`,
  );
  return { occurredMs: oldestMs };
}

function oldestReadableMs(): number {
  return Date.now() - RETENTION_MS + RETENTION_MARGIN_MS;
}

/** Where the next page starts: the newest millisecond read so far, with the IDs already emitted at it. */
function positionAfter(position: AuditPosition, events: AuditEvent[]): AuditPosition {
  const newestMs = Math.max(...events.map((event) => Number(event.occurred)));
  const idsAtNewest = events.filter((event) => Number(event.occurred) === newestMs).map((event) => event.ID);
  const carried = newestMs === position.occurredMs ? (position.seenIds ?? []) : [];
  return { occurredMs: newestMs, seenIds: [...new Set([...carried, ...idsAtNewest])] };
}

/**
 * Descope documents an `ID`, but no SDK reads it and it may be missing; then a hash of the fields that tell events
 * apart stands in (reference §5). `occurredAt` is `occurred` (a string of epoch ms on the wire) as a timestamp.
 */
function withKeyAndTime(event: JsonObject): AuditEvent {
  // int64 comes through Descope's JSON gateway as a string; a number is accepted too, and stored as the string.
  const occurredMs = Number(event.occurred);
  if ((typeof event.occurred !== "string" && typeof event.occurred !== "number") || !Number.isFinite(occurredMs)) {
    throw systemError(`Unexpected audit event from Descope: "occurred" should be epoch milliseconds, got ${JSON.stringify(event.occurred)}.`);
  }
  const ID =
    typeof event.ID === "string" && event.ID !== ""
      ? event.ID
      : syntheticId([String(event.occurred), event.userId, event.action, event.actorId, event.remoteAddress, event.device, event.method]);
  return { ...event, ID, occurred: String(event.occurred), occurredAt: new Date(occurredMs).toISOString() };
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
