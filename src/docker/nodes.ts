/** Swarm nodes (GET /nodes) through a manager. */
import type { DockerClient } from "./client";

export async function listNodes(d: DockerClient): Promise<any[]> {
  return d.json<any[]>("GET", "/nodes");
}

/** GET /info's Swarm section: whether this engine is an active manager. */
export async function readSwarmRole(d: DockerClient): Promise<{ state: string; manager: boolean }> {
  const info = await d.json<any>("GET", "/info");
  const s = info?.Swarm ?? {};
  return { state: String(s.LocalNodeState ?? "inactive"), manager: !!s.ControlAvailable };
}
