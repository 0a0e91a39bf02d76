/**
 * How an engine command (plan, apply, graph --plan) stops on SIGINT/SIGTERM: its run's signal
 * is the process's shutdown signal, so the engine starts nothing new and kills what runs; the
 * run's containers are removed at once; the command says so; and the process exits 130 once
 * the run has unwound (runners closed, scratch folders removed, records written).
 */
import type { ContainerTracker } from "../docker/tracking";
import { EXIT_INTERRUPTED } from "../exit-codes";
import type { ShutdownScope } from "../shutdown";
import type { Reporter } from "../engine/events";

/** How long a stopped run may take to unwind before the process exits anyway. */
export const UNWIND_GRACE_MS = 10_000;

export interface InterruptibleRunOptions {
  shutdown: ShutdownScope;
  /** The run's containers (the engine's `containers`). */
  containers: ContainerTracker;
  /** The command's last word when stopped, e.g. "plan interrupted: containers removed". */
  onInterrupt(): void;
}

/** Runs `body` (the command's work) under the rules above; answers its exit code. */
export async function runInterruptible(o: InterruptibleRunOptions, body: () => Promise<number>): Promise<number> {
  const work = body();
  const unregister = o.shutdown.onShutdown(async () => {
    o.onInterrupt();
    await Promise.all([o.containers.removeAll(), settleWithin(work, UNWIND_GRACE_MS)]);
    return EXIT_INTERRUPTED;
  });
  try {
    return await work;
  } finally {
    unregister();
  }
}

/**
 * The reporter the engine gets: once `signal` is aborted it passes nothing on, so the
 * command's own last word (said on the reporter itself) is the last thing the user sees,
 * not the failures of a run that is unwinding.
 */
export function quietOnceStopped(reporter: Reporter, signal: AbortSignal): Reporter {
  return {
    emit(event) {
      if (!signal.aborted) reporter.emit(event);
    },
  };
}

/** Resolves once `p` settles, or after `ms`, whichever comes first. */
function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([p.then(noop, noop), late]).finally(() => clearTimeout(timer));
}

function noop(): void {}
