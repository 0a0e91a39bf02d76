/**
 * Process-wide shutdown hooks for SIGINT/SIGTERM. Library code registers what must happen
 * before the process goes (remove live containers, stop accepting requests); main.ts owns
 * the signal listeners and the exit. A hook may return an exit code to use instead of the
 * signal's default (130 for SIGINT, 143 for SIGTERM).
 */
export type ShutdownHook = (signal: NodeJS.Signals) => Promise<number | void> | number | void;

const hooks = new Set<ShutdownHook>();

export function onShutdown(hook: ShutdownHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export async function runShutdownHooks(signal: NodeJS.Signals): Promise<number> {
  let code: number | undefined;
  const results = await Promise.allSettled([...hooks].map((h) => h(signal)));
  for (const r of results) if (r.status === "fulfilled" && typeof r.value === "number") code ??= r.value;
  return code ?? (signal === "SIGINT" ? 130 : 143);
}

let installed = false;

/** Installs the listeners once. A second signal while hooks run exits at once. */
export function installSignalHandlers(exit: (code: number) => never = (c) => process.exit(c)): void {
  if (installed) return;
  installed = true;
  let shuttingDown = false;
  const handle = (signal: NodeJS.Signals) => {
    if (shuttingDown) exit(signal === "SIGINT" ? 130 : 143);
    shuttingDown = true;
    runShutdownHooks(signal).then(exit, () => exit(1));
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}

/**
 * A closed stdout (`deployster plan | head`) ends the process the way SIGPIPE would (exit
 * 141), after the same clean-up hooks, instead of crashing on EPIPE with a stack trace.
 */
export function installBrokenPipeHandler(exit: (code: number) => never = (c) => process.exit(c)): void {
  let closing = false;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err?.code !== "EPIPE") throw err;
    if (closing) return;
    closing = true;
    runShutdownHooks("SIGPIPE").then(
      () => exit(141),
      () => exit(141),
    );
  });
}
