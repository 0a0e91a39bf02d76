import { DockerClient } from "../../src/docker/client";
import { listContainers, removeContainer } from "../../src/docker/containers";
import { listNetworks, removeNetwork } from "../../src/docker/networks";
import { listVolumes, removeVolume } from "../../src/docker/volumes";

export const docker = DockerClient.fromEnv();

/**
 * Fails (never skips) when the engine is unreachable: integration tests need it, and CI
 * must go red, not green, without it.
 */
export async function requireDocker(): Promise<DockerClient> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`integration tests need a running Docker engine (run scripts/setup.sh): ${(err as Error).message}`);
  }
  return docker;
}

export interface Leftovers {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/** Everything carrying `label` ("k" or "k=v") that still exists. */
export async function leftovers(label: string): Promise<Leftovers> {
  const [cs, ns, vs] = await Promise.all([
    listContainers(docker, { all: true, labels: [label] }),
    listNetworks(docker, { labels: [label] }),
    listVolumes(docker, { labels: [label] }),
  ]);
  return {
    containers: cs.map((c) => `${c.Names?.[0] ?? c.Id} (${c.State})`),
    networks: ns.map((n) => n.Name),
    volumes: vs.map((v) => v.Name),
  };
}

/**
 * Removes containers, then networks and volumes, carrying `label`. One at a time: Docker
 * 20.10 can leak a network's endpoint count when attached containers are force-removed
 * concurrently, leaving a network that cannot be removed until dockerd restarts.
 */
export async function removeByLabel(label: string): Promise<void> {
  const cs = await listContainers(docker, { all: true, labels: [label] });
  for (const c of cs) await removeContainer(docker, c.Id, { force: true, volumes: true });
  const ns = await listNetworks(docker, { labels: [label] });
  for (const n of ns) await removeNetwork(docker, n.Id).catch(() => {});
  const vs = await listVolumes(docker, { labels: [label] });
  for (const v of vs) await removeVolume(docker, v.Name, true).catch(() => {});
}

export const BUSYBOX = "deployster-fixture/busybox:latest";
