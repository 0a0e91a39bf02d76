/**
 * Every exit code deployster (and deployctl) leaves with, and the rules that pick them. The
 * commands return what these functions answer; main.ts and the shutdown return them; nothing
 * else decides an exit code.
 *
 * deployster:
 *   0   success (plan: nothing failed; with --detailed-exitcode: nothing to do)
 *   1   failure: a resource failed or was skipped, an error, a non-conforming type image
 *   2   plan --detailed-exitcode: changes are pending
 *   130 interrupted by SIGINT (plan, apply and graph also on SIGTERM: the run was stopped)
 *   141 stdout was closed (as SIGPIPE would)
 *   143 SIGTERM (other commands; `serve` stops gracefully and leaves with 0)
 * deployctl / deployster ctl:
 *   0 success; 1 failure (HTTP error, refused credentials, connection problems, a failed
 *   --wait); 2 usage errors; `run` leaves with the task's own code (0..255, else 1).
 */
import { ExitError, UserError } from "./errors";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** plan --detailed-exitcode: the plan has changes to apply. */
export const EXIT_CHANGES_PENDING = 2;
/** ctl: the command line was wrong (the usage is printed). */
export const EXIT_CTL_USAGE = 2;
/** An engine run (plan, apply, graph --plan) that SIGINT or SIGTERM stopped. */
export const EXIT_INTERRUPTED = 130;
export const EXIT_BROKEN_PIPE = 141;

/** What the process leaves with when `signal` ends it and nothing more specific applies. */
export function exitCodeOfSignal(signal: NodeJS.Signals): number {
  if (signal === "SIGPIPE") return EXIT_BROKEN_PIPE;
  return signal === "SIGINT" ? 130 : 143;
}

/** The code for an error that ended a command (its message is main.ts's business). */
export function exitCodeOfError(err: unknown): number {
  if (err instanceof ExitError || err instanceof UserError) return err.exitCode;
  return EXIT_FAILURE;
}

export interface PlanOutcome {
  failed: number;
  skipped: number;
  changes: number;
}

/** plan: 1 when a resource failed (or was skipped behind one); --detailed-exitcode adds 2 for pending changes. */
export function exitCodeOfPlan(summary: PlanOutcome, detailed: boolean): number {
  if (summary.failed > 0 || summary.skipped > 0) return EXIT_FAILURE;
  if (detailed && summary.changes > 0) return EXIT_CHANGES_PENDING;
  return EXIT_OK;
}

/** apply, and the other commands that either fully succeed or not (graph, type check, ctl). */
export function exitCodeOf(ok: boolean): number {
  return ok ? EXIT_OK : EXIT_FAILURE;
}

/** ctl run: the task's own exit code, 0..255 as is; anything else (negative, huge) → 1. */
export function exitCodeOfTask(taskCode: number): number {
  return Number.isInteger(taskCode) && taskCode >= 0 && taskCode <= 255 ? taskCode : EXIT_FAILURE;
}
