import { openHijackedStream } from "./attach";
import type { DockerClient } from "./client";
import { type CollectedOutput, OutputCollector, type CollectOptions } from "./collect";

export interface ExecOptions extends CollectOptions {
  cmd: string[];
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  stdin?: string | Uint8Array;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecResult extends CollectedOutput {
  /** The process's exit code; null when it did not end (timeout, abort, overflow) or its container went away. */
  exitCode: number | null;
  execId: string;
}

const enc = encodeURIComponent;

/** The exec-create body: pure, so it can be tested as data. */
export function buildExecCreateBody(o: ExecOptions): Record<string, unknown> {
  return {
    Cmd: o.cmd,
    Env: o.env ? Object.entries(o.env).map(([k, v]) => `${k}=${v}`) : undefined,
    WorkingDir: o.workdir,
    User: o.user,
    Tty: false,
    AttachStdin: o.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
  };
}

/** The exit code once the engine has recorded it (the stream may end a moment before). */
async function exitCodeOf(d: DockerClient, execId: string): Promise<number | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await d.json<{ Running: boolean; ExitCode: number | null }>("GET", `/exec/${enc(execId)}/json`);
    if (!info.Running) return info.ExitCode ?? null;
    await Bun.sleep(20);
  }
  return null;
}

/**
 * Runs one process in a running container (`docker exec`): create the exec, start it over a
 * hijacked connection, feed stdin and close it, collect output, then read the exit code.
 *
 * The Engine API cannot kill an exec'd process. On timeout, abort or stdout overflow this
 * returns at once with the flag set and the connection dropped; the process may still run,
 * and stopping it (by stopping its container) is the caller's job.
 */
export async function execInContainer(d: DockerClient, containerId: string, o: ExecOptions): Promise<ExecResult> {
  o.signal?.throwIfAborted();
  const { Id: execId } = await d.json<{ Id: string }>("POST", `/containers/${enc(containerId)}/exec`, { body: buildExecCreateBody(o) });
  let timedOut = false;
  let aborted = false;
  const interrupt = new AbortController();
  const interrupted = new Promise<void>((resolve) => interrupt.signal.addEventListener("abort", () => resolve(), { once: true }));
  const out = new OutputCollector(o, () => interrupt.abort());
  const onAbort = () => {
    aborted = true;
    interrupt.abort();
  };
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const onTimeout = () => {
    timedOut = true;
    interrupt.abort();
  };
  const timer = o.timeoutMs ? setTimeout(onTimeout, o.timeoutMs) : undefined;
  const result = (exitCode: number | null): ExecResult => ({
    exitCode,
    ...out.finish(),
    timedOut,
    aborted: aborted || !!o.signal?.aborted,
    stdoutOverflow: out.stdoutOverflow,
    dropped: out.dropped,
    execId,
  });
  let stream: Awaited<ReturnType<typeof openHijackedStream>> | undefined;
  try {
    const opening = openHijackedStream(d, `/exec/${enc(execId)}/start`, { Detach: false, Tty: false }, {
      onFrame: (name, data) => {
        if (name !== "stdin") out.push(name, data);
      },
    });
    opening.then((s) => interrupt.signal.aborted && s.close(), () => {});
    stream = await Promise.race([opening, interrupted.then(() => undefined)]);
    if (!stream) return result(null);
    if (o.stdin !== undefined) {
      const bytes = typeof o.stdin === "string" ? new TextEncoder().encode(o.stdin) : o.stdin;
      await Promise.race([stream.writeStdin(bytes).catch(() => {}), interrupted]);
      stream.closeStdin();
    }
    await Promise.race([stream.done, interrupted]);
    if (interrupt.signal.aborted) return result(null);
    return result(await exitCodeOf(d, execId));
  } finally {
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
    stream?.close();
  }
}
