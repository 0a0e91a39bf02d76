import type { DockerClient } from "./client";
import { attachContainer } from "./attach";
import { createContainer, killContainer, removeContainer, startContainer } from "./containers";
import { LineSplitter } from "./demux";
import { DockerApiError } from "./errors";
import { pullImage } from "./images";
import { LABEL_COMPONENT, LABEL_MANAGED } from "./labels";
import { trackContainer, untrackContainer } from "./tracking";

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
  signal?: AbortSignal;
  onStdoutLine?(line: string): void;
  onStderrLine?(line: string): void;
  /** Raw output as produced, for streaming to a client. */
  onOutput?(stream: "stdout" | "stderr", chunk: Uint8Array): void;
  /** Called once the image had to be pulled (for progress reporting). */
  onPull?(image: string): void;
}

export interface RunResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  aborted: boolean;
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
    HostConfig: { Binds: o.binds, NetworkMode: o.network, AutoRemove: false },
  };
}

function isMissingImage(err: unknown): boolean {
  return err instanceof DockerApiError && err.status === 404 && /no such image/i.test(err.engineMessage);
}

async function createPullingIfMissing(d: DockerClient, o: RunOptions): Promise<string> {
  const body = buildRunCreateBody(o);
  try {
    return (await createContainer(d, body, o.name)).Id;
  } catch (err) {
    if (!isMissingImage(err)) throw err;
    o.onPull?.(o.image);
    await pullImage(d, o.image, { signal: o.signal });
    return (await createContainer(d, body, o.name)).Id;
  }
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
  trackContainer(d, id);
  const chunks = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };
  const lines = {
    stdout: o.onStdoutLine ? new LineSplitter(o.onStdoutLine) : undefined,
    stderr: o.onStderrLine ? new LineSplitter(o.onStderrLine) : undefined,
  };
  let timedOut = false;
  let aborted = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const kill = () => killContainer(d, id).catch(() => {});
  const onAbort = () => {
    aborted = true;
    void kill();
  };
  try {
    const waitCtl = new AbortController();
    const [attachment, waitRes] = await Promise.all([
      attachContainer(d, id, {
        stdin: o.stdin !== undefined,
        onFrame: (stream, data) => {
          if (stream === "stdin") return;
          chunks[stream].push(data.slice());
          o.onOutput?.(stream, data);
          lines[stream]?.push(data);
        },
      }),
      // Registered (headers received) before start, so a fast exit cannot be missed.
      d.request("POST", `/containers/${id}/wait`, { query: { condition: "next-exit" }, signal: waitCtl.signal }),
    ]);
    o.signal?.addEventListener("abort", onAbort, { once: true });
    if (o.timeoutMs) timer = setTimeout(() => ((timedOut = true), void kill()), o.timeoutMs);
    await startContainer(d, id);
    if (o.stdin !== undefined) {
      const bytes = typeof o.stdin === "string" ? new TextEncoder().encode(o.stdin) : o.stdin;
      await attachment.writeStdin(bytes).catch(() => {});
      attachment.closeStdin();
    }
    const [status] = await Promise.all([waitRes.json() as Promise<{ StatusCode: number }>, attachment.done]);
    lines.stdout?.flush();
    lines.stderr?.flush();
    return {
      exitCode: status.StatusCode,
      stdout: Buffer.concat(chunks.stdout),
      stderr: Buffer.concat(chunks.stderr),
      timedOut,
      aborted: aborted || !!o.signal?.aborted,
      containerId: id,
    };
  } finally {
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
    await removeContainer(d, id, { force: true }).catch(() => {});
    untrackContainer(id);
  }
}
