import type { DockerClient } from "./client";
import { labelFilters } from "./labels";
import type { VolumeInspect } from "./types";

const enc = encodeURIComponent;

export async function createVolume(d: DockerClient, body: Record<string, unknown>): Promise<VolumeInspect> {
  return d.json<VolumeInspect>("POST", "/volumes/create", { body });
}

export async function inspectVolume(d: DockerClient, name: string): Promise<VolumeInspect | null> {
  return d.inspect<VolumeInspect>(`/volumes/${enc(name)}`);
}

export async function listVolumes(d: DockerClient, opts: { labels?: string[] } = {}): Promise<VolumeInspect[]> {
  const r = await d.json<{ Volumes: VolumeInspect[] | null }>("GET", "/volumes", { query: { filters: labelFilters(opts.labels) } });
  return r.Volumes ?? [];
}

export async function removeVolume(d: DockerClient, name: string, force = false): Promise<void> {
  await d.call("DELETE", `/volumes/${enc(name)}`, { query: { force }, okStatuses: [404] });
}
