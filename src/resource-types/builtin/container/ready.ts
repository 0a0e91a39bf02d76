import type { DockerClient } from "../../../docker/client";
import { containerLogs, inspectContainer } from "../../../docker/containers";

export interface WaitReadyOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  pollMs?: number;
}

/** Why a container is not ready, with its last health-check output and log lines. */
export class NotReadyError extends Error {
  override name = "NotReadyError";
}

/** Pure verdict on one inspect: ready, still waiting, or failed (with the reason). */
export function judgeReadiness(inspect: any | null): { verdict: "ready" | "waiting" | "failed"; reason?: string } {
  if (!inspect) return { verdict: "failed", reason: "the container disappeared" };
  const s = inspect.State ?? {};
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
 * its image's), running otherwise. Fails fast when it exits or turns unhealthy.
 */
export async function waitReady(d: DockerClient, id: string, opts: WaitReadyOptions): Promise<number> {
  const started = Date.now();
  let poll = 100;
  for (;;) {
    const judged = judgeReadiness(await inspectContainer(d, id));
    if (judged.verdict === "ready") return Date.now() - started;
    if (judged.verdict === "failed") throw new NotReadyError(`${judged.reason}${await tailLogs(d, id)}`);
    if (Date.now() - started > opts.timeoutMs) {
      throw new NotReadyError(`not ready after ${Math.round(opts.timeoutMs / 1000)}s (${judged.reason})${await tailLogs(d, id)}`);
    }
    if (opts.signal?.aborted) throw new NotReadyError("aborted");
    await Bun.sleep(poll);
    poll = Math.min(poll * 2, opts.pollMs ?? 500);
  }
}
