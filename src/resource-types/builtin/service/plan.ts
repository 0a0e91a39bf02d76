/**
 * The service's drift check: desired spec + live facts → VALID or STALE with actions. Pure.
 * Facts beyond the config-hash label: the replicas and image the service runs now (changed
 * by `docker service scale/update`), the registry's digest of the image (re-pushed tag), and
 * whether the tasks converged (or keep failing).
 */
import { UserError } from "../../../errors";
import type { StateResult } from "../../../engine/resource-type";
import { diffValues, formatChanges, type FieldChange } from "../common/diff";
import { hashSpec, shortId } from "../common/hash";
import { isManaged, LABEL_CONFIG_HASH, readStoredConfig } from "../common/labels";
import { SECRET_PLACEHOLDER } from "../common/mask";
import { SECRET_MARK } from "../container/spec";
import { digestOf, stripDigest } from "./body";
import { toServiceDisplay, type ServiceSpec } from "./spec";
import { extractServiceState } from "./state";
import { isConverged, summarizeTasks, type NodeInfo } from "./tasks";
import type { ServiceObject, TaskObject } from "../../docker-objects";

export interface ServiceFacts {
  /** The service (with ServiceStatus) named spec.name, or null. */
  service: ServiceObject | null;
  /** Its tasks: at least those that should run; all of them when it has not converged. */
  tasks: TaskObject[];
  nodes: Map<string, NodeInfo>;
  /** The registry's digest of spec.image now; undefined when it could not be asked. */
  registryDigest?: string;
}

const ROLLED_BACK = new Set(["rollback_started", "rollback_paused", "rollback_completed", "paused"]);

/** Reasons the live service differs from the desired spec ([] = none). */
export function findUpdateReasons(spec: ServiceSpec, facts: ServiceFacts): string[] {
  // Only asked of an existing service.
  const s = facts.service!;
  const labels = s.Spec?.Labels ?? {};
  const reasons: string[] = [];
  let changes: FieldChange[] = [];
  if (labels[LABEL_CONFIG_HASH] !== hashSpec(spec)) {
    changes = describeServiceChanges(labels, spec);
    reasons.push(changes.length ? formatChanges(changes) : "configuration changed");
  }
  const changed = (path: string) => changes.some((c) => c.path === path);
  const liveReplicas = s.Spec?.Mode?.Replicated?.Replicas;
  if (spec.replicas !== null && typeof liveReplicas === "number" && liveReplicas !== spec.replicas && !changed("replicas")) {
    reasons.push(`replicas: ${liveReplicas} → ${spec.replicas} (scaled outside deployster)`);
  }
  const liveImage: string = s.Spec?.TaskTemplate?.ContainerSpec?.Image ?? "";
  if (stripDigest(liveImage) !== spec.image && !changed("image")) {
    reasons.push(`image: ${stripDigest(liveImage)} → ${spec.image} (changed outside deployster)`);
  } else if (facts.registryDigest && digestOf(liveImage) !== facts.registryDigest && !changed("image")) {
    reasons.push(`image ${spec.image} moved in the registry: ${shortId(digestOf(liveImage))} → ${shortId(facts.registryDigest)}`);
  }
  const update = s.UpdateStatus;
  if (update && ROLLED_BACK.has(update.State ?? "") && reasons.length) {
    const how = update.State === "paused" ? "was paused" : "was rolled back";
    reasons.push(`the last update ${how}${update.Message ? ` (Swarm: ${update.Message})` : ""}`);
  }
  return reasons;
}

/** Field changes between the spec stored on the service and the desired one; secret values show as `***`. */
export function describeServiceChanges(labels: Record<string, string>, spec: ServiceSpec): FieldChange[] {
  const stored = readStoredConfig(labels);
  if (!stored) return [];
  const mask = (v?: string) => (v?.startsWith(SECRET_MARK) ? SECRET_PLACEHOLDER : v);
  return diffValues(stored, toServiceDisplay(spec)).map((c) => {
    const from = mask(c.from);
    const to = mask(c.to);
    return { path: from === to && from === SECRET_PLACEHOLDER ? `${c.path} (changed)` : c.path, from, to };
  });
}

export function planService(spec: ServiceSpec, facts: ServiceFacts): StateResult {
  const s = facts.service;
  if (!s) {
    const n = spec.mode === "global" ? "one task per node" : `${spec.replicas} replica${spec.replicas === 1 ? "" : "s"}`;
    return { status: "STALE", actions: [{ name: "create", description: `create service ${spec.name} (${n}, image ${spec.image})` }] };
  }
  if (!isManaged(s.Spec?.Labels)) {
    throw new UserError(`service '${spec.name}' exists but is not managed by deployster (no deployster.managed=true label); remove it or choose another name`);
  }
  const state = extractServiceState(s, facts.tasks, facts.nodes);
  const liveMode = s.Spec?.Mode?.Global ? "global" : "replicated";
  if (liveMode !== spec.mode) {
    return {
      status: "STALE",
      staleState: state,
      actions: [{ name: "recreate", description: `recreate service ${spec.name}: mode: ${liveMode} → ${spec.mode} (Swarm cannot change it in place)` }],
    };
  }
  const reasons = findUpdateReasons(spec, facts);
  if (reasons.length) {
    return { status: "STALE", staleState: state, actions: [{ name: "update", description: `update (${spec.update.order}): ${reasons.join("; ")}` }] };
  }
  const tasks = summarizeTasks(s, facts.tasks, facts.nodes);
  const updating = s.UpdateStatus?.State === "updating" || s.UpdateStatus?.State === "rollback_started";
  if (!isConverged(tasks) && updating) {
    const what = `${tasks.runningCurrent}/${tasks.desired} tasks running the current spec`;
    return { status: "STALE", staleState: state, actions: [{ name: "wait", description: `wait for Swarm's ${String(s.UpdateStatus?.State).replace("_", " ")} (${what})` }] };
  }
  if (!isConverged(tasks)) {
    const failing = tasks.failures.length ? `; ${tasks.failures.slice(0, 3).join("; ")}` : "";
    const what = `${tasks.runningCurrent}/${tasks.desired} tasks running${tasks.runningOld ? `, ${tasks.runningOld} of an older spec` : ""}`;
    return { status: "STALE", staleState: state, actions: [{ name: "update", args: ["force"], description: `redeploy: ${what}${failing}` }] };
  }
  return { status: "VALID", state };
}
