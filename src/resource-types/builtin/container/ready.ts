import type { DockerClient } from "../../../docker/client";
import { containerLogs, inspectContainer } from "../../../docker/containers";
import type { ContainerObject } from "../../docker-objects";

export interface WaitReadyOrThrowOptions {
  timeoutMs: number;
  /** Without a healthcheck: how long it must keep running (one start, no restart) to count. */
  minRunningMs?: number;
  signal?: AbortSignal;
  pollMs?: number;
}

/** Why a container is not ready, with its last health-check output and log lines. */
export class NotReadyError extends Error {
  override name = "NotReadyError";
}

/**
 * Pure verdict on one inspect: ready, still waiting, or failed (with the reason).
 * `firstStartedAt` (State.StartedAt when waiting began) and `runningForMs` apply the
 * minimum-running rule to containers without a healthcheck.
 */
export function judgeReadiness(
  inspect: { State?: Partial<ContainerObject["State"]>; RestartCount?: number } | null,
  minimum: { minRunningMs?: number; runningForMs?: number; firstStartedAt?: string } = {},
): { verdict: "ready" | "waiting" | "failed"; reason?: string } {
  if (!inspect) return { verdict: "failed", reason: "the container disappeared" };
  const s = inspect.State ?? {};
  if (minimum.firstStartedAt && s.StartedAt && s.StartedAt !== minimum.firstStartedAt) {
    return { verdict: "failed", reason: `it exited and was restarted (restart count ${inspect.RestartCount ?? "?"})` };
  }
  if (!s.Running && !s.Restarting) {
    return { verdict: "failed", reason: `it exited with code ${s.ExitCode}${s.Error ? ` (${s.Error})` : ""}` };
  }
  if (s.Health) {
    if (s.Health.Status === "healthy") return { verdict: "ready" };
    if (s.Health.Status === "unhealthy") {
      const last = s.Health.Log?.[s.Health.Log.length - 1];
      const out = String(last?.Output ?? "").trim().split("\n").slice(-3).join(" | ");
      return { verdict: "failed", reason: `its healthcheck failed ${s.Health.FailingStreak} times${out ? ` (last output: ${out})` : ""}` };
    }
    return { verdict: "waiting", reason: `health is ${s.Health.Status}` };
  }
  if (s.Restarting) return { verdict: "waiting", reason: "it is restarting" };
  if ((minimum.runningForMs ?? 0) < (minimum.minRunningMs ?? 0)) return { verdict: "waiting", reason: "it has not been running long enough" };
  return { verdict: "ready" };
}

async function tailLogs(d: DockerClient, id: string): Promise<string> {
  try {
    const { stdout, stderr } = await containerLogs(d, id, { tail: 5, signal: AbortSignal.timeout(5000) });
    const lines = (stdout + stderr).trim().split("\n").filter(Boolean).slice(-5);
    return lines.length ? `; last log lines: ${lines.join(" | ")}` : "";
  } catch {
    return "";
  }
}

/**
 * Waits until a started container is ready: healthy when it has a healthcheck (its own or
 * its image's), otherwise running (for at least `minRunningMs`, without a restart). Throws a
 * NotReadyError (with the reason and last log lines) as soon as it exits, restarts or turns
 * unhealthy, or at the timeout; resolves with the time it took.
 */
export async function waitReadyOrThrow(d: DockerClient, id: string, opts: WaitReadyOrThrowOptions): Promise<number> {
  const started = Date.now();
  let poll = 100;
  let firstStartedAt: string | undefined;
  for (;;) {
    const inspect = await inspectContainer(d, id);
    firstStartedAt ??= inspect?.State?.StartedAt;
    const judged = judgeReadiness(inspect, { minRunningMs: opts.minRunningMs, runningForMs: Date.now() - started, firstStartedAt });
    if (judged.verdict === "ready") return Date.now() - started;
    if (judged.verdict === "failed") throw new NotReadyError(`${judged.reason}${await tailLogs(d, id)}`);
    if (Date.now() - started > opts.timeoutMs) {
      throw new NotReadyError(`not ready after ${Math.round(opts.timeoutMs / 1000)}s (${judged.reason})${await tailLogs(d, id)}`);
    }
    if (opts.signal?.aborted) throw new NotReadyError("aborted");
    const left = (opts.minRunningMs ?? 0) - (Date.now() - started);
    await Bun.sleep(left > 0 ? Math.min(poll, left) : poll);
    poll = Math.min(poll * 2, opts.pollMs ?? 500);
  }
}
