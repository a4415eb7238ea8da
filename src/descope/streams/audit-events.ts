import { checkpoint, type Stream, type StreamContext } from "../../cdk/stream.js";
import { AuditReadTally, iso, readAuditWindow, type AuditEvent } from "../audit-window.js";
import type { DescopeClient } from "../client.js";
import { loadSchema } from "../schemas.js";

/** Descope serves the last 30 days of audit events and rejects a `from` older than that. */
const RETENTION_MS = 30 * 24 * 3600 * 1000;
/** How far inside the 30-day edge reading starts, when it must start there: the edge moves on while a sync runs. */
const RETENTION_MARGIN_MS = 10 * 60 * 1000;
/** A `from` this close to the edge may already be refused: our clock and Descope's need not agree. */
const CLOCK_SKEW_MS = 60 * 1000;
/** The sync reads up to this long before it started, so events still being written land in the next sync. */
const WINDOW_END_LAG_MS = 60 * 1000;
/**
 * A window holds at most this many pages of 1000: at 10 audit requests a minute, one minute of reading — well
 * inside the 10-minute margin to the 30-day edge — and what a resumed sync reads again at most.
 */
const MAX_PAGES_PER_WINDOW = 10;
/** Windows aim at this share of that, so a stretch denser than the one before still fits. */
const WINDOW_FILL = 0.7;

type AuditPosition = {
  /** Events before this time (epoch ms) are delivered; the next sync starts here, inclusive. */
  occurredMs: number;
  /** Events at exactly `occurredMs` already emitted; skipped when that millisecond is read again. */
  seenIds?: string[];
  /** Everything up to this time was read (there may be no event near it): such a position aging out lost nothing. */
  readToMs?: number;
};

/**
 * `audit_events`: `POST /v1/mgmt/audit/search`, read in fixed windows of time that lie wholly in the past, each
 * read completely with a page counter and checked against its `total`. A past window is a set that no longer
 * changes, so a page counter over it is safe in whatever order Descope answers: newest first by default, and
 * `oldestFirst`, sent by no SDK, is not sent here either; the order is only observed for the summary.
 * Windows are sized from the `total`s Descope reveals so each is read in about a minute: a single window over a
 * long backfill would keep its `from` while Descope's 30-day edge, moving on at 10 requests a minute, overtook it.
 * Whether `from`/`to` are inclusive is unknown ("newer than"/"older than"), so each window asks one millisecond
 * more on both sides and drops what lies outside. The position advances only after a window is read completely,
 * so a resumed sync neither loses nor repeats.
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
        readToMs: { type: "integer", minimum: 0, description: "epoch milliseconds" },
      },
    },
    async *read(context) {
      const incremental = context.syncMode === "incremental";
      const endMs = Date.now() - WINDOW_END_LAG_MS;
      const saved = incremental ? (context.state as AuditPosition | undefined) : undefined;
      let position = startPosition(saved, incremental ? settings.startDateMs : undefined, context.log);
      let windowStartMs = position.occurredMs;
      let spanMs = endMs - windowStartMs + 1;
      const tally = new AuditReadTally();
      let estimated = false;
      try {
        while (windowStartMs <= endMs) {
          if (windowStartMs < oldestReadableMs() - RETENTION_MARGIN_MS + CLOCK_SKEW_MS) {
            windowStartMs = overtaken(windowStartMs, context.log);
            position = { occurredMs: windowStartMs };
          }
          const windowEndMs = Math.min(windowStartMs + spanMs - 1, endMs);
          const windowLengthMs = windowEndMs - windowStartMs + 1;
          // A window of one millisecond cannot be split: it is read whatever it holds.
          const maxEvents = windowLengthMs > 1 ? MAX_PAGES_PER_WINDOW * 1000 : Infinity;
          const window = await readAuditWindow(client, { fromMs: windowStartMs, toMs: windowEndMs, maxEvents }, tally);
          // The first answer counts everything up to the end; later ones only their window.
          if (!estimated && window.total !== undefined) context.estimate(window.total);
          estimated = true;
          spanMs = resizedSpan(windowLengthMs, window.total);
          if (window.tooMany) continue;
          const alreadyDelivered = windowStartMs === position.occurredMs ? new Set(position.seenIds) : new Set<string>();
          const fresh = window.events.filter((event) => !alreadyDelivered.has(event.ID));
          tally.alreadyDelivered += window.events.length - fresh.length;
          yield* fresh;
          position = positionAfter(position, fresh, windowEndMs);
          if (incremental) yield checkpoint(position);
          windowStartMs = windowEndMs + 1;
        }
        if (incremental) yield checkpoint(position);
      } finally {
        context.report(tally.summary());
      }
    },
  };
}

/** A window length that should hold about WINDOW_FILL of a window's worth of events, at the density just seen. */
function resizedSpan(spanMs: number, total: number | undefined): number {
  const target = MAX_PAGES_PER_WINDOW * 1000 * WINDOW_FILL;
  if (total === undefined) return spanMs;
  if (total === 0) return spanMs * 4;
  return Math.max(1, Math.floor((spanMs * target) / total));
}

