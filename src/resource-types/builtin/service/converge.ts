/**
 * Apply's wait: a service is done when every task that should run runs its current spec
 * (healthy, for a healthchecked image: Swarm reports such a task running only once healthy)
 * and no task of an older spec is left. A rollback by Swarm, a paused update, tasks that keep
 * failing or the timeout make it a failure naming the tasks' errors.
 */
import type { DockerClient } from "../../../docker/client";
import { findServices } from "../../../docker/services";
import { listNodes } from "../../../docker/swarm";
import { listServiceTasks } from "../../../docker/tasks";
import { UserError } from "../../../errors";
import { isConverged, summarizeTasks, type NodeInfo, type TaskSummary, type TaskTarget } from "./tasks";
import { sleepUnlessAborted } from "../../../sleep";
import type { ServiceObject, TaskObject } from "../../docker-objects";

export interface ConvergeOptions {
  /** The spec apply sent: its tasks are "new", every other one is "old". */
  target: TaskTarget;
  timeoutMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
  pollMs?: number;
}

/** Failures of current-spec tasks tolerated before tasks count as "failing for good". */
export function failureLimit(desired: number): number {
  return Math.max(3, desired);
}

export async function readNodes(d: DockerClient): Promise<Map<string, NodeInfo>> {
  const nodes = await listNodes(d);
  return new Map(nodes.map((n) => [n.ID as string, { hostname: n.Description?.Hostname ?? n.ID, addr: n.Status?.Addr ?? "" }]));
}


function failure(name: string, what: string, s: TaskSummary): UserError {
  const tasks = s.failures.length ? `; task errors: ${s.failures.slice(0, 5).join("; ")}` : "";
  const old = s.runningOld ? `, ${s.runningOld} of the previous spec still running` : "";
  return new UserError(`service ${name}: ${what} (${s.runningCurrent}/${s.desired} tasks of the new spec running${old})${tasks}`);
}

/**
 * Swarm counts a global service's tasks (one per eligible node) only once its orchestrator
 * has made them, a moment after the request: zero desired tasks is believed only after a
 * grace period (it is the truth when no node satisfies the constraints).
 */
export const GLOBAL_GRACE_MS = 5000;

function awaitingGlobalTasks(service: ServiceObject, s: TaskSummary, started: number): boolean {
  return !!service.Spec?.Mode?.Global && s.desired === 0 && Date.now() - started < GLOBAL_GRACE_MS;
}

/** Resolves with the converged service and its tasks; throws UserError on failure. */
export async function waitForConvergence(d: DockerClient, id: string, name: string, o: ConvergeOptions): Promise<{ service: ServiceObject; tasks: TaskObject[]; nodes: Map<string, NodeInfo> }> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  let nodes = await readNodes(d);
  let lastProgress = "";
  let rollbackSaid = false;
  for (;;) {
    const [services, tasks] = await Promise.all([findServices(d, { ids: [id], status: true }), listServiceTasks(d, { services: [id] })]);
    const service = services.find((s) => s.ID === id);
    if (!service) throw new UserError(`service ${name} was removed while apply waited for it`);
    if (tasks.some((t) => t.NodeID && !nodes.has(t.NodeID))) nodes = await readNodes(d);
    const summary = summarizeTasks(service, tasks, nodes, o.target);
    const update = service.UpdateStatus ?? {};
    const state = update.State;
    if (state === "rollback_completed" || state === "rollback_paused" || state === "paused") {
      const what = state === "paused" ? "the update was paused by Swarm" : `Swarm rolled the update back (${state.replace("_", " ")})`;
      throw failure(name, update.Message ? `${what}: ${update.Message}` : what, summary);
    }
    if (state === "rollback_started") {
      if (!rollbackSaid) o.log(`Swarm is rolling back: ${update.Message ?? ""}`);
      rollbackSaid = true;
    } else if ((state === undefined || state === "completed") && isConverged(summary) && !awaitingGlobalTasks(service, summary, started)) {
      o.log(`converged: ${summary.runningCurrent}/${summary.desired} tasks running the new spec`);
      return { service, tasks, nodes };
    } else if (summary.failed >= failureLimit(summary.desired)) {
      throw failure(name, "tasks keep failing", summary);
    }
    const progress = `${summary.runningCurrent}/${summary.desired} tasks running the new spec${summary.runningOld ? `, ${summary.runningOld} old` : ""}${state ? ` (${state})` : ""}`;
    if (progress !== lastProgress) o.log(progress);
    lastProgress = progress;
    if (Date.now() > deadline) throw failure(name, `did not converge within ${Math.round(o.timeoutMs / 1000)}s`, summary);
    await sleepUnlessAborted(o.pollMs ?? 250, o.signal);
  }
}
