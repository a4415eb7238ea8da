import { describe, expect, it } from "vitest";
import type { JsonObject } from "../cdk/protocol.js";
import type { Source } from "../cdk/source.js";
import { fakeSource, letters, numbers, SECRET, stuck } from "../../integration_tests/helpers/fake-source.js";
import { captureStream, inputFiles } from "../../integration_tests/helpers/messages.js";
import { runSinger } from "./tap.js";

const INFO = { name: "tap-test", description: "a tap over in-memory streams", version: "0.0.0" };

/** Runs the tap in-process over fake streams; stdout lines parsed as JSON, stderr as text. */
async function sync(source: Source, files: Record<string, unknown>) {
  const out = captureStream();
  const err = captureStream();
  const paths = inputFiles(files);
  const args = Object.entries(paths).flatMap(([name, path]) => [`--${name}`, path]);
  const exitCode = await runSinger(source, INFO, args, out.stream, err.stream);
  const lines = out
    .text()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JsonObject);
  return { exitCode, lines, stderr: err.text() };
}

describe("runSinger sync, on the engine the Airbyte runner uses", () => {
  it("fails a stream that repeats its state after new records, as the runner does; the other streams still run", async () => {
    const { exitCode, lines, stderr } = await sync(fakeSource([stuck, letters]), { config: { api_key: SECRET } });
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/ERROR Stream "stuck" failed: Stream "stuck" repeated its state after new records/);
    // The first checkpoint and the closing STATE; the repeat never reaches the host.
    expect(lines.filter((line) => line.type === "STATE").map((line) => line.value)).toEqual([
      { bookmarks: { stuck: { n: 1 } } },
      { bookmarks: { stuck: { n: 1 } } },
    ]);
    expect(lines.filter((line) => line.type === "RECORD" && line.stream === "letters")).toHaveLength(2);
  });

  it("validates every selected stream's bookmark before reading any stream", async () => {
    const second = { ...numbers, name: "second" };
    const state = { bookmarks: { numbers: { n: 2 }, second: { n: "three" } } };
    const { exitCode, lines, stderr } = await sync(fakeSource([numbers, second]), { config: { api_key: SECRET }, state });
    expect(exitCode).toBe(1);
    expect(lines).toEqual([]);
    expect(stderr).toMatch(/CRITICAL Invalid state file .*state\.json: field "bookmarks\.second\.n" must be integer/);
  });

  it("writes a page of records as one RECORD each, with deselected properties dropped", async () => {
    const paged = {
      ...letters,
      jsonSchema: { type: "object", properties: { l: { type: "string" }, secret: { type: "string" } } },
      async *read() {
        yield [
          { l: "a", secret: "x" },
          { l: "b", secret: "y" },
        ];
      },
    };
    const catalog = {
      streams: [
        {
          tap_stream_id: "letters",
          schema: paged.jsonSchema,
          metadata: [
            { breadcrumb: [], metadata: { selected: true } },
            { breadcrumb: ["properties", "secret"], metadata: { selected: false } },
          ],
        },
      ],
    };
    const { exitCode, lines } = await sync(fakeSource([paged]), { config: { api_key: SECRET }, catalog });
    expect(exitCode).toBe(0);
    expect(lines.filter((line) => line.type === "RECORD").map((line) => line.record)).toEqual([{ l: "a" }, { l: "b" }]);
  });
});
