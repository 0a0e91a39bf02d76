/**
 * `run <service> <version> <command...>`: streams the task's output as it arrives (trailer
 * included, as the original printed it) and exits with the task's exit code, parsed from
 * the final `Exited (N)` line. A stream cut before that line is an error (exit 1).
 */
import { UserError } from "../../errors";
import { TaskTrailerScanner, toProcessExitCode } from "../../client/trailer";
import { type CtlContext, reportHttpFailure, writeChunk } from "./io";

export interface RunOptions {
  service: string;
  version: string;
  taskCommand: string;
}

export async function runTask(ctx: CtlContext, options: RunOptions): Promise<number> {
  const res = await ctx.client.createTask(options.service, options.version, options.taskCommand);
  if (res.status !== 200) return reportHttpFailure(ctx, "Task failed to launch :(", res);
  const scanner = new TaskTrailerScanner();
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!value || value.length === 0) continue;
        scanner.push(value);
        await writeChunk(ctx.stdout, value);
      }
    } catch (err) {
      throw new UserError(
        `the task's output stream from ${ctx.client.origin} broke off before its exit status ` +
          `(${(err as Error)?.message ?? err}); the task's result is unknown`,
      );
    }
  }
  const trailer = scanner.finish();
  if (!trailer) {
    throw new UserError(
      `the task's output from ${ctx.client.origin} ended without its "Exited (N)" line; the task's result is unknown`,
    );
  }
  return toProcessExitCode(trailer.exitCode);
}
