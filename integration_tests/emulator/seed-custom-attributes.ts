/**
 * The project's user custom attributes: one definition of each of Descope's seven types (go-sdk `CustomAttribute`:
 * 1 text, 2 number, 3 boolean, 4 single select, 5 multi select, 6 date, 7 month-day), one with a name that is no
 * column name, and the value sets users draw from: realistic ones, and the awkward ones a real project holds —
 * empty values, values of the wrong type (written by an old integration or a script), a large multi-select,
 * unicode. Dates come both as epoch milliseconds and as date strings: which one Descope sends is undocumented.
 */
import type { CustomAttribute } from "./types.js";

export const CUSTOM_ATTRIBUTE_DEFINITIONS: CustomAttribute[] = [
  {
    name: "plan",
    type: 4,
    displayName: "Plan",
    options: [
      { value: "free", label: "Free" },
      { value: "pro", label: "Pro" },
      { value: "enterprise", label: "Enterprise" },
    ],
  },
  { name: "seats", type: 2, displayName: "Seats" },
  { name: "beta", type: 3, displayName: "Beta tester" },
  { name: "department", type: 1, displayName: "Department" },
  {
    name: "interests",
    type: 5,
    displayName: "Interests",
    options: ["security", "billing", "analytics", "mobile", "api"].map((value) => ({ value, label: value[0]!.toUpperCase() + value.slice(1) })),
  },
  { name: "contractStart", type: 6, displayName: "Contract start" },
  { name: "birthday", type: 7, displayName: "Birthday" },
  { name: "région préférée", type: 1, displayName: "Région préférée" },
];

/** 1 January 2024 00:00 UTC, in epoch milliseconds. */
const CONTRACT_START_MS = 1_704_067_200_000;

/** Values that fit their attribute's type. */
const REALISTIC: Record<string, unknown>[] = [
  ...["free", "pro", "enterprise"].flatMap((plan) =>
    [1, 5, 25, 250].flatMap((seats) => [
      { plan, seats },
      { plan, seats, beta: true },
    ]),
  ),
  { department: "Engineering" },
  { department: "Sales", plan: "pro" },
  { interests: ["security", "billing"], contractStart: CONTRACT_START_MS, birthday: "03-14" },
  { interests: ["analytics"], contractStart: "2024-06-30T00:00:00Z", plan: "enterprise", seats: 12.5 },
  { contractStart: "2023-11-05", birthday: "12-31", beta: false },
];

/** Values a real project also holds: empty, of the wrong type, very large, unicode. */
export const AWKWARD_CUSTOM_ATTRIBUTES: Record<string, unknown>[] = [
  { department: "", birthday: "", interests: [] },
  { department: "Forschung & Entwicklung — 東京 🚀", "région préférée": "Île-de-France" },
  { interests: Array.from({ length: 300 }, (_, i) => `interest-${i}`) },
  { seats: "12", beta: "yes" },
  { interests: "security", contractStart: "not a date", plan: 3 },
  { department: 42, birthday: 314 },
];

/** Every value set users are given one of (or none). */
export const CUSTOM_ATTRIBUTE_VALUES: Record<string, unknown>[] = [...REALISTIC, ...AWKWARD_CUSTOM_ATTRIBUTES];
