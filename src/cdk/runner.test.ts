import { describe, expect, it } from "vitest";
import { configError, transientError } from "./errors.js";
import type { AirbyteMessage, JsonObject } from "./protocol.js";
import { runAirbyte } from "./runner.js";
import type { Source } from "./source.js";
import { checkpoint, type Stream } from "./stream.js";
import { failing, fakeSource, letters, numbers, SECRET, stuck } from "../../integration_tests/helpers/fake-source.js";
import { withNullOptionals } from "../../integration_tests/helpers/connector.js";
import { captureStream, inputFiles, parseMessages } from "../../integration_tests/helpers/messages.js";

function catalog(...streams: [string, "full_refresh" | "incremental"][]): JsonObject {
  return {
    streams: streams.map(([name, mode]) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh", "incremental"] },
      sync_mode: mode,
      destination_sync_mode: "append",
    })),
  };
}

async function run(source: Source, argv: (files: Record<string, string>) => string[], files: Record<string, unknown>) {
  const out = captureStream();
  const paths = inputFiles(files);
  const exitCode = await runAirbyte(source, argv(paths), out.stream);
  const messages = parseMessages(out.text());
  return { exitCode, messages, raw: out.text() };
}

const ofType = <T extends AirbyteMessage["type"]>(messages: AirbyteMessage[], type: T) =>
  messages.filter((m): m is Extract<AirbyteMessage, { type: T }> => m.type === type);

function statuses(messages: AirbyteMessage[], stream: string): string[] {
  return ofType(messages, "TRACE")
    .map((m) => m.trace)
    .filter((t) => t.type === "STREAM_STATUS" && t.stream_status.stream_descriptor.name === stream)
    .map((t) => (t.type === "STREAM_STATUS" ? t.stream_status.status : ""));
}

