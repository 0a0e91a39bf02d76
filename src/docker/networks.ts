import type { DockerClient } from "./client";
import { labelFilters } from "./labels";
import type { NetworkInspect } from "./types";

const enc = encodeURIComponent;

export async function createNetwork(d: DockerClient, body: Record<string, unknown>): Promise<{ Id: string }> {
  return d.json<{ Id: string }>("POST", "/networks/create", { body: { CheckDuplicate: true, ...body } });
}

export async function inspectNetwork(d: DockerClient, idOrName: string): Promise<NetworkInspect | null> {
  return d.inspect<NetworkInspect>(`/networks/${enc(idOrName)}`);
}

export async function listNetworks(d: DockerClient, opts: { labels?: string[] } = {}): Promise<NetworkInspect[]> {
  return d.json<NetworkInspect[]>("GET", "/networks", { query: { filters: labelFilters(opts.labels) } });
}

export async function removeNetwork(d: DockerClient, idOrName: string): Promise<void> {
  await d.call("DELETE", `/networks/${enc(idOrName)}`, { okStatuses: [404] });
}

export async function connectNetwork(d: DockerClient, network: string, container: string, opts: { aliases?: string[] } = {}): Promise<void> {
  await d.call("POST", `/networks/${enc(network)}/connect`, {
    body: { Container: container, EndpointConfig: opts.aliases ? { Aliases: opts.aliases } : {} },
  });
}

export async function disconnectNetwork(d: DockerClient, network: string, container: string, force = false): Promise<void> {
  await d.call("POST", `/networks/${enc(network)}/disconnect`, { body: { Container: container, Force: force } });
}
