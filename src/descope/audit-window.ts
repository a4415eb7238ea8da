import { systemError } from "../cdk/errors.js";
import type { JsonObject } from "../cdk/protocol.js";
import type { DescopeClient } from "./client.js";
import { syntheticId } from "../cdk/synthetic-id.js";

const AUDIT_SEARCH_PATH = "/v1/mgmt/audit/search";
/** Descope's maximum (and default) page size. */
const PAGE_SIZE = 1000;
/** Reads of one window whose `total` changed under us before giving up (it should not change: the window is past). */
const MAX_READS_OF_A_WINDOW = 3;

export interface AuditEvent extends JsonObject {
  ID: string;
  occurred: string;
}

export interface AuditWindow {
  /** Descope's count of matches for the window as asked (one millisecond wider on each side); absent on old deployments. */
  total?: number;
  /** The window holds more than `maxEvents`: nothing was read beyond its first page, and `events` is empty. */
  tooMany: boolean;
  /** Every event in [fromMs, toMs], once each, oldest first. */
  events: AuditEvent[];
}

/** What every window read found, for the end-of-stream summary and for the count self-check's explanations. */
export class AuditReadTally {
  windows = 0;
  requests = 0;
  /** Sum of the windows' `total`s (events in the one-millisecond margins are counted by two windows). */
  counted = 0;
  distinct = 0;
  /** Distinct events in a window's margins: asked for in case `from`/`to` are exclusive, delivered by the neighbour. */
  outsideBounds = 0;
  /** Events at the saved position's millisecond that the last sync already delivered. */
  alreadyDelivered = 0;
  /** Events identical to another in every field the synthetic key hashes, when Descope sent no ID to tell them apart. */
  identicalWithoutId = 0;
  /** Distinct events beyond a window's `total`: written into the past window while it was read. */
  beyondTotal = 0;
  rereads = 0;
  oldestFirstPages = 0;
  newestFirstPages = 0;

  summary(): string {
    const seen =
      this.newestFirstPages > 0 && this.oldestFirstPages === 0
        ? "newest first"
        : this.oldestFirstPages > 0 && this.newestFirstPages === 0
          ? "oldest first"
          : this.oldestFirstPages + this.newestFirstPages > 0
            ? "in mixed order"
            : "in no telling order";
    const order = `pages came ${seen} (the read does not depend on order)`;
    const explained = [
      `${this.outsideBounds} in the 1 ms margins of a window`,
      `${this.alreadyDelivered} delivered by the last sync`,
      ...(this.identicalWithoutId ? [`${this.identicalWithoutId} identical to another event and without an ID, kept once`] : []),
      ...(this.beyondTotal ? [`${this.beyondTotal} beyond a window's total`] : []),
      ...(this.rereads ? [`${this.rereads} window(s) re-read after their total changed`] : []),
    ];
    return (
      `audit search: ${this.windows} window(s) in ${this.requests} request(s); Descope counted ${this.counted}, ` +
      `${this.distinct} distinct came back (${explained.join(", ")}); ${order}`
    );
  }
}

/**
 * Reads every audit event in [fromMs, toMs] with a page counter, and checks that Descope delivered exactly the
 * `total` distinct events it counted. The window must lie in the past, so that it is a set that no longer
 * changes: then a page counter is safe whatever order the pages come in (docs/descope-api-notes.md §0.1 item 3). Asks one
 * millisecond more on each side (`from`/`to` may be exclusive, §0.1 item 2) and drops what lies outside.
 * A shortfall fails the stream: a page that overlapped another, or a deployment that ignores `page`, would
 * otherwise lose events silently.
 */
/** A window to read: [fromMs, toMs] (epoch ms), at most `maxEvents` of them, optionally only some `actions`. */
export interface AuditWindowRequest {
  fromMs: number;
  toMs: number;
  maxEvents: number;
  /** Descope's `actions` filter (e.g. `UserDeleted`): only these events are asked for and counted. */
  actions?: readonly string[];
}

export async function readAuditWindow(client: DescopeClient, window: AuditWindowRequest, tally: AuditReadTally): Promise<AuditWindow> {
  tally.windows++;
  for (let read = 1; ; read++) {
    const result = await readWindowOnce(client, window, tally);
    if (result !== "total changed") return result;
    if (read >= MAX_READS_OF_A_WINDOW) {
      throw systemError(
        `audit_events: Descope's count of events between ${iso(window.fromMs)} and ${iso(window.toMs)} changed while they were ` +
          `read, ${read} times in a row; stopping rather than risk pages that shifted.`,
      );
    }
    tally.rereads++;
  }
}

