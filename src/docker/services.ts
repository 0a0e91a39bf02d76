/**
 * Swarm service calls the plan/apply types need beyond those of swarm.ts (inspect, create,
 * remove, logs): filtered listings with task counts, updates, digest pinning. Every
 * function here needs an engine that is a Swarm manager.
 */
import type { DockerClient } from "./client";
import { registryAuthHeader } from "./auth";
import { labelFilters } from "./labels";
import { distributionDigest } from "./swarm";
import type { SwarmService } from "./types";

const enc = encodeURIComponent;

export interface ListServicesOptions {
  labels?: string[];
  /** Exact service IDs or names are filtered by the engine as prefixes; callers match exactly. */
  ids?: string[];
  names?: string[];
  /** Adds ServiceStatus {RunningTasks, DesiredTasks} to each service (API ≥ 1.41). */
  status?: boolean;
}

/** Services matching labels, IDs or names (prefix matches: callers compare exactly), with their task counts if asked. */
export async function findServices(d: DockerClient, o: ListServicesOptions = {}): Promise<SwarmService[]> {
  const extra: Record<string, string[]> = {};
  if (o.ids?.length) extra.id = o.ids;
  if (o.names?.length) extra.name = o.names;
  return d.json<SwarmService[]>("GET", "/services", { query: { filters: labelFilters(o.labels, extra), status: o.status || undefined } });
}



/** Replaces the spec of a service; `version` is the Version.Index it was read at (optimistic lock). */
export async function updateService(
  d: DockerClient,
  id: string,
  version: number,
  spec: Record<string, unknown>,
  registryAuth?: string,
): Promise<{ Warnings?: string[] | null }> {
  return d.json<{ Warnings?: string[] | null }>("POST", `/services/${enc(id)}/update`, {
    query: { version },
    body: spec,
    headers: registryAuth ? { "X-Registry-Auth": registryAuth } : undefined,
  });
}


/**
 * The registry's manifest digest of an image (asked of the manager, with the credentials of
 * the Docker client config), so that every node runs the same bytes; undefined when the
 * registry cannot say.
 */
export async function resolveRegistryDigest(d: DockerClient, image: string, signal?: AbortSignal): Promise<string | undefined> {
  // The reference goes into the request path as it is: only reference characters, no `..`.
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(image) || image.includes("..")) throw new Error(`invalid image reference ${JSON.stringify(image)}`);
  try {
    return await distributionDigest(d, image, registryAuthHeader(image), signal);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith("the registry gave no digest")) return undefined;
    throw err;
  }
}
