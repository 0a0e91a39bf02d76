/**
 * The v1 HTTP API's wire types: the request and response bodies `serve` answers with and
 * `ctl` (and the status page) reads, the deploy timestamp format, and the status URL of a
 * deploy. A leaf: it imports nothing, so server and clients share it without dragging each
 * other in. Field names are snake_case, as on the wire.
 */

/** Service names and versions: they end up in image references, container names and labels. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** `YYYY.MM.DD-hh.mm.ss` (UTC; Go layout 2006.01.02-15.04.05), with its six numbers captured. */
export const TIMESTAMP_PATTERN = /^(\d{4})\.(\d{2})\.(\d{2})-(\d{2})\.(\d{2})\.(\d{2})$/;

/** A deploy timestamp that is also a real calendar date and time (no month 13, no 24:00, no Feb 30). */
export function isValidTimestamp(s: unknown): s is string {
  if (typeof s !== "string") return false;
  const m = TIMESTAMP_PATTERN.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && se < 60;
}

/** `date` (default now) as a deploy timestamp, in UTC. */
export function formatTimestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCFullYear()}.${p(date.getUTCMonth() + 1)}.${p(date.getUTCDate())}-${p(date.getUTCHours())}.${p(date.getUTCMinutes())}.${p(date.getUTCSeconds())}`;
}

/** POST /v1/services/{name}/deploys. */
export interface DeployRequestBody {
  deploy: {
    version: string;
    /** Default false on the server (ctl sends true unless --skip-destroy-previous). */
    destroy_previous?: boolean | null;
    /** Absent, null or "": the server's now. */
    timestamp?: string | null;
    /** 0 or absent: as many as the single previous version, else 1. */
    instance_count?: number | null;
  };
}

/** POST /v1/services/{name}/tasks; `command` is one string (run through the image's shell rules) or an argv. */
export interface TaskRequestBody {
  task: { version: string; command: string | string[] };
}

/** POST /v1/services/{name}/rollback takes an empty object. */
export type RollbackRequestBody = Record<string, never>;

/** Every 4xx/5xx of the JSON endpoints. */
export interface ErrorBody {
  description: string;
  /** The status text, e.g. "Conflict". */
  error: string;
}

export const DEPLOY_STATES = ["rolling", "live", "failed", "rolled_back", "destroyed"] as const;
export type DeployState = (typeof DEPLOY_STATES)[number];
/** The states a deploy never leaves. */
export const TERMINAL_DEPLOY_STATES: ReadonlySet<DeployState> = new Set(["live", "failed", "rolled_back", "destroyed"]);

export function isDeployState(v: unknown): v is DeployState {
  return typeof v === "string" && (DEPLOY_STATES as readonly string[]).includes(v);
}

export const INSTANCE_PROGRESS = ["pending", "booting", "ready", "failed", "removed"] as const;
export type InstanceProgress = (typeof INSTANCE_PROGRESS)[number];

export function isInstanceProgress(v: unknown): v is InstanceProgress {
  return typeof v === "string" && (INSTANCE_PROGRESS as readonly string[]).includes(v);
}

/** One instance of a deploy, as its record shows it. */
export interface InstanceRecord {
  /** Its number, as a string ("1", "2", ...). */
  instance: string;
  container: string;
  state: InstanceProgress;
  /** Old instance this one replaces (destroyed once this one is ready). */
  replaces: string | null;
  /** True once `replaces` has been retired. */
  retired: boolean;
  reason: string | null;
  /** Where it runs, once known (Swarm: the node ID, updated when Swarm moves it; one engine: its ID). */
  machine_id?: string | null;
}

export interface VersionRef {
  version: string;
  timestamp: string;
}

/** A deploy of a version: GET .../deploys lists them, GET .../deploys/{version} shows one. */
export interface DeployRecord {
  service: string;
  version: string;
  timestamp: string;
  state: DeployState;
  instance_count: number;
  destroy_previous: boolean;
  previous: VersionRef | null;
  rollback_of: VersionRef | null;
  /** Digest of the configuration (--config-dir) its instances started with; null without one. */
  config_digest?: string | null;
  started_at: string;
  finished_at: string | null;
  reason: string | null;
  /** The failing instance's last log lines, when the deploy failed. */
  log_tail: string[];
  instances: InstanceRecord[];
}

/** GET /v1/services/{name}/deploys: newest first. */
export interface DeployListResponse {
  deploys: DeployRecord[];
}

/** GET /v1/services/{name}/deploys/{version}[?timestamp=TS]. */
export interface DeployResponse {
  deploy: DeployRecord;
}

/** One instance as GET .../units shows it: the original's fields first, then additions. */
export interface Unit {
  service: string;
  instance: string;
  version: string;
  current_state: "launched" | "loaded" | "inactive";
  desired_state: "launched" | "inactive";
  machine_id: string;
  deploy_timestamp: string;
  container_id: string;
  container_name: string;
  container_state: string;
  host_port: number | null;
  health: string | null;
  ready: boolean;
  routed: boolean | null;
  /** Where the instance answers: host:port (node:port on Swarm), when published. */
  address: string | null;
  /** When its container was created (ISO 8601). */
  created_at: string | null;
  /** Digest of the configuration (--config-dir) the instance started with; null without one. */
  config_digest: string | null;
  /** Whether that is the configuration its version would get now; null when unknown (no --config-dir, or it does not parse). */
  config_current: boolean | null;
}

/** GET /v1/services/{name}/units. */
export interface UnitsResponse {
  units: Unit[];
}

/** One service on the status page (GET /v1/services): its units and recent deploys. */
export interface ServiceOverview {
  service: string;
  units: Unit[];
  deploys: DeployRecord[];
}

/** GET /v1/services. */
export interface ServicesResponse {
  services: ServiceOverview[];
}

/** A task this server ran lately (GET /v1/tasks, newest first). */
export interface TaskRecord {
  service: string;
  version: string;
  /** The command as given (a string, or argv joined by spaces), cut to 200 characters. */
  command: string;
  container: string;
  state: "running" | "exited" | "failed";
  exit_code: number | null;
  /** Why it ended other than by itself (timeout, client gone, shutdown, start failure). */
  reason: string | null;
  started_at: string;
  finished_at: string | null;
}

/** GET /v1/tasks. */
export interface TasksResponse {
  tasks: TaskRecord[];
}

/**
 * The status path of one deploy, sent as the `Location` of a deploy's or rollback's 201
 * (whose body is empty): `/v1/services/{name}/deploys/{version}?timestamp=TS`.
 */
export function deployStatusPath(service: string, version: string, timestamp: string): string {
  return `/v1/services/${encodeURIComponent(service)}/deploys/${encodeURIComponent(version)}?timestamp=${encodeURIComponent(timestamp)}`;
}

/**
 * The deploy a status path names (the inverse of deployStatusPath, also under a path prefix
 * or as an absolute URL); undefined when `location` is not such a path.
 */
export function parseDeployStatusPath(location: string): VersionRef & { service: string } | undefined {
  let url: URL;
  try {
    url = new URL(location, "http://localhost");
  } catch {
    return undefined;
  }
  const m = /\/v1\/services\/([^/]+)\/deploys\/([^/]+)$/.exec(url.pathname);
  const timestamp = url.searchParams.get("timestamp");
  if (!m || !timestamp) return undefined;
  try {
    return { service: decodeURIComponent(m[1]!), version: decodeURIComponent(m[2]!), timestamp };
  } catch {
    return undefined;
  }
}
