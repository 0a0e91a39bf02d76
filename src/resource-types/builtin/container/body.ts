/** Engine request bodies for a container spec (pure; tested as data). */
import { hashSpec } from "../common/hash";
import { buildManagedLabels, LABEL_NAME } from "../common/labels";
import { CONTAINER_TYPE, toDisplaySpec, type ContainerSpec, type NetworkAttachment } from "./spec";

/** Networks where Docker supports aliases (not the default bridge, host or none). */
export function isUserDefinedNetwork(name: string): boolean {
  return !["bridge", "host", "none", "default"].includes(name) && !name.startsWith("container:");
}

/**
 * Aliases of an attachment: the configured ones plus the canonical container name, so that
 * during a start-first replacement (new container under a temporary name) the name
 * resolves to both the old and the new container.
 */
export function endpointAliases(spec: ContainerSpec, n: NetworkAttachment): string[] | undefined {
  if (!isUserDefinedNetwork(n.name)) return n.aliases.length ? n.aliases : undefined;
  return [...new Set([...n.aliases, spec.name])];
}

const ns = (ms: number | undefined) => (ms === undefined ? undefined : ms * 1_000_000);

function restartPolicy(restart: string): { Name: string; MaximumRetryCount?: number } {
  const [name, count] = restart.split(":");
  return count ? { Name: name!, MaximumRetryCount: Number(count) } : { Name: name! };
}

export interface CreatePlan {
  body: Record<string, unknown>;
  /** Attached after create, before start (API 1.41 takes one network at create). */
  extraNetworks: { name: string; aliases?: string[] }[];
}

export function buildContainerCreateBody(spec: ContainerSpec): CreatePlan {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    const key = `${p.container_port}/${p.protocol}`;
    exposed[key] = {};
    bindings[key] = [...(bindings[key] ?? []), { HostIp: p.host_ip, HostPort: p.host_port ? String(p.host_port) : "" }];
  }
  const [primary, ...rest] = spec.networks;
  let healthcheck: Record<string, unknown> | undefined;
  if (spec.healthcheck && "disable" in spec.healthcheck) healthcheck = { Test: ["NONE"] };
  else if (spec.healthcheck) {
    const h = spec.healthcheck;
    healthcheck = { Test: h.test, Interval: ns(h.interval_ms), Timeout: ns(h.timeout_ms), Retries: h.retries, StartPeriod: ns(h.start_period_ms) };
  }
  const body: Record<string, unknown> = {
    Image: spec.image,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: buildManagedLabels(spec.labels, CONTAINER_TYPE, hashSpec(spec), toDisplaySpec(spec), { [LABEL_NAME]: spec.name }),
    User: spec.user,
    WorkingDir: spec.working_dir,
    StopTimeout: spec.stop_timeout,
    ExposedPorts: exposed,
    Healthcheck: healthcheck,
    HostConfig: {
      PortBindings: bindings,
      Mounts: spec.mounts.map((m) => ({
        Type: m.type,
        Source: m.type === "tmpfs" ? undefined : m.source,
        Target: m.target,
        ReadOnly: m.read_only,
      })),
      RestartPolicy: restartPolicy(spec.restart),
      NetworkMode: primary?.name ?? "bridge",
    },
  };
  if (primary) {
    body.NetworkingConfig = { EndpointsConfig: { [primary.name]: { Aliases: endpointAliases(spec, primary) } } };
  }
  return { body, extraNetworks: rest.map((n) => ({ name: n.name, aliases: endpointAliases(spec, n) })) };
}
