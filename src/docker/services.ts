/**
 * Swarm services through a manager's Engine API (GET/POST /services...). Kept apart from
 * the single-engine calls: every function here needs an engine that is a Swarm manager.
 */
import type { DockerClient } from "./client";
import { labelFilters } from "./labels";

const enc = encodeURIComponent;

export interface ListServicesOptions {
  labels?: string[];
  /** Exact service IDs or names are filtered by the engine as prefixes; callers match exactly. */
  ids?: string[];
  names?: string[];
  /** Adds ServiceStatus {RunningTasks, DesiredTasks} to each service (API ≥ 1.41). */
  status?: boolean;
}

export async function listServices(d: DockerClient, o: ListServicesOptions = {}): Promise<any[]> {
  const extra: Record<string, string[]> = {};
  if (o.ids?.length) extra.id = o.ids;
  if (o.names?.length) extra.name = o.names;
  return d.json<any[]>("GET", "/services", { query: { filters: labelFilters(o.labels, extra), status: o.status || undefined } });
}

/** A service by ID or name; null when there is none. */
export async function inspectService(d: DockerClient, idOrName: string): Promise<any | null> {
  const res = await d.request("GET", `/services/${enc(idOrName)}`, { okStatuses: [404] });
  const text = await res.text();
  return res.status === 404 ? null : JSON.parse(text);
}

export async function createService(d: DockerClient, spec: Record<string, unknown>, registryAuth?: string): Promise<{ ID: string; Warnings?: string[] }> {
  return d.json("POST", "/services/create", {
    body: spec,
    headers: registryAuth ? { "X-Registry-Auth": registryAuth } : undefined,
  });
}

/** Replaces the spec of a service; `version` is the Version.Index it was read at (optimistic lock). */
export async function updateService(
  d: DockerClient,
  id: string,
  version: number,
  spec: Record<string, unknown>,
  registryAuth?: string,
): Promise<{ Warnings?: string[] | null }> {
  return d.json("POST", `/services/${enc(id)}/update`, {
    query: { version },
    body: spec,
    headers: registryAuth ? { "X-Registry-Auth": registryAuth } : undefined,
  });
}

/** DELETE /services/{id}; a service already gone is fine. */
export async function removeService(d: DockerClient, idOrName: string): Promise<void> {
  await d.call("DELETE", `/services/${enc(idOrName)}`, { okStatuses: [404] });
}

/**
 * The registry's manifest digest of an image (GET /distribution/{ref}/json, asked of the
 * manager), so that every node runs the same bytes; undefined when the registry cannot say.
 */
export async function resolveRegistryDigest(d: DockerClient, image: string, signal?: AbortSignal): Promise<string | undefined> {
  // The reference goes into the request path as it is: only reference characters, no `..`.
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(image) || image.includes("..")) throw new Error(`invalid image reference ${JSON.stringify(image)}`);
  const info = await d.json<any>("GET", `/distribution/${image}/json`, { signal, timeoutMs: 30_000 });
  const digest = info?.Descriptor?.digest;
  return typeof digest === "string" && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined;
}
