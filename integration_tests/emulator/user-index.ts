/**
 * Ordered views over the users for search. A view is one population (regular, test, or both) in one sort order,
 * built once and then kept up to date on every store mutation, so a page of a million-user search is a binary
 * search plus a slice instead of a full sort.
 */
import type { DescopeUser } from "./types.js";

export type Population = "regular" | "test" | "all";

export interface SortKey {
  field: keyof DescopeUser;
  desc: boolean;
}

/** Sort fields the emulator accepts: any key of the user object (the real set is undocumented, docs/descope-api-notes.md §4.1). */
export const USER_FIELDS: ReadonlySet<string> = new Set<keyof DescopeUser>([
  "userId",
  "loginIds",
  "name",
  "givenName",
  "middleName",
  "familyName",
  "email",
  "verifiedEmail",
  "phone",
  "verifiedPhone",
  "picture",
  "roleNames",
  "userTenants",
  "status",
  "externalIds",
  "test",
  "customAttributes",
  "createdTime",
  "modifiedTime",
  "TOTP",
  "SAML",
  "SCIM",
  "OIDC",
  "OAuth",
  "webauthn",
  "password",
  "push",
  "ssoAppIds",
  "editable",
  "permissions",
]);

/** A user's time in seconds; a user without it (protojson leaves 0 out) has time 0, as Descope stores it. */
export function userTimeS(user: DescopeUser, field: "createdTime" | "modifiedTime"): number {
  return user[field] ?? 0;
}

/** Missing values sort first (protojson omits defaults, so an absent boolean is false). */
function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const textA = typeof a === "string" ? a : JSON.stringify(a);
  const textB = typeof b === "string" ? b : JSON.stringify(b);
  return textA < textB ? -1 : textA > textB ? 1 : 0;
}

/** userId is appended as a last key, so every order is total and deterministic. */
function comparatorFor(sort: readonly SortKey[]): (a: DescopeUser, b: DescopeUser) => number {
  const keys = sort.some((key) => key.field === "userId") ? sort : [...sort, { field: "userId" as const, desc: false }];
  return (a, b) => {
    for (const { field, desc } of keys) {
      const order = compareValues(a[field], b[field]);
      if (order !== 0) return desc ? -order : order;
    }
    return 0;
  };
}

export function inPopulation(user: DescopeUser, population: Population): boolean {
  return population === "all" || (population === "test") === (user.test === true);
}

/** First index in [lo, hi) where the monotonic predicate turns true. */
export function firstIndexWhere<T>(items: readonly T[], lo: number, hi: number, predicate: (item: T) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (predicate(items[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Sorting a million objects by a comparator takes seconds; sorting an index array against a typed array of the
 * lead time field, falling back to the full comparator only on ties, is several times faster.
 */
function sorted(users: DescopeUser[], lead: SortKey, compare: (a: DescopeUser, b: DescopeUser) => number): DescopeUser[] {
  if (lead.field !== "createdTime" && lead.field !== "modifiedTime") return users.sort(compare);
  const field = lead.field;
  const leadTimes = Float64Array.from(users, (user) => (lead.desc ? -userTimeS(user, field) : userTimeS(user, field)));
  const order = Uint32Array.from(users, (_, position) => position);
  order.sort((x, y) => leadTimes[x] - leadTimes[y] || compare(users[x], users[y]));
  return Array.from(order, (position) => users[position]);
}

interface View {
  population: Population;
  /** Undefined for insertion order (no sort requested). */
  compare?: (a: DescopeUser, b: DescopeUser) => number;
  users: DescopeUser[];
}

/** Enough for the common sorts plus a few ad-hoc ones from tests, without unbounded memory. */
const MAX_VIEWS = 8;

export class UserIndex {
  private readonly views = new Map<string, View>();

  constructor(private readonly allUsers: () => readonly DescopeUser[]) {}

  view(population: Population, sort: readonly SortKey[]): readonly DescopeUser[] {
    const key = `${population}|${sort.map((entry) => `${entry.field}:${entry.desc}`).join(",")}`;
    let view = this.views.get(key);
    if (view) {
      this.views.delete(key); // re-insert below: most recently used last
    } else {
      const compare = sort.length > 0 ? comparatorFor(sort) : undefined;
      const members = this.allUsers().filter((user) => inPopulation(user, population));
      view = { population, compare, users: compare ? sorted(members, sort[0], compare) : members };
      if (this.views.size >= MAX_VIEWS) this.views.delete(this.views.keys().next().value as string);
    }
    this.views.set(key, view);
    return view.users;
  }

  inserted(user: DescopeUser): void {
    for (const view of this.views.values()) {
      if (!inPopulation(user, view.population)) continue;
      if (view.compare) view.users.splice(this.position(view, user), 0, user);
      else view.users.push(user);
    }
  }

  replaced(previous: DescopeUser, next: DescopeUser): void {
    for (const [key, view] of this.views) {
      if (!view.compare) {
        // Insertion order is kept in place; a user moving between populations just drops the view.
        if (inPopulation(previous, view.population) !== inPopulation(next, view.population)) this.views.delete(key);
        else if (inPopulation(next, view.population)) view.users[view.users.indexOf(previous)] = next;
        continue;
      }
      if (inPopulation(previous, view.population)) view.users.splice(this.position(view, previous), 1);
      if (inPopulation(next, view.population)) view.users.splice(this.position(view, next), 0, next);
    }
  }

  deleted(user: DescopeUser): void {
    for (const view of this.views.values()) {
      if (!inPopulation(user, view.population)) continue;
      const index = view.compare ? this.position(view, user) : view.users.indexOf(user);
      if (view.users[index] === user) view.users.splice(index, 1);
    }
  }

  private position(view: View, user: DescopeUser): number {
    const compare = view.compare!;
    return firstIndexWhere(view.users, 0, view.users.length, (other) => compare(other, user) >= 0);
  }
}
