/** Swarm nodes (GET /nodes) through a manager. */
import type { DockerClient } from "./client";

export async function listNodes(d: DockerClient): Promise<any[]> {
  return d.json<any[]>("GET", "/nodes");
}
