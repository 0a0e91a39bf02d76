/**
 * Swarm secrets and configs through a manager. Both are immutable once created (only their
 * labels may change), so the calls are create, inspect, list and remove; `kind` picks the
 * endpoint family (/secrets or /configs), whose shapes are the same.
 */
import type { DockerClient } from "./client";
import { labelFilters } from "./labels";
import type { SwarmObject } from "./types";

const enc = encodeURIComponent;

export type SwarmObjectKind = "secrets" | "configs";

export async function listSwarmObjects(d: DockerClient, kind: SwarmObjectKind, o: { labels?: string[]; names?: string[] } = {}): Promise<SwarmObject[]> {
  const extra: Record<string, string[]> = o.names?.length ? { name: o.names } : {};
  return d.json<SwarmObject[]>("GET", `/${kind}`, { query: { filters: labelFilters(o.labels, extra) } });
}

export async function inspectSwarmObject(d: DockerClient, kind: SwarmObjectKind, idOrName: string): Promise<SwarmObject | null> {
  return d.inspect<SwarmObject>(`/${kind}/${enc(idOrName)}`);
}

/** `data` is sent base64-encoded, as the API wants it; it never appears in an error message. */
export async function createSwarmObject(
  d: DockerClient,
  kind: SwarmObjectKind,
  spec: { Name: string; Labels: Record<string, string>; data: Uint8Array },
): Promise<{ ID: string }> {
  const body = { Name: spec.Name, Labels: spec.Labels, Data: Buffer.from(spec.data).toString("base64") };
  return d.json<{ ID: string }>("POST", `/${kind}/create`, { body });
}

/** Removes one; gone already is fine. An object still used by a service answers 400 (thrown). */
export async function removeSwarmObject(d: DockerClient, kind: SwarmObjectKind, idOrName: string): Promise<void> {
  await d.call("DELETE", `/${kind}/${enc(idOrName)}`, { okStatuses: [404] });
}
