/**
 * Names and labels of what serve creates (spec sections 4 and 6.2). The engine is the only
 * state: everything a restarted server needs to know about an instance is in its labels.
 */
import { LABEL_COMPONENT, LABEL_MANAGED } from "../docker/labels";

export const LABEL_SERVICE = "deployster.service";
export const LABEL_VERSION = "deployster.version";
export const LABEL_TIMESTAMP = "deployster.timestamp";
export const LABEL_INSTANCE = "deployster.instance";
/** Container port the app listens on (recorded so a changed --container-port keeps old instances routable). */
export const LABEL_PORT = "deployster.port";
/** Name of the old instance this new one replaces (crash-safe pairing). */
export const LABEL_REPLACES = "deployster.replaces";
/** The deploy this instance belongs to: how many instances, whether it retires the previous version. */
export const LABEL_COUNT = "deployster.deploy.count";
export const LABEL_DESTROY_PREVIOUS = "deployster.deploy.destroy-previous";
/** `version:timestamp` of the version this deploy replaces. */
export const LABEL_PREVIOUS = "deployster.deploy.previous";
/** ISO time the deploy was accepted (orders deploys; timestamps are user-supplied). */
export const LABEL_STARTED_AT = "deployster.deploy.started-at";
/** `version:timestamp` this deploy rolled back from (POST rollback). */
export const LABEL_ROLLBACK_OF = "deployster.deploy.rollback-of";
/** Compact JSON of the service's earlier deploy records, as known when this deploy started. */
export const LABEL_HISTORY = "deployster.deploy.history";
/** Digest of the configuration (--config-dir) an instance or task was started with; never a value. */
export const LABEL_CONFIG_DIGEST = "deployster.config-digest";

export const COMPONENT_INSTANCE = "serve-instance";
export const COMPONENT_TASK = "serve-task";

/** `version:timestamp`, the identity of one deploy of a version. */
export function deployKey(version: string, timestamp: string): string {
  return `${version}:${timestamp}`;
}

export function splitDeployKey(key: string | undefined): { version: string; timestamp: string } | undefined {
  if (!key) return undefined;
  const i = key.lastIndexOf(":");
  if (i <= 0) return undefined;
  return { version: key.slice(0, i), timestamp: key.slice(i + 1) };
}

/**
 * Container names that can never collide. A service name or version may contain `-`, so
 * `<service>-<version>-...` alone is ambiguous (`a` + `b-c` and `a-b` + `c` give the same
 * name). Two families of names, told apart by `_`:
 *
 * - neither the service nor the version contains `-` or `_` (the common case): the
 *   original's `<service>-<version>-<rest>`; the dashes split it unambiguously, and such a
 *   name contains no `_`;
 * - otherwise: the parts joined with `_`, each `_` inside a part written twice
 *   (joinNameParts); such a name always contains a single `_`, and reads back into exactly
 *   one list of parts, because every part starts with a letter or digit.
 *
 * Instances are always found by their labels, never by parsing names, so instances named
 * by an earlier release are still found.
 */
export function containerName(service: string, version: string, rest: string[]): string {
  const plain = (s: string) => !/[-_]/.test(s);
  return plain(service) && plain(version) ? [service, version, ...rest].join("-") : joinNameParts([service, version, ...rest]);
}

/** Joins parts with `_`, doubling each `_` inside a part (see containerName). */
export function joinNameParts(parts: string[]): string {
  return parts.map((p) => p.replaceAll("_", "__")).join("_");
}

/** The inverse of joinNameParts: `__` is a literal `_`, a single `_` separates parts. */
export function splitNameParts(name: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < name.length; i++) {
    if (name[i] !== "_") current += name[i];
    else if (name[i + 1] === "_") (current += "_"), i++;
    else parts.push(current), (current = "");
  }
  parts.push(current);
  return parts;
}

/** Instance k of a deploy: `<service>-<version>-<timestamp>-<k>` when unambiguous (containerName). */
export function instanceName(service: string, version: string, timestamp: string, instance: number | string): string {
  return containerName(service, version, [timestamp, String(instance)]);
}

/** A task container: `<service>-<version>-task-<id>` when unambiguous; never an instance's name ("task" is no timestamp). */
export function taskName(service: string, version: string, id: string): string {
  return containerName(service, version, ["task", id]);
}

/** `<prefix>/<service>:<version>` where prefix is --registry-url or --docker-hub-username. */
export function imageRef(prefix: string, service: string, version: string): string {
  return `${prefix}/${service}:${version}`;
}

