import type { DockerClient } from "./client";
import { attachContainer } from "./attach";
import { createContainerPullingIfMissing, killContainer, removeContainer, startContainer } from "./containers";
import { LineSplitter } from "./demux";
import { pullImage } from "./images";
import { LABEL_COMPONENT, LABEL_MANAGED } from "./labels";
import type { ContainerTracker } from "./tracking";

export interface RunOptions {
  image: string;
  entrypoint?: string[];
  args?: string[];
  env?: Record<string, string>;
  binds?: string[];
  labels?: Record<string, string>;
  workdir?: string;
  network?: string;
  user?: string;
  name?: string;
  stdin?: string | Uint8Array;
  timeoutMs?: number;
  /** Ends the run: the container is killed and removed, `aborted` is set. */
  signal?: AbortSignal;
  /** The run's (or server's) containers: this one is in it until it is removed. */
  containers?: ContainerTracker;
  onStdoutLine?(line: string): void;
  onStderrLine?(line: string): void;
  /**
   * Raw output as produced, for streaming to a client. A returned promise pauses reading
   * from the container until it settles (back-pressure from a slow consumer).
   */
  onOutput?(stream: "stdout" | "stderr", chunk: Uint8Array): void | Promise<void>;
  /** Keep a copy of the output in RunResult.stdout/stderr (default true); false for streams of any size. */
  keepOutput?: boolean;
  /** Extra HostConfig fields (e.g. Memory, PidsLimit). */
  hostConfig?: Record<string, unknown>;
  /** Called once the image had to be pulled (for progress reporting). */
  onPull?(image: string): void;
  /**
   * Stdout past this many bytes kills the container and sets `stdoutOverflow` (the bytes
   * past the cap are not kept nor passed on). Default: no cap.
   */
  maxStdoutBytes?: number;
  /** At most this many bytes of a stream are kept in the result (callbacks still see all). Default: all. */
  keepBytes?: Partial<Record<"stdout" | "stderr", number>>;
}

export interface RunResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  aborted: boolean;
  /** Stdout passed `maxStdoutBytes`: the container was killed. */
  stdoutOverflow: boolean;
  /** Bytes of each stream that were produced but not kept (`keepBytes`). */
  dropped: { stdout: number; stderr: number };
  containerId: string;
}

/** The create body for a one-shot run: pure, so it can be tested as data. */
export function buildRunCreateBody(o: RunOptions): Record<string, unknown> {
  const withStdin = o.stdin !== undefined;
  return {
    Image: o.image,
    Entrypoint: o.entrypoint,
    Cmd: o.args,
    Env: o.env ? Object.entries(o.env).map(([k, v]) => `${k}=${v}`) : undefined,
    Labels: { ...o.labels, [LABEL_MANAGED]: "true", [LABEL_COMPONENT]: o.labels?.[LABEL_COMPONENT] ?? "run" },
    WorkingDir: o.workdir,
    User: o.user,
    Tty: false,
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: withStdin,
    StdinOnce: withStdin,
    // The engine removes the container as soon as it exits (as `docker run --rm` does);
    // runContainer still force-removes it on every path where that was not confirmed.
    HostConfig: { ...o.hostConfig, Binds: o.binds, NetworkMode: o.network, AutoRemove: true },
  };
}

class RunInterruptedError extends Error {}

async function createPullingIfMissing(d: DockerClient, o: RunOptions): Promise<string> {
  const pull = async () => {
    o.onPull?.(o.image);
    await pullImage(d, o.image, { signal: o.signal });
  };
  return (await createContainerPullingIfMissing(d, buildRunCreateBody(o), o.name, pull)).Id;
}

/**
 * Runs one container to completion: create (pulling a missing image), attach, register the
 * wait, start, feed stdin, collect output, and always remove the container: on success,
 * failure, timeout, abort and process signals. A timeout or abort kills the container
 * (exit code 137) and sets `timedOut` / `aborted`.
 */
