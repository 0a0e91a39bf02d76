/**
 * Swarm instances as data (pure): each instance is a Swarm service of one replica carrying
 * the same labels a container instance carries, so serve rebuilds everything from the
 * cluster alone. One service per instance, not one task of a per-deploy service: pairing
 * retirement removes one chosen instance (Swarm's scale-down picks its own victim), each
 * instance needs its own labels (instance number, the instance it replaces) for crash-safe
 * resumption, and an instance keeps its identity when Swarm reschedules it elsewhere.
 */
import { createHash } from "node:crypto";
import { LABEL_COMPONENT } from "../../../docker/labels";
import type { Labels, SwarmService, SwarmTask } from "../../../docker/types";
import type { ContainerLimits } from "../../limits";
import { type Instance, parseInstance } from "../../instance-model";
import { COMPONENT_INSTANCE } from "../../labels";

/** Label on the containers of an instance service (not the managed marker: a node's engine is not serve's). */
export const LABEL_SWARM_INSTANCE = "deployster.swarm.instance";

/**
 * Swarm service names allow `[A-Za-z0-9]` runs joined by `-`/`_` (no dots) and at most 63
 * characters: the instance name, made to fit, plus a hash of the full name (unique, and
 * the same on every call so a resumed rollout finds its service).
 */
export function swarmServiceName(instanceName: string): string {
  const hash = createHash("sha256").update(instanceName).digest("hex").slice(0, 10);
  const base = instanceName
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/[-_]{2,}/g, "-")
    .slice(0, 50)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return base ? `${base}-${hash}` : `i-${hash}`;
}

export interface SwarmSpecOptions {
  /** The instance (container) labels. */
  labels: Record<string, string>;
  instanceName: string;
  image: string;
  containerPort: number;
  stopGraceSeconds: number;
  limits?: ContainerLimits;
  /** `NAME=value` lines (the configuration and the instance facts). */
  env?: string[];
  /** Secret references (./secrets.ts), mounted at /run/secrets/<NAME>. */
  secrets?: Record<string, unknown>[];
  /** The node the instance is pinned to and its host-mode port there (./place.ts). */
  placement: { nodeId: string; port: number };
}

/** A task's Resources: --instance-/--task-memory and -pids as Swarm limits (nothing when unlimited). */
export function swarmResources(l: ContainerLimits = {}): Record<string, unknown> {
  const limits: Record<string, number> = {};
  if (l.memoryBytes !== undefined) limits.MemoryBytes = l.memoryBytes;
  if (l.pids !== undefined) limits.Pids = l.pids;
  return Object.keys(limits).length ? { Limits: limits } : {};
}

/**
 * The service spec of one instance: one replica, restarted on failure, pinned to the node
 * serve chose, its port published in host mode on the port serve chose (the ingress
 * routing mesh needs IPVS; host mode does not).
 */
export function buildInstanceSpec(o: SwarmSpecOptions): Record<string, unknown> {
  return {
    Name: swarmServiceName(o.instanceName),
    Labels: o.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: o.image,
        Labels: { [LABEL_SWARM_INSTANCE]: o.instanceName },
        Env: o.env,
        Secrets: o.secrets,
        StopGracePeriod: o.stopGraceSeconds * 1e9,
      },
      RestartPolicy: { Condition: "any", Delay: 1e9 },
      Resources: swarmResources(o.limits),
      Placement: { Constraints: [`node.id==${o.placement.nodeId}`] },
      LogDriver: { Name: "json-file", Options: { "max-size": "10m", "max-file": "3" } },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: o.containerPort, PublishedPort: o.placement.port, PublishMode: "host" }] },
  };
}

const STARTING = new Set(["new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting"]);

/** The task that stands for the instance now: the newest one Swarm wants running. */
export function currentTask(tasks: SwarmTask[]): SwarmTask | undefined {
  const byNewest = [...tasks].sort((a, b) => String(b.CreatedAt ?? "").localeCompare(String(a.CreatedAt ?? "")));
  return byNewest.find((t) => t.DesiredState === "running" || t.DesiredState === "ready") ?? byNewest[0];
}

/** A task state in the engine's container vocabulary (running / created / exited). */
export function taskStateAsContainer(state: string | undefined): string {
  if (state === "running") return "running";
  if (state && STARTING.has(state)) return "created";
  return "exited";
}

export function publishedPort(task: SwarmTask | undefined, containerPort: number): number | undefined {
  const p = (task?.Status?.PortStatus?.Ports ?? []).find((x) => x?.TargetPort === containerPort && x?.PublishedPort);
  return p ? Number(p.PublishedPort) : undefined;
}

/** An instance from its service, the service's tasks and the nodes' addresses; undefined when not one of ours. */
export function parseSwarmInstance(service: Pick<SwarmService, "ID" | "Spec" | "CreatedAt">, tasks: SwarmTask[], nodeAddr: Map<string, string>, defaultPort: number): Instance | undefined {
  const labels: Labels = service.Spec?.Labels ?? {};
  const created = Math.floor(Date.parse(service.CreatedAt ?? "") / 1000) || 0;
  const base = parseInstance({ Id: service.ID, Labels: labels, Created: created, Names: [] }, defaultPort);
  if (!base || labels[LABEL_COMPONENT] !== COMPONENT_INSTANCE) return undefined;
  const task = currentTask(tasks);
  const state = task ? taskStateAsContainer(task.Status?.State) : "created";
  const port = state === "running" ? publishedPort(task, base.containerPort) : undefined;
  const addr = task?.NodeID ? nodeAddr.get(task.NodeID) : undefined;
  return {
    ...base,
    state,
    status: task ? `task ${task.Status?.State}${task.Status?.Err ? `: ${task.Status.Err}` : ""}` : "no task yet",
    hostPort: port,
    hostIp: addr,
    dial: port && addr ? `${addr}:${port}` : undefined,
    machineId: task?.NodeID || undefined,
  };
}
