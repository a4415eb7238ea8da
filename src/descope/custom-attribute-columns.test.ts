import { describe, expect, it } from "vitest";
import { ATTRIBUTE_TYPES, attributeColumns, columnValue } from "./custom-attribute-columns.js";

const { text, number, boolean, singleSelect, multiSelect, date, monthDay } = ATTRIBUTE_TYPES;
const columnsOf = (...names: string[]) => attributeColumns(names.map((name) => ({ name, type: text }))).map((column) => column.column);

describe("custom attribute column names", () => {
  it("a machine name of letters, digits and underscores is kept as custom_<name>", () => {
    expect(columnsOf("plan", "contract_start", "seats2")).toEqual(["custom_plan", "custom_contract_start", "custom_seats2"]);
  });

  it("any other name is folded to ASCII and tied to the exact name by a hash, so two such names never share a column", () => {
    const [accented, spaced, dashed] = columnsOf("région préférée", "région-préférée", "a-b");
    expect(accented).toMatch(/^custom_region_preferee_[0-9a-f]{8}$/);
    expect(spaced).toMatch(/^custom_region_preferee_[0-9a-f]{8}$/);
    expect(accented).not.toBe(spaced);
    expect(dashed).toMatch(/^custom_a_b_[0-9a-f]{8}$/);
    expect(columnsOf("東京")[0]).toMatch(/^custom_[0-9a-f]{8}$/);
  });

  it("names equal but for case both get hashed columns, since warehouses fold case; the result does not depend on order", () => {
    const forward = columnsOf("Plan", "plan");
    expect(forward.every((column) => /^custom_[Pp]lan_[0-9a-f]{8}$/.test(column))).toBe(true);
    expect(new Set(forward.map((column) => column.toLowerCase())).size).toBe(2);
    expect(columnsOf("plan", "Plan")).toEqual([...forward].reverse());
  });

  it("every column fits Postgres's 63-character identifiers", () => {
    const [column] = columnsOf("x".repeat(200));
    expect(column!.length).toBeLessThanOrEqual(63);
    expect(column).toMatch(/^custom_x+_[0-9a-f]{8}$/);
  });

  it("an unknown type or an empty name gets no column", () => {
    expect(
      attributeColumns([
        { name: "future", type: 99 },
        { name: "", type: text },
      ]),
    ).toEqual([]);
  });
});

describe("custom attribute column values", () => {
  it.each([
    [text, "Engineering", "Engineering"],
    [text, "", ""],
    [singleSelect, "pro", "pro"],
    [number, 12.5, 12.5],
    [boolean, false, false],
    [multiSelect, ["a", "b"], ["a", "b"]],
    [multiSelect, [], []],
    [monthDay, "03-14", "03-14"],
    [date, 1_704_067_200_000, "2024-01-01T00:00:00.000Z"],
    [date, "1704067200000", "2024-01-01T00:00:00.000Z"],
    [date, "2023-11-05", "2023-11-05T00:00:00.000Z"],
    [date, "2024-06-30T02:00:00+02:00", "2024-06-30T00:00:00.000Z"],
    [date, -86_400_000, "1969-12-31T00:00:00.000Z"],
  ])("type %i: %j becomes %j", (type, value, expected) => {
    expect(columnValue(type, value)).toEqual({ value: expected });
  });

  it.each([
    [number, "12"],
    [number, Number.NaN],
    [boolean, "yes"],
    [text, 42],
    [singleSelect, ["pro"]],
    [multiSelect, "security"],
    [multiSelect, ["a", 1]],
    [date, "not a date"],
    [date, true],
    [monthDay, 314],
  ])("type %i: %j does not fit", (type, value) => {
    expect(columnValue(type, value)).toEqual({ misfit: true });
  });

  it("absent, null, and an empty string outside text are no value, not a misfit", () => {
    for (const type of [number, boolean, multiSelect, date, monthDay]) {
      expect(columnValue(type, undefined)).toEqual({ value: null });
      expect(columnValue(type, null)).toEqual({ value: null });
      expect(columnValue(type, "")).toEqual({ value: null });
    }
  });
});
