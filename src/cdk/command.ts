import { OutputClosedError } from "./output.js";

export type Cleanup = () => Promise<void> | void;

/** Exit codes of a process ended by a signal (128 + its number), as a shell reports them. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * The shell every command of a connector CLI shares (Airbyte and Singer alike): run the body, report a failure
 * (unless stdout's reader has gone, when there is nobody left to tell), release connections, then end stdout once
 * it has drained. Resolves with the exit code; callers set `process.exitCode` and let Node exit by itself.
 *
 * A host stopping us (docker stop, Airbyte or Meltano cancelling) sends SIGTERM, a user at a terminal SIGINT;
 * Node would ignore SIGTERM as PID 1 in a container. Either way the lines already written are handed over, then
 * the process exits as a signalled one does (143, 130). Records after the last state are read again on resume.
 */
export async function runCommand(shell: {
  writer: { close(): Promise<void> };
  warn: (message: string) => void;
  body: (onClose: (cleanup: Cleanup) => void) => Promise<number>;
  report: (error: unknown) => Promise<void> | void;
}): Promise<number> {
  const { writer, body, report } = shell;
  const stopOnSignal = (signal: keyof typeof SIGNAL_EXIT_CODES): void => {
    shell.warn(`Received ${signal}; stopping. The next sync resumes from the last state of each stream.`);
    void writer
      .close()
      .catch(() => {})
      .finally(() => process.exit(SIGNAL_EXIT_CODES[signal]));
  };
  process.once("SIGTERM", stopOnSignal).once("SIGINT", stopOnSignal);
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
  process.off("SIGTERM", stopOnSignal).off("SIGINT", stopOnSignal);
  return exitCode;
}
