/** Swarm configs: the same calls as secrets (see secrets.ts), bound to /configs. */
import type { DockerClient } from "./client";
import { createSwarmObject, inspectSwarmObject, listSwarmObjects, removeSwarmObject } from "./secrets";

export const listConfigs = (d: DockerClient, o: { labels?: string[]; names?: string[] } = {}) => listSwarmObjects(d, "configs", o);
export const inspectConfig = (d: DockerClient, idOrName: string) => inspectSwarmObject(d, "configs", idOrName);
export const createConfig = (d: DockerClient, spec: { Name: string; Labels: Record<string, string>; data: Uint8Array }) =>
  createSwarmObject(d, "configs", spec);
export const removeConfig = (d: DockerClient, idOrName: string) => removeSwarmObject(d, "configs", idOrName);
