/**
 * The one way to cancel: main.ts creates one Shutdown per process and installs the signal
 * listeners. SIGINT, SIGTERM or a closed stdout aborts its `signal`, which every long-running
 * part honours (the engine, runContainer, the runners, the server); then the hooks run (the
 * clean-up that must be over before the process goes, and the commands' own last word) and
 * the process exits with the code they decided.
 */
import { EXIT_BROKEN_PIPE, exitCodeOfSignal } from "./exit-codes";

/** May return an exit code to use instead of the signal's own (130 SIGINT, 143 SIGTERM). */
export type ShutdownHook = (signal: NodeJS.Signals) => Promise<number | undefined> | number | undefined;

/** What commands and library code see of the process's shutdown. */
export interface ShutdownScope {
  /** Aborted when the process is asked to stop; nothing new should start after it. */
  readonly signal: AbortSignal;
  /** Registers clean-up to finish before the process exits; returns its unregistration. */
  onShutdown(hook: ShutdownHook): () => void;
}

export class Shutdown implements ShutdownScope {
  private readonly controller = new AbortController();
  private readonly hooks = new Set<ShutdownHook>();
  private started?: Promise<number>;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  onShutdown(hook: ShutdownHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /**
   * Aborts the signal, then runs every hook (side by side; a failing one does not stop the
   * others) and resolves to the exit code: the first one a hook returned, else the signal's.
   * Once only: later calls answer the first call's promise.
   */
  begin(signal: NodeJS.Signals): Promise<number> {
    this.started ??= (async () => {
      this.controller.abort();
      const results = await Promise.allSettled([...this.hooks].map(async (h) => h(signal)));
      for (const r of results) if (r.status === "fulfilled" && typeof r.value === "number") return r.value;
      return exitCodeOfSignal(signal);
    })();
    return this.started;
  }

  /** The exit code of a shutdown that has begun (once its hooks are done), else undefined. */
  get finished(): Promise<number> | undefined {
    return this.started;
  }
}

type Exit = (code: number) => never;

/** Call once per process: SIGINT/SIGTERM begin `shutdown`; a second signal while it runs exits at once. */
export function installSignalHandlers(shutdown: Shutdown, exit: Exit = (c) => process.exit(c)): void {
  const handle = (signal: NodeJS.Signals) => {
    if (shutdown.finished) exit(exitCodeOfSignal(signal));
    shutdown.begin(signal).then(exit, () => exit(1));
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}

/**
 * A closed stdout (`deployster plan | head`) ends the process the way SIGPIPE would (exit
 * 141), after the same shutdown, instead of crashing on EPIPE with a stack trace.
 */
export function installBrokenPipeHandler(shutdown: Shutdown, exit: Exit = (c) => process.exit(c)): void {
  let closing = false;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err?.code !== "EPIPE") throw err;
    if (closing) return;
    closing = true;
    const leave = () => exit(EXIT_BROKEN_PIPE);
    shutdown.begin("SIGPIPE").then(leave, leave);
  });
}