/** The saved position, or the start date, moved up to the 30 days Descope keeps; a saved cursor that aged out means lost events. */
function startPosition(saved: AuditPosition | undefined, startDateMs: number | undefined, log: StreamContext["log"]): AuditPosition {
  const oldestMs = oldestReadableMs();
  if (saved) {
    if (saved.occurredMs >= oldestMs - RETENTION_MARGIN_MS + CLOCK_SKEW_MS) return saved;
    // Read up to a time still inside the 30 days: nothing between the cursor and the edge was missed.
    if ((saved.readToMs ?? saved.occurredMs) >= oldestMs) return { occurredMs: oldestMs, readToMs: saved.readToMs };
    log.warn(
      `audit_events: events from ${iso(saved.readToMs ?? saved.occurredMs)} to ${iso(oldestMs)} were lost between syncs: Descope keeps ` +
        `audit events for 30 days only and the last sync reached ${iso(saved.readToMs ?? saved.occurredMs)}. Continuing from ${iso(oldestMs)}; ` +
        `sync at least every few weeks to avoid gaps.`,
    );
    return { occurredMs: oldestMs };
  }
  if (startDateMs !== undefined && startDateMs < oldestMs) {
    log.info(`audit_events: Descope keeps audit events for 30 days, so reading starts at ${iso(oldestMs)} rather than the configured start_date.`);
  }
  return { occurredMs: Math.max(startDateMs ?? 0, oldestMs) };
}

/** Descope's 30-day edge reached a window not yet read (events arrive faster than 10 pages a minute can read). */
function overtaken(windowStartMs: number, log: StreamContext["log"]): number {
  const oldestMs = oldestReadableMs();
  log.warn(
    `audit_events: events from ${iso(windowStartMs)} to ${iso(oldestMs)} aged out of Descope's 30 days before they could be read ` +
      `(audit search allows 10 requests a minute). Continuing from ${iso(oldestMs)}.`,
  );
  return oldestMs;
}

function oldestReadableMs(): number {
  return Date.now() - RETENTION_MS + RETENTION_MARGIN_MS;
}

/** After a window read completely: the newest event delivered, with the IDs delivered at its millisecond. */
function positionAfter(position: AuditPosition, delivered: AuditEvent[], windowEndMs: number): AuditPosition {
  if (delivered.length === 0) return { ...position, readToMs: windowEndMs };
  const newestMs = Math.max(...delivered.map((event) => Number(event.occurred)));
  const idsAtNewest = delivered.filter((event) => Number(event.occurred) === newestMs).map((event) => event.ID);
  const carried = newestMs === position.occurredMs ? (position.seenIds ?? []) : [];
  return { occurredMs: newestMs, seenIds: [...new Set([...carried, ...idsAtNewest])], readToMs: windowEndMs };
}
