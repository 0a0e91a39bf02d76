/** The Engine API ServiceSpec for a normalised service spec. Pure. */
import { hashSpec } from "../common/hash";
import { buildManagedLabels } from "../common/labels";
import { SERVICE_TYPE, toServiceDisplay, type FileRef, type Limits, type ServiceSpec, type UpdatePolicy } from "./spec";

/**
 * Carried by every task's container spec: the config hash of the service spec it was made
 * from, which is how apply tells tasks of the new spec from the old ones.
 */
export const LABEL_TASK_HASH = "deployster.service-hash";

export interface ServiceBodyOptions {
  /** The image reference to run, pinned to a digest when the registry gave one. */
  image: string;
  /** Object IDs by name, resolved just before the request. */
  secretIds: Record<string, string>;
  configIds: Record<string, string>;
  /** Swarm's redeploy counter: the live value, +1 to restart tasks whose spec is unchanged. */
  forceUpdate: number;
}

const ns = (ms: number | undefined) => (ms === undefined ? undefined : ms * 1_000_000);

function buildUpdateConfig(p: UpdatePolicy): Record<string, unknown> {
  return {
    Parallelism: p.parallelism,
    Delay: ns(p.delay_ms),
    FailureAction: p.failure_action,
    Monitor: ns(p.monitor_ms),
    MaxFailureRatio: p.max_failure_ratio,
    Order: p.order,
  };
}

function buildLimits(l: Limits): Record<string, number> {
  const out: Record<string, number> = {};
  if (l.nano_cpus !== undefined) out.NanoCPUs = l.nano_cpus;
  if (l.memory_bytes !== undefined) out.MemoryBytes = l.memory_bytes;
  return out;
}

function buildFileRefs(refs: FileRef[], ids: Record<string, string>, kind: "Secret" | "Config") {
  return refs.map((r) => ({
    File: { Name: r.target, UID: r.uid, GID: r.gid, Mode: r.mode },
    [`${kind}ID`]: ids[r.source],
    [`${kind}Name`]: r.source,
  }));
}

/**
 * Hash of what the tasks are made of: the spec without the fields Swarm applies without
 * replacing tasks (replicas, service labels, update and rollback policy), so that a scale
 * adds or removes tasks instead of redeploying all of them.
 */
export function hashTaskSpec(spec: ServiceSpec): string {
  return hashSpec({ ...spec, replicas: undefined, labels: undefined, update: undefined, rollback: undefined });
}

export function buildServiceBody(spec: ServiceSpec, o: ServiceBodyOptions): Record<string, unknown> {
  const hash = hashSpec(spec);
  const h = spec.healthcheck;
  const healthcheck = !h
    ? undefined
    : "disable" in h
      ? { Test: ["NONE"] }
      : { Test: h.test, Interval: ns(h.interval_ms), Timeout: ns(h.timeout_ms), Retries: h.retries, StartPeriod: ns(h.start_period_ms) };
  return {
    Name: spec.name,
    Labels: buildManagedLabels(spec.labels, SERVICE_TYPE, hash, toServiceDisplay(spec)),
    TaskTemplate: {
      ContainerSpec: {
        Image: o.image,
        Command: spec.command,
        Args: spec.args,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: { ...spec.container_labels, [LABEL_TASK_HASH]: hashTaskSpec(spec) },
        Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.type === "tmpfs" ? undefined : m.source, Target: m.target, ReadOnly: m.read_only })),
        Secrets: buildFileRefs(spec.secrets, o.secretIds, "Secret"),
        Configs: buildFileRefs(spec.configs, o.configIds, "Config"),
        Healthcheck: healthcheck,
        User: spec.user,
        Dir: spec.working_dir,
        Hostname: spec.hostname,
        StopGracePeriod: ns(spec.stop_grace_period_ms),
        StopSignal: spec.stop_signal,
      },
      Resources: { Limits: buildLimits(spec.resources.limits), Reservations: buildLimits(spec.resources.reservations) },
      RestartPolicy: {
        Condition: spec.restart.condition,
        Delay: ns(spec.restart.delay_ms),
        MaxAttempts: spec.restart.max_attempts,
        Window: ns(spec.restart.window_ms),
      },
      Placement: {
        Constraints: spec.placement.constraints,
        Preferences: spec.placement.preferences.map((p) => ({ Spread: { SpreadDescriptor: p } })),
        MaxReplicas: spec.placement.max_replicas_per_node,
      },
      Networks: spec.networks.map((n) => ({ Target: n.name, Aliases: n.aliases.length ? n.aliases : undefined })),
      ForceUpdate: o.forceUpdate,
    },
    Mode: spec.mode === "global" ? { Global: {} } : { Replicated: { Replicas: spec.replicas } },
    UpdateConfig: buildUpdateConfig(spec.update),
    RollbackConfig: buildUpdateConfig(spec.rollback),
    EndpointSpec: {
      Mode: spec.endpoint_mode,
      Ports: spec.ports.map((p) => ({ Protocol: p.protocol, TargetPort: p.target, PublishedPort: p.published ?? undefined, PublishMode: p.mode })),
    },
  };
}

/** `ref@sha256:…` → `ref`; what the user asked for, without the pin apply added. */
export function stripDigest(image: string): string {
  return image.replace(/@sha256:[a-f0-9]{64}$/, "");
}

export function digestOf(image: string): string | undefined {
  return /@(sha256:[a-f0-9]{64})$/.exec(image)?.[1];
}
