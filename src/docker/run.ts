import type { DockerClient } from "./client";
import { attachContainer } from "./attach";
import { createContainerPullingIfMissing, killContainer, removeContainer, startContainer } from "./containers";
import { type CollectedOutput, type CollectOptions, OutputCollector } from "./collect";
import { pullImage } from "./images";
import { LABEL_COMPONENT, LABEL_MANAGED } from "./labels";
import type { ContainerTracker } from "./tracking";

/** With the output options of every process we collect (line callbacks, kept bytes, stdout cap: a cap kills the container). */
export interface RunOptions extends CollectOptions {
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
  /**
   * Raw output as produced, for streaming to a client. A returned promise pauses reading
   * from the container until it settles (back-pressure from a slow consumer).
   */
  onOutput?(stream: "stdout" | "stderr", chunk: Uint8Array): void | Promise<void>;
  /** Extra HostConfig fields (e.g. Memory, PidsLimit). */
  hostConfig?: Record<string, unknown>;
  /** Called once the image had to be pulled (for progress reporting). */
  onPull?(image: string): void;
}

export interface RunResult extends CollectedOutput {
  exitCode: number;
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
 * What ends a run early (timeout, abort, stdout overflow): `stop` kills the container, then
 * gives the engine a moment to report it through wait before `life` forces the end. `life`
 * ends everything still pending (attach, wait, stdin), so a hung engine call cannot keep
 * the run (and its container) alive; `ended` rejects once it fires.
 */
class RunEnding {
  readonly life = new AbortController();
  readonly ended: Promise<never>;
  timedOut = false;
  aborted = false;

  constructor(
    private readonly docker: DockerClient,
    private readonly id: string,
  ) {
    this.ended = new Promise<never>((_, reject) =>
      this.life.signal.addEventListener("abort", () => reject(new RunInterruptedError(this.timedOut ? "timeout" : "abort")), { once: true }),
    );
    this.ended.catch(() => {});
  }

  get early(): boolean {
    return this.timedOut || this.aborted;
  }

  stop = (): void => {
    void killContainer(this.docker, this.id).catch(() => {});
    setTimeout(() => this.life.abort(), 5000).unref?.();
  };

  abort = (): void => {
    this.aborted = true;
    this.stop();
  };

  timeout = (): void => {
    this.timedOut = true;
    this.stop();
  };
}

/**
 * Attaches, registers the wait, starts, feeds stdin and waits for the exit: the exit code,
 * and whether the engine confirmed the removal (wait's condition=removed answered), or 137
 * when the run was stopped first.
 */
async function driveContainer(d: DockerClient, id: string, o: RunOptions, output: OutputCollector, ending: RunEnding): Promise<{ exitCode: number; removed: boolean }> {
  const setup = Promise.all([
    attachContainer(d, id, {
      stdin: o.stdin !== undefined,
      onFrame: (stream, data) => {
        if (stream !== "stdin" && output.push(stream, data)) return o.onOutput?.(stream, data);
      },
    }),
    // Registered (headers received) before start, so a fast exit cannot be missed.
    // condition=removed: answers with the exit code once AutoRemove has removed it.
    d.request("POST", `/containers/${id}/wait`, { query: { condition: "removed" }, signal: ending.life.signal, timeoutMs: 0 }),
  ]);
  const [attachment, waitRes] = await Promise.race([setup, ending.ended]);
  ending.life.signal.addEventListener("abort", () => attachment.close(), { once: true });
  if (ending.early) return { exitCode: 137, removed: false };
  await Promise.race([startContainer(d, id), ending.ended]);
  if (o.stdin !== undefined) {
    const bytes = typeof o.stdin === "string" ? new TextEncoder().encode(o.stdin) : o.stdin;
    await Promise.race([attachment.writeStdin(bytes).catch(() => {}), ending.ended]);
    attachment.closeStdin();
  }
  const [status] = await Promise.race([Promise.all([waitRes.json() as Promise<{ StatusCode: number }>, attachment.done]), ending.ended]);
  return { exitCode: status.StatusCode, removed: true };
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
  const ending = new RunEnding(d, id);
  const output = new OutputCollector(o, ending.stop);
  const timer = o.timeoutMs ? setTimeout(ending.timeout, o.timeoutMs) : undefined;
  o.signal?.addEventListener("abort", ending.abort, { once: true });
  // Aborted while the container was being created: it never starts.
  if (o.signal?.aborted) ending.abort();
  const result = (exitCode: number): RunResult => ({
    exitCode,
    ...output.finish(),
    timedOut: ending.timedOut,
    aborted: ending.aborted || !!o.signal?.aborted,
    stdoutOverflow: output.stdoutOverflow,
    dropped: output.dropped,
    containerId: id,
  });
  let removed = false;
  try {
    const end = await driveContainer(d, id, o, output, ending);
    removed = end.removed;
    return result(end.exitCode);
  } catch (err) {
    if (err instanceof RunInterruptedError) return result(137);
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    ending.life.abort();
    o.signal?.removeEventListener("abort", ending.abort);
    if (!removed) await removeContainer(d, id, { force: true }).catch(() => {});
    o.containers?.untrack(id);
  }
}
