/**
 * The serve flags that bound what one client can make the server hold: idle connections,
 * concurrent tasks and deploys, engine calls and pulls, and the memory/pids of the
 * containers it creates. Parsed here (pure) and checked once at start-up.
 */
import { UserError } from "../errors";
import { parseDuration } from "./duration";

export interface LimitOptions {
  idleTimeout?: string;
  maxTasks?: string | number;
  maxDeploys?: string | number;
  dockerTimeout?: string;
  pullTimeout?: string;
  instanceMemory?: string;
  instancePids?: string | number;
  taskMemory?: string;
  taskPids?: string | number;
}

/** Memory and pids limits of a container (HostConfig.Memory / PidsLimit); absent = none. */
export interface ContainerLimits {
  memoryBytes?: number;
  pids?: number;
}

export interface ServeLimits {
  /** Seconds an idle connection stays open (Bun allows 1..255). Task streams are exempt. */
  idleTimeoutS: number;
  maxTasks: number;
  maxDeploys: number;
  /** Timeout of each non-streaming engine call. */
  dockerTimeoutMs: number;
  /** Longest an image pull may take. */
  pullTimeoutMs: number;
  instance: ContainerLimits;
  task: ContainerLimits;
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's memory notation: a number of bytes with an optional b/k/m/g/t suffix (binary units): 512m, 1g, 1.5g. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(String(text).trim());
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

function positiveInt(flag: string, value: string | number | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined || value === "") return fallback;
  const s = String(value).trim();
  if (!/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s))) throw new UserError(`${flag}: "${s}" is not a whole number ≥ 1`);
  return Number(s);
}

function memory(flag: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const bytes = parseByteSize(value);
  // The engine refuses less than 6 MiB.
  if (bytes === undefined || bytes < 6 * 1024 * 1024) throw new UserError(`${flag}: "${value}" is not a memory size of at least 6m (e.g. 256m, 1g)`);
  return bytes;
}

function duration(flag: string, value: string | undefined, fallback: string, maxMs = Infinity): number {
  const ms = parseDuration(value ?? fallback);
  if (ms === undefined || ms <= 0 || ms > maxMs) {
    const range = Number.isFinite(maxMs) ? ` between 1s and ${maxMs / 1000}s` : "";
    throw new UserError(`${flag}: "${value}" is not a duration${range} like 30s, 5m or 1h30m`);
  }
  return ms;
}

export function resolveLimits(o: LimitOptions): ServeLimits {
  const idleMs = duration("--idle-timeout", o.idleTimeout, "30s", 255_000);
  if (idleMs < 1000) throw new UserError(`--idle-timeout: "${o.idleTimeout}" is shorter than 1s`);
  return {
    idleTimeoutS: Math.round(idleMs / 1000),
    maxTasks: positiveInt("--max-tasks", o.maxTasks, 32)!,
    maxDeploys: positiveInt("--max-deploys", o.maxDeploys, 16)!,
    dockerTimeoutMs: duration("--docker-timeout", o.dockerTimeout, "2m"),
    pullTimeoutMs: duration("--pull-timeout", o.pullTimeout, "10m"),
    instance: { memoryBytes: memory("--instance-memory", o.instanceMemory), pids: positiveInt("--instance-pids", o.instancePids, undefined) },
    task: { memoryBytes: memory("--task-memory", o.taskMemory), pids: positiveInt("--task-pids", o.taskPids, undefined) },
  };
}

/** The HostConfig fields of a container's limits (nothing when unlimited). */
export function limitsHostConfig(l: ContainerLimits): Record<string, number> {
  const out: Record<string, number> = {};
  if (l.memoryBytes !== undefined) {
    out.Memory = l.memoryBytes;
    // No swap beyond the memory limit: the limit means what it says.
    out.MemorySwap = l.memoryBytes;
  }
  if (l.pids !== undefined) out.PidsLimit = l.pids;
  return out;
}
