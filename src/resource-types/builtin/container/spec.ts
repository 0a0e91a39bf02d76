/**
 * deployster/docker-container: the normalised spec (what is hashed) and its display form
 * (what is stored in a label and diffed in plans). Pure.
 */
import { isAbsolute, resolve } from "node:path";
import { UserError } from "../../../errors";
import { parseDurationMs } from "../common/duration";
import { sha256Hex } from "../common/hash";
import { checkUserLabels } from "../common/labels";
import { normalizeStringMap } from "../common/config-schema";
import { MOUNT_STRING_PATTERN, PORT_STRING_PATTERN } from "./schema";
import { splitCommand } from "./split-command";

export const CONTAINER_TYPE = "deployster/docker-container";
export const DEFAULT_HEALTH_TIMEOUT_MS = 60_000;
/**
 * Default minimum running time without a healthcheck: a replacement must survive a moment
 * before the old container goes; a first create is only checked once (as compose does).
 */
export const DEFAULT_MIN_RUNNING_REPLACE_MS = 1000;

export interface PortSpec {
  container_port: number;
  protocol: "tcp" | "udp" | "sctp";
  host_ip: string;
  /** null = an ephemeral host port chosen by the engine. */
  host_port: number | null;
}

export interface MountSpec {
  type: "volume" | "bind" | "tmpfs";
  source: string;
  target: string;
  read_only: boolean;
}

export interface NetworkAttachment {
  name: string;
  aliases: string[];
}

export interface HealthSpec {
  test: string[];
  interval_ms?: number;
  timeout_ms?: number;
  retries?: number;
  start_period_ms?: number;
}

/** The desired container; everything here is hashed into the config-hash label. */
export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  secret_env: string[];
  ports: PortSpec[];
  mounts: MountSpec[];
  networks: NetworkAttachment[];
  labels: Record<string, string>;
  restart: string;
  healthcheck?: HealthSpec | { disable: true };
  user?: string;
  working_dir?: string;
  stop_timeout?: number;
}

/** How apply behaves; not part of the container, so not hashed (changing it recreates nothing). */
export interface ContainerOptions {
  health_timeout_ms: number;
  /** Without a healthcheck, how long a new container must keep running to count as ready. */
  min_running_ms?: number;
  update_order: "start-first" | "stop-first";
}

export function parsePort(value: unknown): PortSpec {
  if (typeof value === "number") return { container_port: value, protocol: "tcp", host_ip: "", host_port: null };
  if (typeof value === "string") {
    const m = new RegExp(PORT_STRING_PATTERN).exec(value);
    if (!m) throw new UserError(`invalid port ${JSON.stringify(value)}`);
    return {
      container_port: Number(m[3]),
      protocol: (m[4] as PortSpec["protocol"]) ?? "tcp",
      host_ip: (m[1] ?? "").replace(/^\[|\]$/g, ""),
      host_port: m[2] ? Number(m[2]) : null,
    };
  }
  const o = value as { target: number | string; published?: number | string; host_ip?: string; protocol?: PortSpec["protocol"] };
  const published = o.published === undefined || o.published === "" ? null : Number(o.published);
  return { container_port: Number(o.target), protocol: o.protocol ?? "tcp", host_ip: o.host_ip ?? "", host_port: published || null };
}

/** `127.0.0.1:8080:80/tcp`, `127.0.0.1::80/tcp`, `:8080:80/tcp`: the form shown in plans. */
export function formatPort(p: PortSpec): string {
  const ip = p.host_ip.includes(":") ? `[${p.host_ip}]` : p.host_ip;
  return `${ip}:${p.host_port ?? ""}:${p.container_port}/${p.protocol}`;
}

export function parseMount(value: unknown, workspace: string): MountSpec {
  let mount: MountSpec;
  if (typeof value === "string") {
    const match = new RegExp(MOUNT_STRING_PATTERN).exec(value);
    if (!match) throw new UserError(`invalid mount ${JSON.stringify(value)}`);
    const source = match[1]!;
    const bind = source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
    mount = { type: bind ? "bind" : "volume", source, target: match[2]!, read_only: match[3] === "ro" };
  } else {
    const raw = value as { type: MountSpec["type"]; source?: string; target: string; read_only?: boolean };
    mount = { type: raw.type, source: raw.source ?? "", target: raw.target, read_only: raw.read_only ?? false };
  }
  if (mount.type === "bind") {
    if (!mount.source) throw new UserError(`bind mount of ${mount.target} needs a source`);
    const home = process.env.HOME ?? "/root";
    const expanded = mount.source.startsWith("~") ? home + mount.source.slice(1) : mount.source;
    mount.source = isAbsolute(expanded) ? resolve(expanded) : resolve(workspace, expanded);
  }
  if (mount.type === "volume" && !mount.source) {
    throw new UserError(`volume mount of ${mount.target} needs a source (anonymous volumes would be left behind)`);
  }
  return mount;
}

export function formatMount(m: MountSpec): string {
  const src = m.type === "tmpfs" ? "tmpfs" : `${m.type} ${m.source}`;
  return `${src}:${m.target}${m.read_only ? ":ro" : ""}`;
}

