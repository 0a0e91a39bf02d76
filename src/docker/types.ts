/**
 * The Engine API's response shapes, in the fields deployster reads (Engine API 1.41 and
 * later; see the API reference's ContainerInspectResponse, ContainerSummary, ImageInspect,
 * Network, Volume, Service, Task, Node, Secret/Config and SystemInfo schemas). Fields the
 * engine always sends are required (it fills them in for every object); those it may leave
 * out are optional, and `| null` where it sends null for an empty list or map. Add a field
 * here before reading it.
 */

export type Labels = Record<string, string>;

export type HealthStatus = "none" | "starting" | "healthy" | "unhealthy";

export interface HealthLogEntry {
  ExitCode?: number;
  Output?: string;
}

/** GET /containers/{id}/json's State. */
export interface ContainerState {
  /** created, running, paused, restarting, removing, exited, dead. */
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status?: HealthStatus; FailingStreak?: number; Log?: HealthLogEntry[] | null };
}

export interface EndpointSettings {
  NetworkID?: string;
  IPAddress?: string;
  Gateway?: string;
  Aliases?: string[] | null;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

/** A container's (or an image's) Config. */
export interface ContainerConfig {
  Image?: string;
  Labels?: Labels | null;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object> | null;
  Healthcheck?: HealthConfig;
  StopTimeout?: number;
  Volumes?: Record<string, object> | null;
}

export interface MountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  RW?: boolean;
}

/** GET /containers/{id}/json. */
export interface ContainerInspect {
  Id: string;
  /** With its leading slash: containerNameOf() strips it. */
  Name: string;
  Created: string;
  Image: string;
  RestartCount: number;
  State: ContainerState;
  Config: ContainerConfig;
  HostConfig: {
    NetworkMode: string;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    PortBindings?: Record<string, PortBinding[] | null> | null;
    Binds?: string[] | null;
    Memory?: number;
    NanoCpus?: number;
    Privileged?: boolean;
    PidsLimit?: number | null;
    PidMode?: string;
    CapAdd?: string[] | null;
  };
  NetworkSettings: {
    IPAddress?: string;
    Ports?: Record<string, PortBinding[] | null> | null;
    Networks: Record<string, EndpointSettings>;
  };
  Mounts: MountPoint[];
}

export interface ContainerPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type?: string;
}

/** One entry of GET /containers/json. */
export interface ContainerSummary {
  Id: string;
  /** With their leading slashes: containerNameOf() strips them. */
  Names: string[];
  Image: string;
  ImageID?: string;
  /** Unix seconds. */
  Created: number;
  Labels: Labels;
  /** created, running, paused, restarting, removing, exited, dead. */
  State: string;
  /** e.g. "Up 2 minutes (healthy)". */
  Status: string;
  Ports: ContainerPort[];
  NetworkSettings?: { Networks?: Record<string, EndpointSettings> | null };
}

/** GET /images/{name}/json. */
export interface ImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Os?: string;
  Architecture?: string;
  Size?: number;
  Created?: string;
  Config?: ContainerConfig | null;
}

/** One entry of GET /images/json. */
export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Labels?: Labels | null;
}

/** GET /networks/{id} (and the entries of GET /networks). */
export interface NetworkInspect {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null };
  Options?: Record<string, string> | null;
  Labels?: Labels | null;
  /** Attached containers by ID (containers on this engine only). */
  Containers?: Record<string, { Name?: string; IPv4Address?: string }> | null;
}

/** GET /volumes/{name} (and the entries of GET /volumes). */
export interface VolumeInspect {
  Name: string;
  CreatedAt?: string;
  Driver?: string;
  Mountpoint?: string;
  Scope?: string;
  Labels?: Labels | null;
  Options?: Record<string, string> | null;
}

export interface ObjectVersion {
  Index: number;
}

/** A port a service or task publishes. */
export interface EndpointPortConfig {
  Name?: string;
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  /** ingress or host. */
  PublishMode?: string;
}

export interface SwarmContainerSpec {
  Image?: string;
  Labels?: Labels | null;
  Env?: string[] | null;
  Command?: string[] | null;
  Args?: string[] | null;
  Secrets?: { SecretID?: string; SecretName?: string }[] | null;
  Configs?: { ConfigID?: string; ConfigName?: string }[] | null;
}

export interface SwarmServiceSpec {
  Name?: string;
  Labels?: Labels | null;
  TaskTemplate?: {
    ContainerSpec?: SwarmContainerSpec;
    ForceUpdate?: number;
    Placement?: { Constraints?: string[] | null };
    Networks?: { Target?: string; Aliases?: string[] }[] | null;
  };
  Mode?: { Replicated?: { Replicas?: number }; Global?: object };
  EndpointSpec?: { Mode?: string; Ports?: EndpointPortConfig[] | null };
}

/** GET /services/{id} (and the entries of GET /services). */
export interface SwarmService {
  ID: string;
  Version: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: SwarmServiceSpec;
  Endpoint?: { Ports?: EndpointPortConfig[] | null; VirtualIPs?: { NetworkID?: string; Addr?: string }[] | null };
  UpdateStatus?: { State?: string; Message?: string } | null;
  /** Only with `?status=true`. */
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number };
}

/** new, allocated, pending, assigned, accepted, preparing, ready, starting, running, complete, shutdown, failed, rejected, remove, orphaned. */
export type TaskState = string;

/** One entry of GET /tasks. */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  CreatedAt?: string;
  UpdatedAt?: string;
  DesiredState?: TaskState;
  Spec?: { ContainerSpec?: SwarmContainerSpec };
  Status?: {
    Timestamp?: string;
    State?: TaskState;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: EndpointPortConfig[] | null };
  };
  NetworksAttachments?: { Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] | null }[] | null;
}

/** One entry of GET /nodes. */
export interface SwarmNode {
  ID: string;
  /** Availability: active, pause or drain; Role: worker or manager. */
  Spec?: { Availability?: string; Role?: string; Labels?: Labels | null };
  Description?: { Hostname?: string };
  /** State: unknown, down, ready or disconnected. */
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Addr?: string } | null;
}

/** GET /secrets/{id} or /configs/{id} (and the entries of their lists): the same shape. */
export interface SwarmObject {
  ID: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  Spec: { Name: string; Labels?: Labels | null };
}

/** The parts of GET /info deployster reads. */
export interface SystemInfo {
  ID?: string;
  Name?: string;
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string; NodeAddr?: string };
}

/** A container's name as users know it: the engine's Name (or first of Names) without its leading slash. */
export function containerNameOf(c: Pick<ContainerInspect, "Name"> | Pick<ContainerSummary, "Names">): string {
  const raw = "Name" in c ? c.Name : "Names" in c ? c.Names?.[0] : undefined;
  return (raw ?? "").replace(/^\//, "");
}

/** One line of GET /events. */
export interface EngineEvent {
  /** container, image, network, volume, service, node, ... */
  Type?: string;
  /** start, die, health_status: healthy, destroy, ... */
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  /** Unix seconds and nanoseconds. */
  time?: number;
  timeNano?: number;
  /** Older spellings the engine still sends: the action and the actor's ID. */
  status?: string;
  id?: string;
}
