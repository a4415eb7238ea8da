import { OutputClosedError, type MessageWriter } from "./output.js";

export type Cleanup = () => Promise<void> | void;

/**
 * The shell every command of a connector CLI shares (Airbyte and Singer alike): run the body, report a failure
 * (unless stdout's reader has gone, when there is nobody left to tell), release connections, then end stdout once
 * it has drained. Resolves with the exit code; callers set `process.exitCode` and let Node exit by itself.
 */
export async function runCommand(
  writer: MessageWriter,
  body: (onClose: (cleanup: Cleanup) => void) => Promise<number>,
  report: (error: unknown) => Promise<void> | void,
): Promise<number> {
  const cleanups: Cleanup[] = [];
  let exitCode: number;
  try {
    exitCode = await body((cleanup) => cleanups.push(cleanup));
  } catch (error) {
    exitCode = 1;
    if (!(error instanceof OutputClosedError)) await report(error);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
  try {
    await writer.close();
  } catch {
    exitCode = 1;
  }
  return exitCode;
}
