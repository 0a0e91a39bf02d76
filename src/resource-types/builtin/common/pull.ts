import type { DockerClient } from "../../../docker/client";
import { pullImage, type ProgressEvent } from "../../../docker/images";

/**
 * Turns the engine's pull progress stream into readable lines: every status change of a
 * layer, and download/extract progress at most once a second per layer.
 */
export function createPullProgress(log: (line: string) => void, now: () => number = Date.now): (ev: ProgressEvent) => void {
  const lastStatus = new Map<string, string>();
  const lastTime = new Map<string, number>();
  return (ev) => {
    if (!ev.status) return;
    if (!ev.id || /^(Pulling from|Digest|Status)/.test(ev.status)) {
      log(ev.id ? `${ev.id}: ${ev.status}` : ev.status);
      return;
    }
    const changed = lastStatus.get(ev.id) !== ev.status;
    const t = now();
    if (!changed && t - (lastTime.get(ev.id) ?? 0) < 1000) return;
    lastStatus.set(ev.id, ev.status);
    lastTime.set(ev.id, t);
    const detail = ev.progressDetail?.total ? ` ${formatBytes(ev.progressDetail.current ?? 0)}/${formatBytes(ev.progressDetail.total)}` : "";
    log(`${ev.id}: ${ev.status}${detail}`);
  };
}

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}kB`;
  return `${n}B`;
}

export async function pullWithProgress(d: DockerClient, ref: string, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  log(`pulling ${ref}`);
  await pullImage(d, ref, { onProgress: createPullProgress(log), signal });
}
