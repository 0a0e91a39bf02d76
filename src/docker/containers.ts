import type { DockerClient } from "./client";
import { FrameDemuxer } from "./demux";
import { isMissingImage } from "./errors";
import { labelFilters } from "./labels";
import type { ContainerInspect, ContainerSummary } from "./types";

const enc = encodeURIComponent;

export async function createContainer(d: DockerClient, body: Record<string, unknown>, name?: string): Promise<{ Id: string; Warnings?: string[] }> {
  return d.json("POST", "/containers/create", { query: { name }, body });
}

/**
 * Creates a container; when the engine lacks its image, runs `pull` and creates again. The
 * create comes first: an image that is there (the usual case) costs no extra call.
 */
export async function createContainerPullingIfMissing(
  d: DockerClient,
  body: Record<string, unknown>,
  name: string | undefined,
  pull: () => Promise<void>,
): Promise<{ Id: string; Warnings?: string[] }> {
  try {
    return await createContainer(d, body, name);
  } catch (err) {
    if (!isMissingImage(err)) throw err;
    await pull();
    return createContainer(d, body, name);
  }
}

export async function startContainer(d: DockerClient, id: string): Promise<void> {
  await d.call("POST", `/containers/${enc(id)}/start`, { okStatuses: [304] });
}

export async function stopContainer(d: DockerClient, id: string, timeoutSec?: number): Promise<void> {
  // The engine answers after up to t seconds of grace: the call's own deadline comes on top.
  const grace = (timeoutSec ?? 10) * 1000;
  const base = d.options.defaultTimeoutMs;
  await d.call("POST", `/containers/${enc(id)}/stop`, { query: { t: timeoutSec }, okStatuses: [304], ...(base ? { timeoutMs: base + grace } : {}) });
}

/** Kills a running container; a container that is not running (409) or gone (404) is fine. */
export async function killContainer(d: DockerClient, id: string, signal = "SIGKILL"): Promise<void> {
  await d.call("POST", `/containers/${enc(id)}/kill`, { query: { signal }, okStatuses: [404, 409] });
}

/** Removes a container (forced by default). Already gone or being removed is fine. */
export async function removeContainer(d: DockerClient, id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
  await d.call("DELETE", `/containers/${enc(id)}`, {
    query: { force: opts.force ?? true, v: opts.volumes ?? false },
    okStatuses: [404, 409],
  });
}

export async function inspectContainer(d: DockerClient, idOrName: string): Promise<ContainerInspect | null> {
  return d.inspect<ContainerInspect>(`/containers/${enc(idOrName)}/json`);
}

export interface ListContainersOptions {
  all?: boolean;
  labels?: string[];
  name?: string;
  /** Only containers using this volume (name or mount point). */
  volume?: string;
}

export async function listContainers(d: DockerClient, opts: ListContainersOptions = {}): Promise<ContainerSummary[]> {
  const filters = labelFilters(opts.labels, { ...(opts.name ? { name: [opts.name] } : {}), ...(opts.volume ? { volume: [opts.volume] } : {}) });
  return d.json<ContainerSummary[]>("GET", "/containers/json", { query: { all: opts.all ?? true, filters } });
}

/** Waits for the container to exit and returns its exit code. */
export async function waitContainer(d: DockerClient, id: string, condition = "next-exit", signal?: AbortSignal): Promise<number> {
  const r = await d.json<{ StatusCode: number }>("POST", `/containers/${enc(id)}/wait`, { query: { condition }, signal, timeoutMs: 0 });
  return r.StatusCode;
}

export async function renameContainer(d: DockerClient, id: string, newName: string): Promise<void> {
  await d.call("POST", `/containers/${enc(id)}/rename`, { query: { name: newName } });
}

export interface LogsOptions {
  follow?: boolean;
  tail?: number | "all";
  since?: number;
  signal?: AbortSignal;
  onChunk?: (stream: "stdout" | "stderr", data: Uint8Array) => void;
}

/** Reads a container's logs (demultiplexed; containers without a TTY). */
export async function containerLogs(d: DockerClient, id: string, opts: LogsOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const res = await d.request("GET", `/containers/${enc(id)}/logs`, {
    query: { follow: opts.follow ?? false, stdout: true, stderr: true, tail: opts.tail ?? "all", since: opts.since },
    signal: opts.signal,
    ...(opts.follow ? { timeoutMs: 0 } : {}),
  });
  const out: Record<"stdout" | "stderr", Uint8Array[]> = { stdout: [], stderr: [] };
  const demux = new FrameDemuxer((stream, data) => {
    if (stream === "stdin") return;
    out[stream].push(data.slice());
    opts.onChunk?.(stream, data);
  });
  if (res.body) for await (const chunk of res.body) demux.push(chunk);
  const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString("utf8");
  return { stdout: text(out.stdout), stderr: text(out.stderr) };
}
