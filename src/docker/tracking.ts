import type { DockerClient } from "./client";
import { removeContainer } from "./containers";

/**
 * The containers one run (or one server) has created and not yet removed, each with what
 * removes it. Whoever owns the run calls removeAll() when the process is stopped
 * (SIGINT/SIGTERM), so nothing is left running once it exits.
 */
export class ContainerTracker {
  private readonly live = new Map<string, () => Promise<unknown>>();

  /** Until untracked, removeAll() runs `remove` (default: force-remove, which kills it). */
  track(d: DockerClient, id: string, remove: () => Promise<unknown> = () => removeContainer(d, id, { force: true })): void {
    this.live.set(id, remove);
  }

  untrack(id: string): void {
    this.live.delete(id);
  }

  /** Removes every tracked container (side by side); failures are ignored. */
  async removeAll(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.allSettled(all.map((remove) => remove()));
  }
}
