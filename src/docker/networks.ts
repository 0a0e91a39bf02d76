import type { DockerClient } from "./client";
import { isNotFound } from "./errors";
import { labelFilters } from "./labels";

const enc = encodeURIComponent;

export async function createNetwork(d: DockerClient, body: Record<string, unknown>): Promise<{ Id: string }> {
  return d.json("POST", "/networks/create", { body: { CheckDuplicate: true, ...body } });
}

export async function inspectNetwork(d: DockerClient, idOrName: string): Promise<any | null> {
  try {
    return await d.json("GET", `/networks/${enc(idOrName)}`);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

export async function listNetworks(d: DockerClient, opts: { labels?: string[] } = {}): Promise<any[]> {
  return d.json("GET", "/networks", { query: { filters: labelFilters(opts.labels) } });
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