export function parseNetworks(value: unknown): NetworkAttachment[] {
  if (!value) return [];
  if (Array.isArray(value)) return value.map((name) => ({ name: String(name), aliases: [] }));
  return Object.entries(value as Record<string, { aliases?: string[] } | null>).map(([name, v]) => ({
    name,
    aliases: [...new Set(v?.aliases ?? [])].sort(),
  }));
}

export function parseEnv(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    const map: Record<string, string> = {};
    for (const item of value as string[]) {
      const i = item.indexOf("=");
      map[item.slice(0, i)] = item.slice(i + 1);
    }
    return normalizeStringMap(map);
  }
  return normalizeStringMap(value);
}

export function parseCommand(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.map(String) : splitCommand(String(value));
}

export function parseHealthcheck(value: unknown): ContainerSpec["healthcheck"] {
  if (!value) return undefined;
  const h = value as Record<string, unknown>;
  if (h.disable) return { disable: true };
  if (h.test === undefined) throw new UserError("config.healthcheck.test is required unless disable is true");
  const test = Array.isArray(h.test) ? h.test.map(String) : ["CMD-SHELL", String(h.test)];
  const first = test[0];
  const full = first === "CMD" || first === "CMD-SHELL" || first === "NONE" ? test : ["CMD", ...test];
  const ms = (v: unknown) => (v === undefined ? undefined : parseDurationMs(v as number | string));
  return {
    test: full,
    interval_ms: ms(h.interval),
    timeout_ms: ms(h.timeout),
    retries: h.retries as number | undefined,
    start_period_ms: ms(h.start_period),
  };
}

/** Fills defaults and sorts what has no meaningful order, so equal configs hash equal. */
export function normalizeContainerConfig(resourceName: string, config: Record<string, unknown>, workspace: string): ContainerSpec {
  const env = parseEnv(config.env);
  const secret = [...new Set((config.secret_env as string[] | undefined) ?? [])].sort();
  for (const k of secret) {
    if (!(k in env)) throw new UserError(`config.secret_env: '${k}' is not a key of config.env`);
  }
  const labels = normalizeStringMap(config.labels);
  checkUserLabels(labels, "config.labels");
  const ports = ((config.ports as unknown[] | undefined) ?? []).map(parsePort);
  ports.sort((a, b) => formatPort(a).localeCompare(formatPort(b)));
  const mounts = ((config.mounts as unknown[] | undefined) ?? []).map((m) => parseMount(m, workspace));
  mounts.sort((a, b) => a.target.localeCompare(b.target));
  return {
    name: (config.name as string | undefined) ?? resourceName,
    image: String(config.image),
    command: parseCommand(config.command),
    entrypoint: parseCommand(config.entrypoint),
    env,
    secret_env: secret,
    ports,
    mounts,
    networks: parseNetworks(config.networks),
    labels,
    restart: (config.restart as string | undefined) ?? "no",
    healthcheck: parseHealthcheck(config.healthcheck),
    user: config.user as string | undefined,
    working_dir: config.working_dir as string | undefined,
    stop_timeout: config.stop_timeout as number | undefined,
  };
}

export function normalizeContainerOptions(config: Record<string, unknown>): ContainerOptions {
  const t = config.health_timeout as number | string | undefined;
  const m = config.min_running as number | string | undefined;
  return {
    health_timeout_ms: t === undefined ? DEFAULT_HEALTH_TIMEOUT_MS : parseDurationMs(t),
    min_running_ms: m === undefined ? undefined : parseDurationMs(m),
    update_order: (config.update_order as ContainerOptions["update_order"] | undefined) ?? "start-first",
  };
}

/** Prefix of a stored secret in the display form; diffs show it as `***`. */
export const SECRET_MARK = "secret:";

/** The environment as stored and diffed: the values of `secretEnv` replaced by a short hash of NAME=value. */
export function displayEnv(env: Record<string, string>, secretEnv: string[]): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) shown[k] = secretEnv.includes(k) ? `${SECRET_MARK}${sha256Hex(`${k}=${v}`).slice(0, 16)}` : v;
  return shown;
}

/** Network attachments as stored and diffed: name → aliases. */
export function aliasesByNetwork(networks: NetworkAttachment[]): Record<string, string[]> {
  return Object.fromEntries(networks.map((n) => [n.name, n.aliases]));
}

/** The stored, diffable form: ports and mounts as strings, secret values as short hashes. */
export function toDisplaySpec(spec: ContainerSpec): Record<string, unknown> {
  const env = displayEnv(spec.env, spec.secret_env);
  const networks = aliasesByNetwork(spec.networks);
  return {
    ...spec,
    env,
    secret_env: undefined,
    ports: spec.ports.map(formatPort),
    mounts: spec.mounts.map(formatMount),
    networks,
  };
}

/** Values of the secret env keys (what the masker hides in free text). */
export function secretValues(spec: ContainerSpec): string[] {
  return spec.secret_env.map((k) => spec.env[k]).filter((v): v is string => typeof v === "string");
}
