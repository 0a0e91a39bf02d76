/**
 * deployster/docker-service: the normalised spec (what is hashed into the config-hash label)
 * and its display form (stored in a label and diffed in plans). Pure.
 */
import { normalizeImageReference } from "../../../docker/reference";
import { UserError } from "../../../errors";
import { parseDurationMs } from "../common/duration";
import { checkUserLabels } from "../common/labels";
import { normalizeStringMap } from "../common/config-schema";
import { aliasesByNetwork, displayEnv, formatMount, parseCommand, parseEnv, parseHealthcheck, parseMount, parseNetworks, type HealthSpec, type MountSpec, type NetworkAttachment } from "../container/spec";
import { SERVICE_PORT_PATTERN } from "./schema";

export const SERVICE_TYPE = "deployster/docker-service";
export const DEFAULT_CONVERGE_TIMEOUT_MS = 5 * 60_000;

export interface ServicePort {
  target: number;
  /** null: Swarm picks a port per node (host mode) or from the ingress range. */
  published: number | null;
  protocol: "tcp" | "udp" | "sctp";
  mode: "host" | "ingress";
}

export interface FileRef {
  source: string;
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

export interface UpdatePolicy {
  parallelism: number;
  delay_ms: number;
  order: "start-first" | "stop-first";
  failure_action: "rollback" | "pause" | "continue";
  monitor_ms: number;
  max_failure_ratio: number;
}

export interface Limits {
  nano_cpus?: number;
  memory_bytes?: number;
}

export interface ServiceSpec {
  name: string;
  image: string;
  mode: "replicated" | "global";
  /** null for global services. */
  replicas: number | null;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  secret_env: string[];
  ports: ServicePort[];
  endpoint_mode: "vip" | "dnsrr";
  networks: NetworkAttachment[];
  mounts: MountSpec[];
  secrets: FileRef[];
  configs: FileRef[];
  labels: Record<string, string>;
  container_labels: Record<string, string>;
  placement: { constraints: string[]; preferences: string[]; max_replicas_per_node?: number };
  resources: { limits: Limits; reservations: Limits };
  healthcheck?: HealthSpec | { disable: true };
  update: UpdatePolicy;
  rollback: UpdatePolicy;
  restart: { condition: "none" | "on-failure" | "any"; delay_ms: number; max_attempts: number; window_ms: number };
  stop_grace_period_ms?: number;
  stop_signal?: string;
  user?: string;
  working_dir?: string;
  hostname?: string;
}

const ms = (v: unknown, dflt: number) => (v === undefined ? dflt : parseDurationMs(v as number | string));

function parseUpdatePolicy(v: unknown): UpdatePolicy {
  const raw = (v ?? {}) as Record<string, unknown>;
  return {
    parallelism: (raw.parallelism as number | undefined) ?? 1,
    delay_ms: ms(raw.delay, 0),
    order: (raw.order as UpdatePolicy["order"] | undefined) ?? "start-first",
    failure_action: (raw.failure_action as UpdatePolicy["failure_action"] | undefined) ?? "rollback",
    monitor_ms: ms(raw.monitor, 5000),
    max_failure_ratio: (raw.max_failure_ratio as number | undefined) ?? 0,
  };
}

function parsePorts(v: unknown): ServicePort[] {
  const ports = ((v as unknown[] | undefined) ?? []).map((p): ServicePort => {
    if (typeof p === "number") return { target: p, published: null, protocol: "tcp", mode: "host" };
    if (typeof p === "string") {
      const m = new RegExp(SERVICE_PORT_PATTERN).exec(p);
      if (!m) throw new UserError(`invalid port ${JSON.stringify(p)}`);
      return { target: Number(m[1]), published: null, protocol: (m[2] as ServicePort["protocol"]) ?? "tcp", mode: "host" };
    }
    const o = p as Partial<ServicePort>;
    return { target: o.target!, published: o.published ?? null, protocol: o.protocol ?? "tcp", mode: o.mode ?? "host" };
  });
  return ports.sort((a, b) => formatServicePort(a).localeCompare(formatServicePort(b)));
}

/** `80/tcp host`, `8080:80/tcp ingress`: the form shown in plans. */
export function formatServicePort(p: ServicePort): string {
  return `${p.published ?? ""}${p.published ? ":" : ""}${p.target}/${p.protocol} ${p.mode}`;
}

function parseFileRefs(v: unknown, path: string): FileRef[] {
  const refs = ((v as unknown[] | undefined) ?? []).map((r): FileRef => {
    const o = (typeof r === "string" ? { source: r } : r) as Partial<FileRef>;
    return { source: o.source!, target: o.target ?? o.source!, uid: o.uid ?? "0", gid: o.gid ?? "0", mode: o.mode ?? 0o444 };
  });
  const targets = new Set<string>();
  for (const r of refs) {
    if (targets.has(r.target)) throw new UserError(`${path}: target '${r.target}' is used twice`);
    targets.add(r.target);
  }
  return refs.sort((a, b) => a.target.localeCompare(b.target));
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseMemory(v: number | string): number {
  if (typeof v === "number") return v;
  const m = /^([0-9]+)([bkmg]?)/i.exec(v);
  if (!m) throw new UserError(`invalid memory size ${JSON.stringify(v)} (use e.g. 64m, 1g)`);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

function parseLimits(v: unknown): Limits {
  const raw = (v ?? {}) as { cpus?: number | string; memory?: number | string };
  return {
    nano_cpus: raw.cpus === undefined ? undefined : Math.round(Number(raw.cpus) * 1e9),
    memory_bytes: raw.memory === undefined ? undefined : parseMemory(raw.memory),
  };
}

/** Fills defaults and sorts what has no meaningful order, so equal configs hash equal. */
export function normalizeServiceConfig(resourceName: string, config: Record<string, unknown>, workspace: string): ServiceSpec {
  const env = parseEnv(config.env);
  const secretEnv = [...new Set((config.secret_env as string[] | undefined) ?? [])].sort();
  for (const k of secretEnv) if (!(k in env)) throw new UserError(`config.secret_env: '${k}' is not a key of config.env`);
  const labels = normalizeStringMap(config.labels);
  checkUserLabels(labels, "config.labels");
  const containerLabels = normalizeStringMap(config.container_labels);
  checkUserLabels(containerLabels, "config.container_labels");
  const mode = (config.mode as ServiceSpec["mode"] | undefined) ?? "replicated";
  if (mode === "global" && config.replicas !== undefined) throw new UserError("config.replicas: a global service runs one task per node; remove replicas or use mode: replicated");
  const placement = (config.placement ?? {}) as { constraints?: string[]; preferences?: { spread: string }[]; max_replicas_per_node?: number };
  const resources = (config.resources ?? {}) as { limits?: unknown; reservations?: unknown };
  const restart = (config.restart_policy ?? {}) as Record<string, unknown>;
  const mounts = ((config.mounts as unknown[] | undefined) ?? []).map((m) => parseMount(m, workspace));
  mounts.sort((a, b) => a.target.localeCompare(b.target));
  const ports = parsePorts(config.ports);
  const endpointMode = (config.endpoint_mode as ServiceSpec["endpoint_mode"] | undefined) ?? "vip";
  if (endpointMode === "dnsrr" && ports.some((p) => p.mode === "ingress")) {
    throw new UserError("config.ports: ingress ports need endpoint_mode vip (dnsrr services can only publish in host mode)");
  }
  return {
    name: (config.name as string | undefined) ?? resourceName,
    image: normalizeImageReference(String(config.image)),
    mode,
    replicas: mode === "global" ? null : ((config.replicas as number | undefined) ?? 1),
    command: parseCommand(config.command),
    args: parseCommand(config.args),
    env,
    secret_env: secretEnv,
    ports,
    endpoint_mode: endpointMode,
    networks: parseNetworks(config.networks),
    mounts,
    secrets: parseFileRefs(config.secrets, "config.secrets"),
    configs: parseFileRefs(config.configs, "config.configs"),
    labels,
    container_labels: containerLabels,
    placement: {
      constraints: [...new Set((placement.constraints ?? []).map((c) => c.replace(/\s+/g, "")))].sort(),
      preferences: (placement.preferences ?? []).map((p) => p.spread),
      max_replicas_per_node: placement.max_replicas_per_node,
    },
    resources: { limits: parseLimits(resources.limits), reservations: parseLimits(resources.reservations) },
    healthcheck: parseHealthcheck(config.healthcheck),
    update: parseUpdatePolicy(config.update_config),
    rollback: parseUpdatePolicy(config.rollback_config),
    restart: {
      condition: (restart.condition as ServiceSpec["restart"]["condition"] | undefined) ?? "any",
      delay_ms: ms(restart.delay, 5000),
      max_attempts: (restart.max_attempts as number | undefined) ?? 0,
      window_ms: ms(restart.window, 0),
    },
    stop_grace_period_ms: config.stop_grace_period === undefined ? undefined : ms(config.stop_grace_period, 0),
    stop_signal: config.stop_signal as string | undefined,
    user: config.user as string | undefined,
    working_dir: config.working_dir as string | undefined,
    hostname: config.hostname as string | undefined,
  };
}

export function convergeTimeoutMs(config: Record<string, unknown>): number {
  return ms(config.converge_timeout, DEFAULT_CONVERGE_TIMEOUT_MS);
}

/** The stored, diffable form: ports, mounts and file refs as strings, secret values as short hashes. */
export function toServiceDisplay(spec: ServiceSpec): Record<string, unknown> {
  const env = displayEnv(spec.env, spec.secret_env);
  const networks = aliasesByNetwork(spec.networks);
  const refs = (rs: FileRef[]) => Object.fromEntries(rs.map((r) => [r.target, `${r.source} ${r.uid}:${r.gid} ${r.mode.toString(8)}`]));
  return {
    ...spec,
    env,
    secret_env: undefined,
    ports: spec.ports.map(formatServicePort),
    mounts: spec.mounts.map(formatMount),
    networks,
    secrets: refs(spec.secrets),
    configs: refs(spec.configs),
  };
}

export function serviceSecretValues(spec: ServiceSpec): string[] {
  return spec.secret_env.map((k) => spec.env[k]).filter((v): v is string => typeof v === "string");
}