export async function runContainer(d: DockerClient, o: RunOptions): Promise<RunResult> {
  o.signal?.throwIfAborted();
  const id = await createPullingIfMissing(d, o);
  o.containers?.track(d, id);
  const chunks = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };
  const lines = {
    stdout: o.onStdoutLine ? new LineSplitter(o.onStdoutLine) : undefined,
    stderr: o.onStderrLine ? new LineSplitter(o.onStderrLine) : undefined,
  };
  const kept = { stdout: 0, stderr: 0 };
  const dropped = { stdout: 0, stderr: 0 };
  let stdoutBytes = 0;
  let stdoutOverflow = false;
  let timedOut = false;
  let aborted = false;
  let removed = false;
  // One controller ends everything still pending (attach, wait, stdin) on timeout or abort,
  // so a hung engine call cannot keep the run (and its container) alive.
  const life = new AbortController();
  const ended = new Promise<never>((_, reject) =>
    life.signal.addEventListener("abort", () => reject(new RunInterruptedError(timedOut ? "timeout" : "abort")), { once: true }),
  );
  ended.catch(() => {});
  // Kill, then give the engine a moment to report it through wait before forcing the end.
  const stop = () => {
    void killContainer(d, id).catch(() => {});
    setTimeout(() => life.abort(), 5000).unref?.();
  };
  const onAbort = () => {
    aborted = true;
    stop();
  };
  const onTimeout = () => {
    timedOut = true;
    stop();
  };
  const timer = o.timeoutMs ? setTimeout(onTimeout, o.timeoutMs) : undefined;
  o.signal?.addEventListener("abort", onAbort, { once: true });
  // Aborted while the container was being created: it never starts.
  if (o.signal?.aborted) onAbort();
  const keep = (stream: "stdout" | "stderr", data: Uint8Array) => {
    const room = (o.keepBytes?.[stream] ?? Infinity) - kept[stream];
    const n = Math.min(Math.max(room, 0), data.length);
    if (n > 0) chunks[stream].push(data.slice(0, n));
    kept[stream] += n;
    dropped[stream] += data.length - n;
  };
  const result = (exitCode: number): RunResult => {
    lines.stdout?.flush();
    lines.stderr?.flush();
    return {
      exitCode,
      stdout: Buffer.concat(chunks.stdout),
      stderr: Buffer.concat(chunks.stderr),
      timedOut,
      aborted: aborted || !!o.signal?.aborted,
      stdoutOverflow,
      dropped,
      containerId: id,
    };
  };
  try {
    const setup = Promise.all([
      attachContainer(d, id, {
        stdin: o.stdin !== undefined,
        onFrame: (stream, data) => {
          if (stream === "stdin") return;
          if (stream === "stdout" && o.maxStdoutBytes !== undefined) {
            if (stdoutOverflow) return;
            stdoutBytes += data.length;
            if (stdoutBytes > o.maxStdoutBytes) {
              stdoutOverflow = true;
              stop();
              return;
            }
          }
          if (o.keepOutput !== false) keep(stream, data);
          lines[stream]?.push(data);
          return o.onOutput?.(stream, data);
        },
      }),
      // Registered (headers received) before start, so a fast exit cannot be missed.
      // condition=removed: answers with the exit code once AutoRemove has removed it.
      d.request("POST", `/containers/${id}/wait`, { query: { condition: "removed" }, signal: life.signal, timeoutMs: 0 }),
    ]);
    const [attachment, waitRes] = await Promise.race([setup, ended]);
    life.signal.addEventListener("abort", () => attachment.close(), { once: true });
    if (aborted || timedOut) return result(137);
    await Promise.race([startContainer(d, id), ended]);
    if (o.stdin !== undefined) {
      const bytes = typeof o.stdin === "string" ? new TextEncoder().encode(o.stdin) : o.stdin;
      await Promise.race([attachment.writeStdin(bytes).catch(() => {}), ended]);
      attachment.closeStdin();
    }
    const [status] = await Promise.race([Promise.all([waitRes.json() as Promise<{ StatusCode: number }>, attachment.done]), ended]);
    removed = true;
    return result(status.StatusCode);
  } catch (err) {
    if (err instanceof RunInterruptedError) return result(137);
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    life.abort();
    o.signal?.removeEventListener("abort", onAbort);
    if (!removed) await removeContainer(d, id, { force: true }).catch(() => {});
    o.containers?.untrack(id);
  }
}
