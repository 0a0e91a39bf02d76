/**
 * One instance as this server sees it: the model read back from a container's labels and
 * state (parseInstance), and the rules on it (failed, newest).
 */
import { type ContainerSummary, containerNameOf, type Labels } from "../docker/types";
import {
  LABEL_CONFIG_DIGEST,
  LABEL_COUNT,
  LABEL_DESTROY_PREVIOUS,
  LABEL_HISTORY,
  LABEL_INSTANCE,
  LABEL_PORT,
  LABEL_PREVIOUS,
  LABEL_REPLACES,
  LABEL_ROLLBACK_OF,
  LABEL_SERVICE,
  LABEL_STARTED_AT,
  LABEL_TIMESTAMP,
  LABEL_VERSION,
} from "./labels";
import { instanceName } from "./names";

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

/** What parseInstance reads: an entry of GET /containers/json (or a Swarm service made to look like one). */
export type InstanceSource = Pick<ContainerSummary, "Id" | "Labels"> &
  Partial<Pick<ContainerSummary, "Names" | "State" | "Status" | "Created" | "Ports" | "NetworkSettings">>;

/** Parses an entry of GET /containers/json; undefined when it is not a well-formed instance. */
export function parseInstance(c: InstanceSource, defaultPort = 3000): Instance | undefined {
  const l: Labels = c.Labels ?? {};
  const service = l[LABEL_SERVICE];
  const version = l[LABEL_VERSION];
  const timestamp = l[LABEL_TIMESTAMP];
  const instance = Number(l[LABEL_INSTANCE]);
  if (!service || !version || !timestamp || !Number.isInteger(instance) || instance < 1) return undefined;
  const containerPort = Number(l[LABEL_PORT]) || defaultPort;
  const port = (c.Ports ?? []).find((p) => p.PrivatePort === containerPort && p.PublicPort);
  const created = Number(c.Created) || 0;
  return {
    id: c.Id,
    name: containerNameOf({ Names: c.Names ?? [] }) || instanceName(service, version, timestamp, instance),
    service,
    version,
    timestamp,
    instance,
    state: c.State ?? "unknown",
    status: c.Status ?? "",
    health: healthOf(c.Status),
    hostPort: port ? Number(port.PublicPort) : undefined,
    hostIp: port?.IP || undefined,
    address: Object.values(c.NetworkSettings?.Networks ?? {}).find((n) => n?.IPAddress)?.IPAddress || undefined,
    containerPort,
    created,
    replaces: l[LABEL_REPLACES] || undefined,
    count: Number(l[LABEL_COUNT]) || 1,
    destroyPrevious: l[LABEL_DESTROY_PREVIOUS] === "true",
    previous: l[LABEL_PREVIOUS] || undefined,
    startedAt: l[LABEL_STARTED_AT] || new Date(created * 1000).toISOString(),
    rollbackOf: l[LABEL_ROLLBACK_OF] || undefined,
    history: l[LABEL_HISTORY] || undefined,
    configDigest: l[LABEL_CONFIG_DIGEST] || undefined,
  };
}

/** Exited, dead or unhealthy: such an instance does not count as a running version (decision 4). */
export function isFailed(i: Pick<Instance, "state" | "health">): boolean {
  return i.state === "exited" || i.state === "dead" || i.state === "removing" || i.health === "unhealthy";
}

/** The instance of the newest deploy (by LABEL_STARTED_AT: timestamps are user-supplied); undefined for none. */
export function newestInstance<T extends Pick<Instance, "startedAt">>(instances: readonly T[]): T | undefined {
  return [...instances].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
}