/** Labels every container of this server carries: the managed marker, the scope labels, the component. */
export function baseLabels(scope: Record<string, string>, component: string): Record<string, string> {
  return { ...scope, [LABEL_MANAGED]: "true", [LABEL_COMPONENT]: component };
}

/** Engine label filters selecting this server's instances (of one service when given). */
export function instanceFilters(scope: Record<string, string>, service?: string): string[] {
  const f = [`${LABEL_MANAGED}=true`, `${LABEL_COMPONENT}=${COMPONENT_INSTANCE}`, ...Object.entries(scope).map(([k, v]) => `${k}=${v}`)];
  if (service !== undefined) f.push(`${LABEL_SERVICE}=${service}`);
  return f;
}

export type Health = "healthy" | "unhealthy" | "starting" | undefined;

/** One instance as read from the engine's container list. */
export interface Instance {
  id: string;
  name: string;
  service: string;
  version: string;
  timestamp: string;
  instance: number;
  /** Engine state: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  status: string;
  health: Health;
  hostPort?: number;
  /** Host address the port is published on. */
  hostIp?: string;
  /** The container's address on its network (for the TCP readiness probe). */
  address?: string;
  /** The router's address when the backend knows it directly (Swarm: `<node address>:<published port>`). */
  dial?: string;
  /** Where it runs when the backend knows (Swarm: the node ID of its current task). */
  machineId?: string;
  containerPort: number;
  /** Unix seconds. */
  created: number;
  replaces?: string;
  count: number;
  destroyPrevious: boolean;
  previous?: string;
  startedAt: string;
  rollbackOf?: string;
  history?: string;
  /** LABEL_CONFIG_DIGEST: the configuration it was started with (absent without --config-dir). */
  configDigest?: string;
}

export function healthOf(status: string | undefined): Health {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? "");
  if (!m) return undefined;
  return m[1] === "health: starting" ? "starting" : (m[1] as Health);
}

/** Parses an entry of GET /containers/json; undefined when it is not a well-formed instance. */
export function parseInstance(c: any, defaultPort = 3000): Instance | undefined {
  const l: Record<string, string> = c?.Labels ?? {};
  const service = l[LABEL_SERVICE];
  const version = l[LABEL_VERSION];
  const timestamp = l[LABEL_TIMESTAMP];
  const instance = Number(l[LABEL_INSTANCE]);
  if (!service || !version || !timestamp || !Number.isInteger(instance) || instance < 1) return undefined;
  const containerPort = Number(l[LABEL_PORT]) || defaultPort;
  const port = (c.Ports ?? []).find((p: any) => p.PrivatePort === containerPort && p.PublicPort);
  const name = String(c.Names?.[0] ?? "").replace(/^\//, "") || instanceName(service, version, timestamp, instance);
  return {
    id: c.Id,
    name,
    service,
    version,
    timestamp,
    instance,
    state: c.State ?? "unknown",
    status: c.Status ?? "",
    health: healthOf(c.Status),
    hostPort: port ? Number(port.PublicPort) : undefined,
    hostIp: port?.IP || undefined,
    address: Object.values<any>(c.NetworkSettings?.Networks ?? {}).find((n) => n?.IPAddress)?.IPAddress || undefined,
    containerPort,
    created: Number(c.Created) || 0,
    replaces: l[LABEL_REPLACES] || undefined,
    count: Number(l[LABEL_COUNT]) || 1,
    destroyPrevious: l[LABEL_DESTROY_PREVIOUS] === "true",
    previous: l[LABEL_PREVIOUS] || undefined,
    startedAt: l[LABEL_STARTED_AT] || new Date((Number(c.Created) || 0) * 1000).toISOString(),
    rollbackOf: l[LABEL_ROLLBACK_OF] || undefined,
    history: l[LABEL_HISTORY] || undefined,
    configDigest: l[LABEL_CONFIG_DIGEST] || undefined,
  };
}

/** Exited, dead or unhealthy: such an instance does not count as a running version (decision 4). */
export function isFailed(i: Pick<Instance, "state" | "health">): boolean {
  return i.state === "exited" || i.state === "dead" || i.state === "removing" || i.health === "unhealthy";
}

/** Parses DEPLOYSTER_SERVE_LABELS ("k=v,k2=v2"): labels added to, and required on, every container. */
export function parseScopeLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? "").split(",")) {
    const p = part.trim();
    if (!p) continue;
    const i = p.indexOf("=");
    if (i <= 0) throw new Error(`DEPLOYSTER_SERVE_LABELS: "${p}" is not KEY=VALUE`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}
