import { mkdir } from "node:fs/promises";
import type { EngineEvent, InvocationPhase } from "./events";
import type { Limiter } from "./limiter";
import type { InvocationIO } from "./resource-type";

export interface InvokerOptions {
  limiter: Limiter;
  signal: AbortSignal;
  emit(event: EngineEvent): void;
  /** Created (0700) before the first invocation: the conf dir and the work dir. */
  dirs: string[];
}

export interface Invocation<T> {
  resource: string;
  phase: InvocationPhase;
  action?: string;
  mounts: string[];
  call(io: InvocationIO): Promise<T>;
}

/**
 * Runs invocations: each under the parallelism limiter, not started once the run is aborted,
 * with its live output and its start/end events reported. The run's private folders exist
 * before the first one starts (a type's container mounts the conf dir, and a scratch dir at
 * the work dir's path).
 */
export function createInvoker(o: InvokerOptions): <T>(invocation: Invocation<T>) => Promise<T> {
  let dirsReady: Promise<void> | undefined;
  const ensureDirs = () => {
    dirsReady ??= Promise.all(o.dirs.map((dir) => mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => {}))).then(() => {});
    return dirsReady;
  };
  return async ({ resource, phase, action, mounts, call }) => {
    await ensureDirs();
    return o.limiter.run(async () => {
      o.signal.throwIfAborted();
      const started = Date.now();
      o.emit({ event: "invocation-start", resource, phase, action, mounts });
      const io: InvocationIO = {
        signal: o.signal,
        output: (stream, line) => o.emit({ event: "output", resource, phase, action, stream, line }),
      };
      let ok = false;
      try {
        const result = await call(io);
        ok = true;
        return result;
      } finally {
        o.emit({ event: "invocation-end", resource, phase, action, ok, durationMs: Date.now() - started });
      }
    });
  };
}
