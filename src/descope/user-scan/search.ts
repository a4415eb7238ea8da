import { systemError } from "../../cdk/errors.js";
import type { DescopeClient } from "../client.js";

/** A user as the search endpoints return it; only the fields the scan relies on are typed. */
export interface DescopeUser {
  userId: string;
  loginIds?: string[];
  createdTime?: number;
  modifiedTime?: number;
  OAuth?: Record<string, boolean>;
  [field: string]: unknown;
}

/** Requests whose durations estimate the latency. */
const LATENCY_SAMPLES = 8;

export type UserTimeField = "createdTime" | "modifiedTime";
export type UserSearchPath = "/v2/mgmt/user/search" | "/v2/mgmt/user/search/test";

/** Whole seconds, both ends included; `toS` absent means "up to the newest user". */
export interface SecondsRange {
  fromS: number;
  toS?: number;
}

export interface UserSearchPage {
  /** The users whose time lies inside the requested range, in the order Descope sent them. */
  users: DescopeUser[];
  /** Everything Descope sent, including the neighbours the safe bounds let in (compare with `total` and the limit). */
  sent: DescopeUser[];
  /** Descope sent a user newer than the range: in a sorted answer, the range is exhausted after this page. */
  reachedPastRange: boolean;
  total?: number;
}

/**
 * How a range of seconds becomes request bounds, safe whichever way Descope compares (docs/descope-api-notes.md §0.1 item 1:
 * go-sdk PR #822 says `from*Time` is strictly-after and `to*Time` at-or-before; the python docstring says
 * on-or-after). Times may also be stored with millisecond precision while users show whole seconds.
 * - from second S: ask `S*1000 - 1`. Strictly-after then starts at S*1000; at-or-after also lets in the last
 *   millisecond of S-1, which we drop. A range starting at 0 sends no `from` at all: users without a time
 *   (0, omitted by protojson) are included, and no negative or zero value is left for Descope to interpret.
 * - to second E: ask `(E+1)*1000`. At-or-before then also lets in second E+1 (whole-second storage), which we
 *   drop; strictly-before still includes E's last millisecond. Asking `E*1000+999` would lose that millisecond
 *   under strictly-before.
 * Counts (`total`) include the dropped neighbours, so completeness is judged on what was sent, never on what
 * was kept.
 */
export function requestBounds(timeField: UserTimeField, range: SecondsRange): Record<string, number> {
  const [fromKey, toKey] = timeField === "modifiedTime" ? ["fromModifiedTime", "toModifiedTime"] : ["fromCreatedTime", "toCreatedTime"];
  const bounds: Record<string, number> = {};
  if (range.fromS > 0) bounds[fromKey] = range.fromS * 1000 - 1;
  if (range.toS !== undefined) bounds[toKey] = (range.toS + 1) * 1000;
  return bounds;
}

/**
 * One user-search endpoint with one filter, walked by one time field. Builds request bodies from the fields the
 * SDKs send (docs/descope-api-notes.md §4.1) and nothing else, never `null` (the management gateway rejects unknown fields, §0.1
 * item 4), and reads a user's time with a missing value as 0 (protojson omits zeros, §0.1 item 5).
 */
export class UserSearch {
  /** Users that came without the walked time field (read as 0), by id. */
  readonly usersWithoutTime = new Set<string>();
  private readonly latenciesMs: number[] = [];

  constructor(
    private readonly client: DescopeClient,
    readonly path: UserSearchPath,
    private readonly filter: Record<string, unknown>,
    readonly timeField: UserTimeField,
    readonly pageSize: number,
  ) {}

  timeOf(user: DescopeUser): number {
    const value = user[this.timeField];
    if (typeof value === "number") return value;
    if (value !== undefined) throw systemError(`Descope returned user ${user.userId} with a non-numeric "${this.timeField}".`);
    this.usersWithoutTime.add(user.userId);
    return 0;
  }

  /** Page `pageIndex` of the users in `range`, sorted by time then userId when `sorted`. */
  async page(range: SecondsRange, options: { sorted: boolean; pageIndex?: number }): Promise<UserSearchPage> {
    const body: Record<string, unknown> = { ...this.filter, ...requestBounds(this.timeField, range), limit: this.pageSize };
    if (options.pageIndex) body.page = options.pageIndex;
    if (options.sorted)
      body.sort = [
        { field: this.timeField, desc: false },
        { field: "userId", desc: false },
      ];
    const answer = await this.send(body);
    const users = answer.users.filter((user) => {
      const time = this.timeOf(user);
      return time >= range.fromS && (range.toS === undefined || time <= range.toS);
    });
    const reachedPastRange = range.toS !== undefined && answer.users.some((user) => this.timeOf(user) > range.toS!);
    return { users, sent: answer.users, reachedPastRange, total: answer.total };
  }

  /** How many users match the filter, optionally only those in [fromS, beforeS). One user is asked for. */
  async count(range: { fromS: number; beforeS?: number } = { fromS: 0 }): Promise<number | undefined> {
    const bounds = requestBounds(this.timeField, { fromS: range.fromS });
    // Strictly-before would also drop a user of the very last millisecond before `beforeS`: an undercount only
    // ever makes a check fail safe (the caller then takes the slower, order-free path).
    if (range.beforeS !== undefined) bounds[this.timeField === "modifiedTime" ? "toModifiedTime" : "toCreatedTime"] = range.beforeS * 1000 - 1;
    return (await this.send({ ...this.filter, ...bounds, limit: 1 })).total;
  }

  /** The fastest of the last few requests, in ms; undefined before the first answer. */
  recentLatencyMs(): number | undefined {
    return this.latenciesMs.length > 0 ? Math.min(...this.latenciesMs) : undefined;
  }

  private async send(body: Record<string, unknown>): Promise<{ users: DescopeUser[]; total?: number }> {
    const sentAtMs = Date.now();
    const answer = (await this.client.post(this.path, body, "userSearch")) as { users?: unknown; total?: unknown };
    this.latenciesMs.push(Date.now() - sentAtMs);
    if (this.latenciesMs.length > LATENCY_SAMPLES) this.latenciesMs.shift();
    if (!answer || typeof answer !== "object" || (answer.users !== undefined && !Array.isArray(answer.users))) {
      throw systemError(`Unexpected response from ${this.path}: expected {"users": [...]}.`);
    }
    return { users: (answer.users ?? []) as DescopeUser[], total: typeof answer.total === "number" ? answer.total : undefined };
  }
}
