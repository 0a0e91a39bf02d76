/**
 * What a service's tasks say about it: which run its current spec, how many should, and the
 * errors of those that failed. Shared by plan (drift) and apply (convergence). Pure.
 */
import { LABEL_TASK_HASH } from "./body";
import type { ServiceObject, TaskObject } from "../../docker-objects";

export interface NodeInfo {
  hostname: string;
  addr: string;
}

export interface TaskSummary {
  /** Tasks that should run: Swarm's own count (replicas, or eligible nodes for global). */
  desired: number;
  /** Tasks of the target spec that run (for a healthchecked service: that are healthy). */
  runningCurrent: number;
  /** Tasks of another spec that still should run (an update in progress, or rolled back). */
  runningOld: number;
  /** How many tasks of the target spec failed (or were rejected). */
  failed: number;
  /** Their distinct errors, newest first: `web.2 on node2: failed: <error>`. */
  failures: string[];
}

const FAILED = new Set(["failed", "rejected", "orphaned"]);

/** What identifies the tasks of one spec: its task hash label, redeploy counter and image. */
export interface TaskTarget {
  hash: string | undefined;
  forceUpdate: number;
  image: string | undefined;
}

/** The target of a task template (a service's Spec.TaskTemplate, or a body apply sends). */
export function targetOf(taskTemplate: unknown): TaskTarget {
  const template = fieldsOf(taskTemplate);
  const container = fieldsOf(template.ContainerSpec);
  const hash = fieldsOf(container.Labels)[LABEL_TASK_HASH];
  return {
    hash: typeof hash === "string" ? hash : undefined,
    forceUpdate: typeof template.ForceUpdate === "number" ? template.ForceUpdate : 0,
    image: typeof container.Image === "string" ? container.Image : undefined,
  };
}

function fieldsOf(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
}

export function isCurrentTask(target: TaskTarget, task: TaskObject): boolean {
  const have = targetOf(task.Spec);
  return have.hash === target.hash && have.forceUpdate === target.forceUpdate && have.image === target.image;
}

export function describeTask(service: ServiceObject, task: TaskObject, nodes: Map<string, NodeInfo>): string {
  const name = `${service.Spec?.Name}.${task.Slot ?? task.NodeID?.slice(0, 12) ?? "?"}`;
  const node = nodes.get(task.NodeID ?? "")?.hostname;
  const why = task.Status?.Err || task.Status?.Message || task.Status?.State;
  return `${name}${node ? ` on ${node}` : ""}: ${task.Status?.State}: ${why}`;
}

/** `target`: the spec tasks should run; by default the service's live one. */
export function summarizeTasks(service: ServiceObject, tasks: TaskObject[], nodes: Map<string, NodeInfo>, target = targetOf(service.Spec?.TaskTemplate)): TaskSummary {
  const mine = tasks.filter((t) => t.ServiceID === service.ID);
  const shouldRun = mine.filter((t) => t.DesiredState === "running");
  const replicas = service.Spec?.Mode?.Replicated?.Replicas;
  const desired = typeof replicas === "number" ? replicas : (service.ServiceStatus?.DesiredTasks ?? shouldRun.length);
  const runningCurrent = shouldRun.filter((t) => t.Status?.State === "running" && isCurrentTask(target, t)).length;
  const runningOld = shouldRun.filter((t) => !isCurrentTask(target, t)).length;
  const failures = mine
    .filter((t) => FAILED.has(t.Status?.State ?? "") && isCurrentTask(target, t))
    .sort((a, b) => String(b.Status?.Timestamp).localeCompare(String(a.Status?.Timestamp)))
    .map((t) => describeTask(service, t, nodes));
  return {
    desired,
    runningCurrent,
    runningOld,
    failed: failures.length,
    // The same error of the same slot again (a restart loop) is said once.
    failures: [...new Set(failures)],
  };
}

export function isConverged(s: TaskSummary): boolean {
  return s.runningCurrent === s.desired && s.runningOld === 0;
}
