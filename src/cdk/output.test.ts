import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { MessageWriter, OutputClosedError } from "./output.js";
import { captureStream, parseMessages } from "../../integration_tests/helpers/messages.js";

/** A pipe whose reader takes one chunk per tick and holds at most `highWaterMark` bytes. */
function slowPipe(highWaterMark: number): { stream: Writable; received: () => string; maxBuffered: () => number } {
  const chunks: string[] = [];
  let maxBuffered = 0;
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      setImmediate(callback);
    },
  });
  const originalWrite = stream.write.bind(stream);
  stream.write = ((chunk: never, ...rest: never[]) => {
    const result = originalWrite(chunk, ...rest);
    maxBuffered = Math.max(maxBuffered, stream.writableLength);
    return result;
  }) as typeof stream.write;
  return { stream, received: () => chunks.join(""), maxBuffered: () => maxBuffered };
}

describe("MessageWriter", () => {
  it("waits for the pipe to drain, so a slow reader bounds what is buffered and loses nothing", async () => {
    const pipe = slowPipe(16 * 1024);
    const writer = new MessageWriter(pipe.stream);
    let awaited = 0;
    for (let i = 0; i < 20_000; i++) {
      const pending = writer.record("s", { i, padding: "x".repeat(50) });
      if (pending) {
        awaited++;
        await pending;
      }
    }
    await writer.close();
    const messages = parseMessages(pipe.received());
    expect(messages.map((m) => (m.type === "RECORD" ? m.record.data.i : -1))).toEqual([...Array(20_000).keys()]);
    expect(awaited).toBeGreaterThan(0);
    // Never more than about one chunk beyond the pipe's own buffer.
    expect(pipe.maxBuffered()).toBeLessThan(16 * 1024 + 128 * 1024);
  });

  it("redacts secrets from logs and error traces but writes record data as it is", async () => {
    const out = captureStream();
    const writer = new MessageWriter(out.stream);
    writer.redactor.add("K2-secret");
    writer.log("INFO", "using key K2-secret");
    await writer.error("config_error", "bad K2-secret", { internalMessage: "K2-secret!", stackTrace: "at K2-secret" });
    await writer.record("tokens", { accessToken: "K2-secret" });
    await writer.close();
    const text = out.text();
    expect(text.match(/K2-secret/g)).toHaveLength(1);
    expect(parseMessages(text)[0]).toMatchObject({ type: "LOG", log: { message: "using key **********" } });
  });

  it("hides DEBUG logs unless debugging is on", async () => {
    for (const debug of [false, true]) {
      const out = captureStream();
      const writer = new MessageWriter(out.stream, debug);
      writer.log("DEBUG", "details");
      await writer.close();
      expect(parseMessages(out.text())).toHaveLength(debug ? 1 : 0);
    }
  });

  it("reports a reader that went away (EPIPE) as OutputClosedError instead of crashing", async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    const writer = new MessageWriter(broken);
    const big = "y".repeat(70 * 1024);
    await expect(async () => {
      for (let i = 0; i < 10; i++) {
        const pending = writer.record("s", { big });
        if (pending) await pending;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }).rejects.toBeInstanceOf(OutputClosedError);
  });
});
