import { describe, expect, it } from "vitest";
import { deletedUserIdsOf, deletionsOf, deletionWindowStart, tombstone } from "./tombstones.js";

const DAY_MS = 24 * 3600 * 1000;

function recordingLog() {
  const warnings: string[] = [];
  return { warnings, log: { debug() {}, info() {}, error() {}, warn: (message: string) => void warnings.push(message) } };
}

describe("which users a deletion event names", () => {
  it("a single UserDeleted names its userId", () => {
    expect(deletedUserIdsOf({ action: "UserDeleted", userId: "U2a", externalIds: ["a@example.com"] })).toEqual(["U2a"]);
  });

  it.each([
    ["data.userIds", { data: { userIds: ["U2a", "U2b"] } }],
    ["data.userIDs", { data: { userIDs: ["U2a", "U2b"] } }],
    ["data.user_ids", { data: { user_ids: ["U2a", "U2b"] } }],
    ["data.users as objects", { data: { users: [{ userId: "U2a" }, { userId: "U2b" }] } }],
    ["data as a JSON string", { data: JSON.stringify({ userIds: ["U2a", "U2b"] }) }],
    ["a top-level userIds", { userIds: ["U2a", "U2b"] }],
  ])("a bulk UsersDeleted listing them in %s", (_shape, fields) => {
    expect(deletedUserIdsOf({ action: "UsersDeleted", ...fields }).sort()).toEqual(["U2a", "U2b"]);
  });

  it("an event naming no one is counted as unreadable, never guessed", () => {
    expect(deletionsOf([{ action: "UsersDeleted", occurred: "1", data: { count: 3 } }])).toEqual({ deletions: [], unreadable: 1 });
  });

  it("a user deleted twice gets one deletion, at the latest time", () => {
    const { deletions } = deletionsOf([
      { action: "UserDeleted", userId: "U2a", occurred: "1000" },
      { action: "UsersDeleted", occurred: "5000", data: { userIds: ["U2a"] } },
    ]);
    expect(deletions).toEqual([{ userId: "U2a", deletedAtMs: 5000 }]);
  });
});

describe("tombstones", () => {
  it("carry the userId, the deletion's second as the cursor, and the deletion time, nothing else", () => {
    expect(tombstone({ userId: "U2a", deletedAtMs: 1_704_067_200_999 })).toEqual({
      userId: "U2a",
      modifiedTime: 1_704_067_200,
      _ab_cdc_deleted_at: "2024-01-01T00:00:00.999Z",
    });
  });
});

describe("the deletion window's start", () => {
  const nowMs = Date.UTC(2025, 0, 31);

  it("is where the last sync checked up to, without a warning", () => {
    const { log, warnings } = recordingLog();
    expect(deletionWindowStart({ deletionsCheckedUntilMs: nowMs - DAY_MS, modifiedTime: 1 }, "users", log, nowMs)).toBe(nowMs - DAY_MS);
    expect(warnings).toEqual([]);
  });

  it("for a state from before tombstones, is the cursor's second (the last sync ran at or after it)", () => {
    const { log } = recordingLog();
    expect(deletionWindowStart({ modifiedTime: (nowMs - DAY_MS) / 1000 }, "users", log, nowMs)).toBe(nowMs - DAY_MS - 1);
  });

  it("older than the 30 days of audit, moves inside them and warns of the gap and of the full refresh that repairs it", () => {
    const { log, warnings } = recordingLog();
    const startMs = deletionWindowStart({ deletionsCheckedUntilMs: nowMs - 45 * DAY_MS }, "test_users", log, nowMs);
    expect(startMs).toBeGreaterThan(nowMs - 30 * DAY_MS);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(new Date(nowMs - 45 * DAY_MS).toISOString());
    expect(warnings[0]).toMatch(/cannot be known/);
    expect(warnings[0]).toMatch(/full refresh of test_users/);
  });
});