describe("runAirbyte read", () => {
  it("emits STARTED, RUNNING, records, per-stream states with exact counts, then COMPLETE", async () => {
    const source = fakeSource([numbers, letters]);
    const { exitCode, messages } = await run(source, (f) => ["read", "--config", f.config!, "--catalog", f.catalog!], {
      config: { api_key: SECRET },
      catalog: catalog(["numbers", "incremental"], ["letters", "full_refresh"]),
    });
    expect(exitCode).toBe(0);
    expect(statuses(messages, "numbers")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    expect(statuses(messages, "letters")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    const states = ofType(messages, "STATE").map((m) => [
      m.state.stream.stream_descriptor.name,
      m.state.stream.stream_state,
      m.state.sourceStats?.recordCount,
    ]);
    expect(states).toEqual([
      ["numbers", { n: 2 }, 2],
      ["numbers", { n: 4 }, 2],
      ["numbers", { n: 5 }, 1],
      ["letters", {}, 2],
    ]);
    // Every record precedes the state that covers it.
    const order = messages.filter((m) => m.type === "RECORD" || m.type === "STATE").map((m) => (m.type === "RECORD" ? "R" : "S"));
    expect(order.join("")).toBe("RRSRRSRSRRS");
  });

  it("resumes an incremental stream from its saved state and treats incremental on a full-refresh stream as full refresh", async () => {
    const state = [{ type: "STREAM", stream: { stream_descriptor: { name: "numbers" }, stream_state: { n: 3 } } }];
    const { exitCode, messages } = await run(
      fakeSource([numbers, letters]),
      (f) => ["read", "--config", f.config!, "--catalog", f.catalog!, "--state", f.state!],
      { config: { api_key: SECRET }, catalog: catalog(["numbers", "incremental"], ["letters", "incremental"]), state },
    );
    expect(exitCode).toBe(0);
    expect(ofType(messages, "RECORD").map((m) => m.record.data)).toEqual([{ n: 4 }, { n: 5 }, { l: "a" }, { l: "b" }]);
    expect(ofType(messages, "LOG").some((m) => m.log.message.includes('"letters" supports only full refresh'))).toBe(true);
  });

  it("accepts no state, an empty file, [] and a legacy object as a fresh start", async () => {
    for (const state of ["", [], { legacy: { n: 4 } }]) {
      const { exitCode, messages } = await run(
        fakeSource([numbers]),
        (f) => ["read", "--config", f.config!, "--catalog", f.catalog!, "--state", f.state!],
        { config: { api_key: SECRET }, catalog: catalog(["numbers", "incremental"]), state },
      );
      expect(exitCode).toBe(0);
      expect(ofType(messages, "RECORD")).toHaveLength(5);
    }
  });

  it("marks a failing stream INCOMPLETE with an ERROR trace, reads the next stream, and exits non-zero", async () => {
    const { exitCode, messages } = await run(
      fakeSource([failing("broken", transientError("upstream kept failing")), letters]),
      (f) => ["read", "--config", f.config!, "--catalog", f.catalog!],
      { config: { api_key: SECRET }, catalog: catalog(["broken", "full_refresh"], ["letters", "full_refresh"]) },
    );
    expect(exitCode).toBe(1);
    expect(statuses(messages, "broken")).toEqual(["STARTED", "RUNNING", "INCOMPLETE"]);
    expect(statuses(messages, "letters")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    const error = ofType(messages, "TRACE").find((m) => m.trace.type === "ERROR")!.trace;
    expect(error).toMatchObject({ type: "ERROR", error: { failure_type: "transient_error", stream_descriptor: { name: "broken" } } });
  });

  it("stops the sync at an error that ends it (bad credentials), since every later stream would fail the same way", async () => {
    const { exitCode, messages } = await run(
      fakeSource([failing("broken", configError(`bad key ${SECRET}`, undefined, { endsSync: true })), letters]),
      (f) => ["read", "--config", f.config!, "--catalog", f.catalog!],
      { config: { api_key: SECRET }, catalog: catalog(["broken", "full_refresh"], ["letters", "full_refresh"]) },
    );
    expect(exitCode).toBe(1);
    expect(statuses(messages, "letters")).toEqual([]);
    const error = ofType(messages, "TRACE").find((m) => m.trace.type === "ERROR")!.trace;
    expect(error.type === "ERROR" && error.error.message).toBe("bad key **********");
    expect(error.type === "ERROR" && error.error.stack_trace).toBeUndefined();
  });

  it("a config error of one stream (a permission the key lacks) fails only that stream; the others still run", async () => {
    const { exitCode, messages } = await run(
      fakeSource([failing("broken", configError("no permission for broken")), letters]),
      (f) => ["read", "--config", f.config!, "--catalog", f.catalog!],
      { config: { api_key: SECRET }, catalog: catalog(["broken", "full_refresh"], ["letters", "full_refresh"]) },
    );
    expect(exitCode).toBe(1);
    expect(statuses(messages, "broken")).toEqual(["STARTED", "RUNNING", "INCOMPLETE"]);
    expect(statuses(messages, "letters")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    const error = ofType(messages, "TRACE").find((m) => m.trace.type === "ERROR")!.trace;
    expect(error).toMatchObject({ type: "ERROR", error: { failure_type: "config_error", stream_descriptor: { name: "broken" } } });
  });

  it("rejects a catalog naming an unknown stream or sync mode with a config_error naming the file", async () => {
    const bad = {
      streams: [
        {
          stream: { name: "__AIRBYTE__stream_that_does_not_exist", json_schema: {}, supported_sync_modes: ["full_refresh"] },
          sync_mode: "INVALID",
          destination_sync_mode: "INVALID",
        },
      ],
    };
    for (const catalogFile of [bad, catalog(["nope", "full_refresh"]), "{not json"]) {
      const { exitCode, messages } = await run(fakeSource([letters]), (f) => ["read", "--config", f.config!, "--catalog", f.catalog!], {
        config: { api_key: SECRET },
        catalog: catalogFile,
      });
      expect(exitCode).toBe(1);
      const [error] = ofType(messages, "TRACE").map((m) => m.trace);
      expect(error).toMatchObject({ type: "ERROR", error: { failure_type: "config_error" } });
      expect(error!.type === "ERROR" && error!.error.message).toMatch(/catalog file .*catalog\.json/);
    }
  });

  it("rejects state that does not match the stream's state schema, naming the file, stream and field", async () => {
    const state = [{ type: "STREAM", stream: { stream_descriptor: { name: "numbers" }, stream_state: { n: "three" } } }];
    const { exitCode, messages } = await run(
      fakeSource([numbers]),
      (f) => ["read", "--config", f.config!, "--catalog", f.catalog!, "--state", f.state!],
      { config: { api_key: SECRET }, catalog: catalog(["numbers", "incremental"]), state },
    );
    expect(exitCode).toBe(1);
    const error = ofType(messages, "TRACE").find((m) => m.trace.type === "ERROR")!.trace;
    expect(error.type === "ERROR" && error.error.message).toMatch(
      /state file .*state\.json: field "n" must be integer \(in the state of stream "numbers"\)/,
    );
  });
});

describe("runAirbyte spec, check and discover", () => {
  it("spec prints exactly one SPEC and tolerates unknown flags", async () => {
    const { exitCode, messages } = await run(fakeSource([]), () => ["spec", "--debug", "--unknown-flag"], {});
    expect(exitCode).toBe(0);
    expect(messages.map((m) => m.type)).toEqual(["SPEC"]);
  });

  it("takes --option=value as well as --option value, and names a missing option or command as a config_error", async () => {
    const equalsForm = await run(fakeSource([numbers]), (f) => ["read", `--config=${f.config}`, `--catalog=${f.catalog}`, "--log-level", "info"], {
      config: { api_key: SECRET },
      catalog: catalog(["numbers", "full_refresh"]),
    });
    expect(equalsForm.exitCode).toBe(0);
    expect(ofType(equalsForm.messages, "RECORD")).toHaveLength(5);
    const errors = (messages: AirbyteMessage[]) => ofType(messages, "TRACE").map((m) => (m.trace.type === "ERROR" ? m.trace.error : m.trace));
    for (const [argv, problem] of [
      [["read", "--config", "c.json"], /^Missing required argument: catalog\. Usage: spec \| check --config FILE/],
      [["check"], /^Missing required argument: config\./],
      [["discover", "--config"], /^Missing required argument: config\./],
      [[], /^No command given\./],
      [["sync", "--config", "c.json"], /^Unknown command "sync"/],
    ] as const) {
      const { exitCode, messages } = await run(fakeSource([]), () => [...argv], {});
      expect(exitCode, argv.join(" ")).toBe(1);
      expect(errors(messages)).toEqual([expect.objectContaining({ failure_type: "config_error", message: expect.stringMatching(problem) })]);
    }
  });

  it("check answers FAILED with exit 0 for a config error and never echoes the secret", async () => {
    const source = fakeSource([], async () => {
      throw configError(`the key ${SECRET} was rejected`);
    });
    const { exitCode, messages, raw } = await run(source, (f) => ["check", "--config", f.config!], { config: { api_key: SECRET } });
    expect(exitCode).toBe(0);
    expect(messages).toEqual([{ type: "CONNECTION_STATUS", connectionStatus: { status: "FAILED", message: "the key ********** was rejected" } }]);
    expect(raw).not.toContain(SECRET);
  });

  it("check answers FAILED naming the field when the config does not match the spec", async () => {
    const { exitCode, messages } = await run(fakeSource([]), (f) => ["check", "--config", f.config!], { config: { api_key: "" } });
    expect(exitCode).toBe(0);
    const [status] = ofType(messages, "CONNECTION_STATUS");
    expect(status!.connectionStatus.message).toMatch(/config file .*config\.json: field "api_key" must NOT have fewer than 1 characters/);
  });

  it("check reports a system error as a TRACE and a non-zero exit, not as FAILED", async () => {
    const source = fakeSource([], async () => {
      throw new TypeError("bug");
    });
    const { exitCode, messages } = await run(source, (f) => ["check", "--config", f.config!], { config: { api_key: SECRET } });
    expect(exitCode).toBe(1);
    expect(messages.map((m) => m.type)).toEqual(["TRACE"]);
  });

  it("discover lists streams with sync modes, cursor and (composite) primary keys", async () => {
    const composite: Stream = { ...letters, name: "pairs", primaryKey: [["a"], ["b"]] };
    const { messages } = await run(fakeSource([numbers, composite]), (f) => ["discover", "--config", f.config!], { config: { api_key: SECRET } });
    const [catalogMessage] = ofType(messages, "CATALOG");
    expect(catalogMessage!.catalog.streams).toEqual([
      expect.objectContaining({
        name: "numbers",
        supported_sync_modes: ["full_refresh", "incremental"],
        source_defined_cursor: true,
        default_cursor_field: ["n"],
        source_defined_primary_key: [["n"]],
        is_resumable: true,
      }),
      expect.objectContaining({ name: "pairs", supported_sync_modes: ["full_refresh"], source_defined_primary_key: [["a"], ["b"]] }),
    ]);
  });

  it("a missing config file is a config_error naming the file", async () => {
    const out = captureStream();
    const exitCode = await runAirbyte(fakeSource([]), ["discover", "--config", "/nonexistent/config.json"], out.stream);
    expect(exitCode).toBe(1);
    expect(parseMessages(out.text())[0]).toMatchObject({
      type: "TRACE",
      trace: { error: { failure_type: "config_error", message: "Cannot read the config file /nonexistent/config.json: no such file." } },
    });
  });
});

describe("runAirbyte checkpoint discipline", () => {
  it("fails a stream that repeats its state after new records, since such a duplicate state fails the sync downstream", async () => {
    const { exitCode, messages } = await run(fakeSource([stuck]), (f) => ["read", "--config", f.config!, "--catalog", f.catalog!], {
      config: { api_key: SECRET },
      catalog: catalog(["stuck", "incremental"]),
    });
    expect(exitCode).toBe(1);
    expect(statuses(messages, "stuck").at(-1)).toBe("INCOMPLETE");
    expect(ofType(messages, "STATE")).toHaveLength(1);
  });
});

describe("runAirbyte pages and the stream event channel", () => {
  it("a stream may yield a page (an array) of records: each becomes one RECORD, counted in the state that covers it", async () => {
    const paged: Stream = {
      ...numbers,
      name: "paged",
      async *read() {
        yield [{ n: 1 }, { n: 2 }, { n: 3 }];
        yield checkpoint({ n: 3 });
        yield [];
        yield { n: 4 };
        yield [{ n: 5 }];
        yield checkpoint({ n: 5 });
      },
    };
    const { exitCode, messages } = await run(fakeSource([paged]), (f) => ["read", "--config", f.config!, "--catalog", f.catalog!], {
      config: { api_key: SECRET },
      catalog: catalog(["paged", "incremental"]),
    });
    expect(exitCode).toBe(0);
    expect(ofType(messages, "RECORD").map((m) => m.record.data.n)).toEqual([1, 2, 3, 4, 5]);
    expect(ofType(messages, "STATE").map((m) => m.state.sourceStats?.recordCount)).toEqual([3, 2]);
    expect(ofType(messages, "LOG").map((m) => m.log.message)).toContain("paged: 5 records");
  });

  it("a rate limit reaches the stream whose read issued the request, as its RUNNING status with RATE_LIMITED", async () => {
    const retryAtMs = Date.UTC(2030, 0, 1);
    const source: Source = {
      ...fakeSource([]),
      streams: (_config, runtime) =>
        ["first", "second"].map(
          (name): Stream => ({
            ...letters,
            name,
            async *read() {
              yield { l: name };
              // As the HTTP client does it: from inside a request, after an await, knowing nothing of streams.
              await new Promise((resolve) => setImmediate(resolve));
              if (name === "second") runtime.rateLimited(retryAtMs);
            },
          }),
        ),
    };
    const { messages } = await run(source, (f) => ["read", "--config", f.config!, "--catalog", f.catalog!], {
      config: { api_key: SECRET },
      catalog: catalog(["first", "full_refresh"], ["second", "full_refresh"]),
    });
    const limited = ofType(messages, "TRACE").flatMap((m) =>
      m.trace.type === "STREAM_STATUS" && m.trace.stream_status.reasons
        ? [[m.trace.stream_status.stream_descriptor.name, m.trace.stream_status.reasons[0]!.rate_limited?.quota_reset]]
        : [],
    );
    expect(limited).toEqual([["second", retryAtMs]]);
  });
});

describe("runAirbyte inputs as Airbyte's tools write them", () => {
  it("a configured catalog with null optional fields (CAT 0.11.5, newer platforms) reads exactly like one without them", async () => {
    const plain = catalog(["numbers", "incremental"], ["letters", "full_refresh"]);
    const withNulls = withNullOptionals(plain);
    const read = async (catalogFile: JsonObject) => {
      const { exitCode, messages } = await run(fakeSource([numbers, letters]), (f) => ["read", "--config", f.config!, "--catalog", f.catalog!], {
        config: { api_key: SECRET },
        catalog: catalogFile,
      });
      return {
        exitCode,
        data: messages.filter((m) => m.type === "RECORD" || m.type === "STATE").map((m) => (m.type === "RECORD" ? m.record.data : m.state)),
      };
    };
    const expected = await read(plain);
    expect(expected.exitCode).toBe(0);
    expect(await read(withNulls)).toEqual(expected);
  });

  it("a null optional config field acts as absent (its default applies); a null required one is reported missing", async () => {
    let seenPage: unknown;
    const checked: Source = {
      ...fakeSource([]),
      check: async (config) => {
        seenPage = config.page;
      },
    };
    const ok = await run(checked, (f) => ["check", "--config", f.config!], { config: { api_key: SECRET, page: null } });
    expect(ok.messages).toEqual([{ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } }]);
    expect(seenPage).toBe(7); // the spec's default
    const missing = await run(checked, (f) => ["check", "--config", f.config!], { config: { api_key: null } });
    expect(ofType(missing.messages, "CONNECTION_STATUS")[0]!.connectionStatus.message).toMatch(/missing required field "api_key"/);
  });
});
