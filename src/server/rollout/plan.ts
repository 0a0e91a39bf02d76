/**
 * Deciding a deploy (pure): the original's checks and defaults (spec section 3), over the
 * instances the engine reports. Failed instances (exited, dead, unhealthy) do not count as
 * running versions (decision 4), which fixes the original's "failed leftovers block
 * destroy_previous".
 */
import type { ServiceConfig } from "../config-dir";
import { HttpError } from "../http";
import { type Instance, isFailed } from "../instance-model";
import { deployKey, imageRef, instanceName } from "../names";
import type { DeployRequest } from "../validate";

export const TOO_MANY_VERSIONS =
  "Too many versions are running.  Destroying previous units is not supported when more than one version is currently running.";
export const TOO_MANY_INSTANCES =
  "A greater number of instances than what was specified is already running.  Make sure this number is less than or equal to the number already running or disable destroying previous units.";

export interface DeployPlan {
  service: string;
  version: string;
  timestamp: string;
  image: string;
  count: number;
  /** True only when there is exactly one previous version to retire. */
  destroyPrevious: boolean;
  /** What the request asked (recorded; destroyPrevious may be false when nothing ran). */
  requestedDestroyPrevious: boolean;
  /** The version being replaced (`version:timestamp`) and its instances. */
  previous?: { key: string; instances: Instance[] };
  /** Old instance name each new instance number replaces (pairing by number). */
  replaces: Map<number, string>;
  startedAt: string;
  rollbackOf?: string;
  /** Compact earlier records (LABEL_HISTORY). */
  history: string;
  /** Failed leftovers of this very identity (their names are needed again): removed at boot. */
  leftovers: Instance[];
  /** The configuration (--config-dir) read for this deploy: new instances start with it. */
  config?: ServiceConfig;
  /** Why the configuration could not be read (a resumed rollout fails with it). */
  configError?: string;
}

export interface PlanInputs {
  service: string;
  request: DeployRequest & { timestamp: string };
  instances: Instance[];
  imagePrefix: string;
  startedAt: string;
  history: string;
  rollbackOf?: string;
}

/** Running versions: distinct `version:timestamp` of the instances that are not failed. */
export function runningVersions(instances: Instance[]): string[] {
  return [...new Set(instances.filter((i) => !isFailed(i)).map((i) => deployKey(i.version, i.timestamp)))];
}

/** The original's default: the given count, else the single previous version's count, else 1. */
export function determineInstanceCount(requested: number, versions: number, units: number): number {
  if (requested !== 0) return requested;
  return versions === 1 ? Math.max(units, 1) : 1;
}

export function planDeploy(p: PlanInputs): DeployPlan {
  const { service, request: r, instances } = p;
  const key = deployKey(r.version, r.timestamp);
  const same = instances.filter((i) => deployKey(i.version, i.timestamp) === key);
  if (same.some((i) => !isFailed(i))) {
    throw new HttpError(409, `Version ${r.version} with timestamp ${r.timestamp} is already deployed.  Destroy it first or deploy with another timestamp.`);
  }
  const others = instances.filter((i) => deployKey(i.version, i.timestamp) !== key);
  const active = others.filter((i) => !isFailed(i));
  const versions = runningVersions(others);
  let previous: DeployPlan["previous"];
  if (r.destroyPrevious) {
    if (versions.length > 1) throw new HttpError(400, TOO_MANY_VERSIONS);
    if (r.instanceCount !== 0 && r.instanceCount < active.length) throw new HttpError(400, TOO_MANY_INSTANCES);
    if (versions.length === 1) {
      const prevKey = versions[0]!;
      // Its failed instances go too: the version is being replaced as a whole.
      previous = { key: prevKey, instances: others.filter((i) => deployKey(i.version, i.timestamp) === prevKey) };
    }
  }
  const count = determineInstanceCount(r.instanceCount, versions.length, active.length);
  const replaces = new Map<number, string>();
  if (previous) {
    for (const old of previous.instances) if (!isFailed(old) && old.instance <= count) replaces.set(old.instance, old.name);
  }
  return {
    service,
    version: r.version,
    timestamp: r.timestamp,
    image: imageRef(p.imagePrefix, service, r.version),
    count,
    destroyPrevious: !!previous,
    requestedDestroyPrevious: r.destroyPrevious,
    previous,
    replaces,
    startedAt: p.startedAt,
    rollbackOf: p.rollbackOf,
    history: p.history,
    leftovers: same,
  };
}

/** Re-creates the plan of an unfinished rollout from its instances' labels (crash-safe resumption). */
export function planFromLabels(mine: Instance[], all: Instance[], imagePrefix: string): DeployPlan {
  const first = mine[0]!;
  const previousKey = first.previous;
  const prevInstances = previousKey ? all.filter((i) => deployKey(i.version, i.timestamp) === previousKey) : [];
  const replaces = new Map<number, string>();
  for (const i of mine) if (i.replaces) replaces.set(i.instance, i.replaces);
  if (first.destroyPrevious) {
    for (let k = 1; k <= first.count; k++) {
      if (replaces.has(k)) continue;
      const old = prevInstances.find((o) => o.instance === k && !isFailed(o));
      if (old) replaces.set(k, old.name);
    }
  }
  return {
    service: first.service,
    version: first.version,
    timestamp: first.timestamp,
    image: imageRef(imagePrefix, first.service, first.version),
    count: first.count,
    destroyPrevious: first.destroyPrevious,
    requestedDestroyPrevious: first.destroyPrevious,
    previous: first.destroyPrevious && previousKey ? { key: previousKey, instances: prevInstances } : undefined,
    replaces,
    startedAt: first.startedAt,
    rollbackOf: first.rollbackOf,
    history: first.history ?? "[]",
    leftovers: [],
  };
}

export function newInstanceName(plan: Pick<DeployPlan, "service" | "version" | "timestamp">, k: number): string {
  return instanceName(plan.service, plan.version, plan.timestamp, k);
}
