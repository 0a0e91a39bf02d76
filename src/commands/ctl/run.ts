/**
 * `run <service> <version> <command...>`: streams the task's output as it arrives (trailer
 * included, as the original printed it) and exits with the task's exit code, parsed from
 * the final `Exited (N)` line. A stream cut before that line is an error (exit 1).
 */
import { UserError } from "../../errors";
import { TaskTrailerScanner } from "../../client/trailer";
import { type CtlContext, reportHttpFailure, writeChunk } from "./io";
import { exitCodeOfTask } from "../../exit-codes";

export interface RunOptions {
  service: string;
  version: string;
  taskCommand: string;
}

/** What a shell reports for a process killed by SIGPIPE: our reader went away (`| head`). */
export const BROKEN_PIPE_EXIT_CODE = 141;

function isBrokenPipe(err: unknown): boolean {
  return (err as { code?: string })?.code === "EPIPE";
}

export async function runTask(ctx: CtlContext, options: RunOptions): Promise<number> {
  const res = await ctx.client.createTask(options.service, options.version, options.taskCommand);
  if (res.status !== 200) return reportHttpFailure(ctx, "Task failed to launch :(", res);
  const scanner = new TaskTrailerScanner();
  const reader = res.body?.getReader();
  let complete = !reader;
  try {
    while (reader) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new UserError(
          `the task's output stream from ${ctx.client.origin} broke off before its exit status ` +
            `(${(err as Error)?.message ?? err}); the task's result is unknown`,
        );
      }
      if (chunk.done) {
        complete = true;
        break;
      }
      if (!chunk.value || chunk.value.length === 0) continue;
      scanner.push(chunk.value);
      try {
        await writeChunk(ctx.stdout, chunk.value);
      } catch (err) {
        // Whoever read our output is gone; stopping the stream ends the task on the server.
        if (isBrokenPipe(err)) return BROKEN_PIPE_EXIT_CODE;
        throw new UserError(`cannot write the task's output: ${(err as Error)?.message ?? err}`);
      }
    }
  } finally {
    // Never leave the response half-read: it would keep the process (and the task) alive.
    if (!complete) await reader?.cancel().catch(() => {});
  }
  const trailer = scanner.finish();
  if (!trailer) {
    throw new UserError(
      `the task's output from ${ctx.client.origin} ended without its "Exited (N)" line; the task's result is unknown`,
    );
  }
  return exitCodeOfTask(trailer.exitCode);
}
