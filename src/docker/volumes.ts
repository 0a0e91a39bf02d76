import type { DockerClient } from "./client";
import { isNotFound } from "./errors";
import { labelFilters } from "./labels";

const enc = encodeURIComponent;

export async function createVolume(d: DockerClient, body: Record<string, unknown>): Promise<any> {
  return d.json("POST", "/volumes/create", { body });
}

export async function inspectVolume(d: DockerClient, name: string): Promise<any | null> {
  try {
    return await d.json("GET", `/volumes/${enc(name)}`);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

export async function listVolumes(d: DockerClient, opts: { labels?: string[] } = {}): Promise<any[]> {
  const r = await d.json<{ Volumes: any[] | null }>("GET", "/volumes", { query: { filters: labelFilters(opts.labels) } });
  return r.Volumes ?? [];
}

export async function removeVolume(d: DockerClient, name: string, force = false): Promise<void> {
  await d.call("DELETE", `/volumes/${enc(name)}`, { query: { force }, okStatuses: [404] });
}
