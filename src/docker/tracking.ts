import { onShutdown } from "../shutdown";
import type { DockerClient } from "./client";
import { removeContainer } from "./containers";

/**
 * Containers this process has created and not yet removed. On SIGINT/SIGTERM they are
 * force-removed (which kills them) before the process exits.
 */
const live = new Map<string, DockerClient>();
let unregister: (() => void) | undefined;

export function trackContainer(d: DockerClient, id: string): void {
  live.set(id, d);
  unregister ??= onShutdown(removeTrackedContainers);
}

export function untrackContainer(id: string): void {
  live.delete(id);
}

export async function removeTrackedContainers(): Promise<void> {
  const all = [...live.entries()];
  live.clear();
  await Promise.allSettled(all.map(([id, d]) => removeContainer(d, id, { force: true })));
}
