/**
 * The Swarm part of the Engine API (talked to through a manager): services, tasks, nodes,
 * service logs, and the registry digest of an image.
 */
import type { DockerClient } from "./client";
import { FrameDemuxer, type StreamName } from "./demux";
import { isNotFound } from "./errors";
import type { SwarmNode, SwarmService, SwarmTask, SystemInfo } from "./types";

const enc = encodeURIComponent;

/** GET /info's Swarm section: whether this engine is an active manager. */
export async function swarmRole(d: DockerClient): Promise<{ state: string; manager: boolean; nodeId: string }> {
  const info = await d.json<SystemInfo>("GET", "/info");
  const s = info?.Swarm ?? {};
  return { state: String(s.LocalNodeState ?? "inactive"), manager: !!s.ControlAvailable, nodeId: String(s.NodeID ?? "") };
}

export async function listServices(d: DockerClient, labels: string[]): Promise<SwarmService[]> {
  return d.json<SwarmService[]>("GET", "/services", { query: { filters: { label: labels } } });
}

/** A service by ID or name; null when there is none. */
export async function inspectService(d: DockerClient, idOrName: string): Promise<SwarmService | null> {
  const res = await d.request("GET", `/services/${enc(idOrName)}`, { okStatuses: [404] });
  const text = await res.text();
  return res.status === 404 ? null : (JSON.parse(text) as SwarmService);
}

/** POST /services/create; `registryAuth` is the X-Registry-Auth value the nodes pull with. */
export async function createService(d: DockerClient, spec: Record<string, unknown>, registryAuth?: string): Promise<{ ID: string }> {
  return d.json<{ ID: string }>("POST", "/services/create", {
    body: spec,
    headers: registryAuth ? { "X-Registry-Auth": registryAuth } : undefined,
  });
}

/**
 * POST /services/{id}/update with the whole new spec at the service's current version (a
 * concurrent change makes it fail, and the caller looks again); without X-Registry-Auth the
 * engine keeps the credentials of the current spec, so nodes pull as they did at creation.
 */
export async function updateService(d: DockerClient, id: string, version: number, spec: unknown): Promise<void> {
  await d.call("POST", `/services/${enc(id)}/update`, { query: { version }, body: spec });
}

/** DELETE /services/{id}; a service already gone is fine. Swarm stops its tasks gracefully. */
export async function removeService(d: DockerClient, idOrName: string): Promise<void> {
  await d.call("DELETE", `/services/${enc(idOrName)}`, { okStatuses: [404] });
}

/**
 * Tasks of the given services (one request, however many). The engine answers 404 when one
 * of them is gone (removed since it was listed): then undefined, and the caller lists again.
 */
export async function listTasks(d: DockerClient, serviceIds: string[]): Promise<SwarmTask[] | undefined> {
  if (serviceIds.length === 0) return [];
  try {
    return await d.json<SwarmTask[]>("GET", "/tasks", { query: { filters: { service: serviceIds } } });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function listNodes(d: DockerClient): Promise<SwarmNode[]> {
  return d.json<SwarmNode[]>("GET", "/nodes");
}

export interface ServiceLogsOptions {
  follow?: boolean;
  tail?: number | "all";
  signal?: AbortSignal;
  onChunk: (stream: StreamName, data: Uint8Array) => void;
  /** Awaited after each chunk read: reading pauses while the consumer has no room (back-pressure). */
  waitForRoom?: () => Promise<void>;
}

/** Reads a service's logs (demultiplexed; services without a TTY). Resolves when the stream ends. */
export async function serviceLogs(d: DockerClient, id: string, o: ServiceLogsOptions): Promise<void> {
  const res = await d.request("GET", `/services/${enc(id)}/logs`, {
    query: { follow: o.follow ?? false, stdout: true, stderr: true, tail: o.tail ?? "all" },
    signal: o.signal,
  });
  const demux = new FrameDemuxer((stream, data) => o.onChunk(stream, data));
  if (!res.body) return;
  for await (const chunk of res.body) {
    demux.push(chunk);
    if (o.waitForRoom) await o.waitForRoom();
  }
}

/** The registry's digest of an image (GET /distribution/{name}/json), so every node runs the same bytes. */
export async function distributionDigest(d: DockerClient, image: string, registryAuth?: string, signal?: AbortSignal): Promise<string> {
  const info = await d.json<{ Descriptor?: { digest?: unknown } }>("GET", `/distribution/${image}/json`, {
    headers: registryAuth ? { "X-Registry-Auth": registryAuth } : undefined,
    signal,
    timeoutMs: 30_000,
  });
  const digest = info?.Descriptor?.digest;
  if (typeof digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`the registry gave no digest for ${image}`);
  return digest;
}
