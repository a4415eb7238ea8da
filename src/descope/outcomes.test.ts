import { describe, expect, it } from "vitest";
import { classify, OUTCOMES, type DeclaredException, type HttpAnswer } from "./outcomes.js";

const status = (code: number, extra: { errorCode?: string; errorDescription?: string; json?: boolean } = {}): HttpAnswer => ({
  kind: "http",
  status: code,
  json: extra.json ?? true,
  ...extra,
});
const action = (answer: HttpAnswer, exceptions?: DeclaredException[]) => {
  const { rule } = classify(answer, exceptions);
  return [rule.action, rule.failureType];
};

const NO_TOKEN: DeclaredException = { meaning: "no stored token", statuses: [400, 404] };
const MANAGEMENT_OFF: DeclaredException = { meaning: "management off", statuses: [400], description: /token management/i };

describe("the outcome table", () => {
  it("hands a 2xx JSON answer over, and retries one whose JSON is cut off or malformed", () => {
    expect(action(status(200))).toEqual(["ok", undefined]);
    expect(action(status(204))).toEqual(["ok", undefined]);
    expect(action(status(200, { json: false }))).toEqual(["retry", "transient_error"]);
  });

  it("treats 429 and Descope's rate-limit codes E130429 and E170429 as rate limited, whatever the status", () => {
    expect(action(status(429, { json: false }))).toEqual(["waitRetryAfter", "transient_error"]);
    for (const errorCode of ["E130429", "E170429"]) {
      for (const code of [400, 403, 429, 503])
        expect(action(status(code, { errorCode })), `${code} ${errorCode}`).toEqual(["waitRetryAfter", "transient_error"]);
    }
  });

  it("retries 408, every 5xx (Cloudflare 52x too) and network errors, as transient errors once retries run out", () => {
    for (const code of [408, 500, 501, 502, 503, 504, 520, 521, 522, 524, 530])
      expect(action(status(code, { json: false })), String(code)).toEqual(["retry", "transient_error"]);
    expect(action({ kind: "network", reason: "ECONNRESET" })).toEqual(["retry", "transient_error"]);
  });

  it("stops the sync on 401, only the stream on 403 (a role-scoped key), and the stream on any other 4xx as a system error", () => {
    expect(action(status(401))).toEqual(["failSync", "config_error"]);
    expect(action(status(403))).toEqual(["failStream", "config_error"]);
    for (const code of [400, 404, 409, 422]) expect(action(status(code)), String(code)).toEqual(["failStream", "system_error"]);
    expect(action(status(302))).toEqual(["failStream", "system_error"]);
  });

  it("reads a stream's declared answers as empty, most specific first, and only where the table says so", () => {
    expect(classify(status(404), [MANAGEMENT_OFF, NO_TOKEN])).toMatchObject({ rule: { action: "empty" }, exception: NO_TOKEN });
    const off = status(400, { errorCode: "E011003", errorDescription: "Provider token management is disabled for this project" });
    expect(classify(off, [MANAGEMENT_OFF, NO_TOKEN])).toMatchObject({ rule: { action: "empty" }, exception: MANAGEMENT_OFF });
    // A declaration never hides a permission problem, bad credentials, a rate limit or an outage.
    const everything: DeclaredException = { meaning: "anything", statuses: [401, 403, 429, 503] };
    expect(action(status(401), [everything])).toEqual(["failSync", "config_error"]);
    expect(action(status(403), [everything])).toEqual(["failStream", "config_error"]);
    expect(action(status(429), [everything])).toEqual(["waitRetryAfter", "transient_error"]);
    expect(action(status(503), [everything])).toEqual(["retry", "transient_error"]);
    // Without the declaration, the same 404 fails the stream.
    expect(action(status(404))).toEqual(["failStream", "system_error"]);
  });

  it("is a table a reader sees at once: every action appears, each failing row has a failure type", () => {
    expect(new Set(OUTCOMES.map((rule) => rule.action))).toEqual(new Set(["ok", "retry", "waitRetryAfter", "failStream", "failSync", "empty"]));
    for (const rule of OUTCOMES) expect(rule.failureType === undefined, rule.answer).toBe(rule.action === "ok" || rule.action === "empty");
  });
});
