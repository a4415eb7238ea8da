import type { Source } from "../../src/cdk/source.js";
import { checkpoint, type Stream } from "../../src/cdk/stream.js";

// In-memory sources and streams for the CLIs' unit tests (src/cdk/runner.test.ts, src/singer/tap.test.ts): the
// engine's contract pinned without any HTTP, the same fakes under both protocols.

export const SECRET = "super-secret-key-value";

/** A source with in-memory streams, so the runner's contract is pinned without any HTTP. */
export function fakeSource(streams: Stream[], check: () => Promise<void> = async () => {}): Source {
  return {
    spec: () => ({
      connectionSpecification: {
        type: "object",
        required: ["api_key"],
        properties: { api_key: { type: "string", airbyte_secret: true, minLength: 1 }, page: { type: "integer", default: 7 } },
      },
    }),
    check,
    streams: () => streams,
  };
}

export const numbers: Stream = {
  name: "numbers",
  jsonSchema: { type: "object", properties: { n: { type: "integer" } } },
  primaryKey: [["n"]],
  cursorField: ["n"],
  stateSchema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
  async *read(context) {
    const from = (context.state?.n as number | undefined) ?? 0;
    for (let n = from + 1; n <= 5; n++) {
      yield { n };
      if (n % 2 === 0 && context.syncMode === "incremental") yield checkpoint({ n });
    }
    if (context.syncMode === "incremental") yield checkpoint({ n: 5 });
  },
};

export const letters: Stream = {
  name: "letters",
  jsonSchema: { type: "object", properties: { l: { type: "string" } } },
  primaryKey: [["l"]],
  async *read() {
    yield { l: "a" };
    yield { l: "b" };
  },
};

export function failing(name: string, error: Error): Stream {
  return {
    name,
    jsonSchema: { type: "object" },
    primaryKey: [],
    async *read() {
      yield { x: 1 };
      throw error;
    },
  };
}

/** Repeats its state after a new record: the engine must fail it, whichever protocol writes it. */
export const stuck: Stream = {
  ...numbers,
  name: "stuck",
  async *read() {
    yield { n: 1 };
    yield checkpoint({ n: 1 });
    yield { n: 2 };
    yield checkpoint({ n: 1 });
  },
};
