import { registryAuthHeader } from "./auth";
import type { DockerClient } from "./client";
import { DockerApiError } from "./errors";
import { labelFilters } from "./labels";
import { parseImageReference } from "./reference";
import type { ImageInspect, ImageSummary } from "./types";

const enc = encodeURIComponent;

export async function inspectImage(d: DockerClient, ref: string): Promise<ImageInspect | null> {
  return d.inspect<ImageInspect>(`/images/${enc(ref)}/json`);
}

export async function listImages(d: DockerClient, opts: { labels?: string[]; reference?: string } = {}): Promise<ImageSummary[]> {
  const filters = labelFilters(opts.labels, opts.reference ? { reference: [opts.reference] } : {});
  return d.json<ImageSummary[]>("GET", "/images/json", { query: { filters } });
}

export async function removeImage(d: DockerClient, ref: string, opts: { force?: boolean } = {}): Promise<void> {
  await d.call("DELETE", `/images/${enc(ref)}`, { query: { force: opts.force ?? false }, okStatuses: [404] });
}

export interface ProgressEvent {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Reads an NDJSON progress stream (pull/push), passing each event on. The engine reports
 * failures inside a 200 stream as `{"error": ...}`: those become a DockerApiError.
 */
async function consumeProgress(res: Response, method: string, endpoint: string, onProgress?: (ev: ProgressEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  const handle = (line: string) => {
    if (!line.trim()) return;
    let ev: ProgressEvent;
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    if (ev.error || ev.errorDetail?.message) throw new DockerApiError(500, method, endpoint, ev.error ?? ev.errorDetail!.message!);
    onProgress?.(ev);
  };
  if (res.body) {
    for await (const chunk of res.body) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) handle(l);
    }
  }
  handle(rest + decoder.decode());
}

export interface PullOptions {
  onProgress?: (ev: ProgressEvent) => void;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
}

/** Pulls `ref` (tag `latest` when none), with credentials from the Docker client config. */
export async function pullImage(d: DockerClient, ref: string, opts: PullOptions = {}): Promise<void> {
  const r = parseImageReference(ref);
  const tag = r.digest ? undefined : (r.tag ?? "latest");
  const fromImage = r.digest ? `${r.repository}@${r.digest}` : r.repository;
  const res = await d.request("POST", "/images/create", {
    query: { fromImage, tag },
    headers: { "X-Registry-Auth": registryAuthHeader(ref, opts.env) },
    signal: opts.signal,
    // A pull lasts as long as the image takes; callers bound it with their signal.
    timeoutMs: 0,
  });
  await consumeProgress(res, "POST", `/images/create?fromImage=${fromImage}`, opts.onProgress);
}

export interface EnsureImageOptions extends PullOptions {
  /** Told before the pull starts, when the engine lacks the image. */
  onPull?: (ref: string) => void;
}

/**
 * The image's inspection, pulled first when the engine does not have it. Throws when the
 * pull fails, or when the image is still missing after it.
 */
export async function ensureImage(d: DockerClient, ref: string, opts: EnsureImageOptions = {}): Promise<ImageInspect> {
  const found = await inspectImage(d, ref);
  if (found) return found;
  opts.onPull?.(ref);
  await pullImage(d, ref, opts);
  const pulled = await inspectImage(d, ref);
  if (!pulled) throw new Error(`image ${ref} is still missing after the pull`);
  return pulled;
}

export async function tagImage(d: DockerClient, source: string, repo: string, tag: string): Promise<void> {
  await d.call("POST", `/images/${enc(source)}/tag`, { query: { repo, tag } });
}

export async function pushImage(d: DockerClient, ref: string, opts: PullOptions = {}): Promise<void> {
  const r = parseImageReference(ref);
  const res = await d.request("POST", `/images/${enc(r.repository)}/push`, {
    query: { tag: r.tag ?? "latest" },
    headers: { "X-Registry-Auth": registryAuthHeader(ref, opts.env) },
    signal: opts.signal,
    timeoutMs: 0,
  });
  await consumeProgress(res, "POST", `/images/${r.repository}/push`, opts.onProgress);
}