async function readWindowOnce(
  client: DescopeClient,
  { fromMs, toMs, maxEvents, actions }: AuditWindowRequest,
  tally: AuditReadTally,
): Promise<AuditWindow | "total changed"> {
  const byId = new Map<string, AuditEvent>();
  let total: number | undefined;
  let received = 0;
  let duplicatesWithoutId = 0;
  let pages = 0;
  for (let page = 0; ; page++) {
    // No `oldestFirst`: no SDK sends it (only the OpenAPI lists it), and a gateway that rejects unknown fields
    // might refuse it; the order does not matter here.
    const answer = await searchPage(client, { from: fromMs - 1, to: toMs + 1, ...(actions ? { actions: [...actions] } : {}), page, size: PAGE_SIZE });
    tally.requests++;
    pages++;
    if (page === 0) {
      total = answer.total;
      if (total !== undefined && total > maxEvents) return { total, tooMany: true, events: [] };
    } else if (answer.total !== total) {
      return "total changed";
    }
    observeOrder(answer.audits, tally);
    let fresh = 0;
    for (const raw of answer.audits) {
      const { event, keyFromDescope } = withKeyAndTime(raw);
      received++;
      if (!byId.has(event.ID)) {
        byId.set(event.ID, event);
        fresh++;
      } else if (!keyFromDescope) {
        duplicatesWithoutId++;
      }
    }
    // A short page does not prove the end (a deployment may cap `size`): `total` does. Without it, a page that
    // brings nothing new does; it also stops a deployment that ignores `page` from looping forever.
    if (total !== undefined && received >= total) break;
    if (answer.audits.length === 0 || fresh === 0) break;
  }

  if (total !== undefined && byId.size + duplicatesWithoutId < total) {
    throw systemError(
      `audit_events: Descope counted ${total} events between ${iso(fromMs)} and ${iso(toMs)}, but ${pages} page(s) brought ` +
        `${byId.size} distinct ones (${received} in all); stopping rather than losing events silently. A deployment that ignores ` +
        `"page" or pages in an unstable order does this; the last checkpoint is before this window.`,
    );
  }
  tally.counted += total ?? byId.size;
  tally.distinct += byId.size;
  tally.identicalWithoutId += duplicatesWithoutId;
  if (total !== undefined) tally.beyondTotal += Math.max(0, byId.size + duplicatesWithoutId - total);
  const events = [...byId.values()]
    .filter((event) => Number(event.occurred) >= fromMs && Number(event.occurred) <= toMs)
    .sort((a, b) => Number(a.occurred) - Number(b.occurred) || (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  tally.outsideBounds += byId.size - events.length;
  return { total, tooMany: false, events };
}

async function searchPage(client: DescopeClient, body: JsonObject): Promise<{ audits: JsonObject[]; total?: number }> {
  const answer = (await client.post(AUDIT_SEARCH_PATH, body, "audit")) as { audits?: unknown; total?: unknown } | null;
  if (!answer || typeof answer !== "object" || (answer.audits !== undefined && !Array.isArray(answer.audits))) {
    throw systemError(`Unexpected response from ${AUDIT_SEARCH_PATH}: expected {"audits": [...]}.`);
  }
  // protojson leaves an empty list out; `total` is an int64 and so may come as a string.
  const total = typeof answer.total === "number" || typeof answer.total === "string" ? Number(answer.total) : undefined;
  return { audits: (answer.audits ?? []) as JsonObject[], total: Number.isFinite(total) ? total : undefined };
}

/** The order is never relied on, only reported (newest first is Descope's default): a page's first event against its last. */
function observeOrder(audits: JsonObject[], tally: AuditReadTally): void {
  if (audits.length < 2) return;
  const first = Number(audits[0]!.occurred);
  const last = Number(audits.at(-1)!.occurred);
  if (first < last) tally.oldestFirstPages++;
  if (first > last) tally.newestFirstPages++;
}

/**
 * Descope documents an `ID`, no SDK reads it, and its wire name is unverified: `ID` or `id` is the key, delivered
 * as `ID`; without either, a hash of the fields that tell events apart stands in (docs/descope-api-notes.md §5). `occurredAt` is
 * `occurred` (a string of epoch ms on the wire) as a timestamp.
 */
function withKeyAndTime(raw: JsonObject): { event: AuditEvent; keyFromDescope: boolean } {
  // int64 comes through Descope's JSON gateway as a string; a number is accepted too, and stored as the string.
  const occurredMs = Number(raw.occurred);
  if ((typeof raw.occurred !== "string" && typeof raw.occurred !== "number") || !Number.isFinite(occurredMs)) {
    throw systemError(`Unexpected audit event from Descope: "occurred" should be epoch milliseconds, got ${JSON.stringify(raw.occurred)}.`);
  }
  const occurredAt = new Date(occurredMs).toISOString();
  if (isId(raw.ID)) return { event: { ...raw, ID: raw.ID, occurred: String(raw.occurred), occurredAt }, keyFromDescope: true };
  if (isId(raw.id)) {
    const { id, ...rest } = raw;
    return { event: { ...rest, ID: id, occurred: String(raw.occurred), occurredAt }, keyFromDescope: true };
  }
  // `data` tells apart events that agree in everything else (two bulk deletions in one millisecond); events
  // without it keep the key they always had.
  const parts = [String(raw.occurred), raw.userId, raw.action, raw.actorId, raw.remoteAddress, raw.device, raw.method];
  const ID = syntheticId(raw.data === undefined ? parts : [...parts, raw.data]);
  return { event: { ...raw, ID, occurred: String(raw.occurred), occurredAt }, keyFromDescope: false };
}

function isId(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
