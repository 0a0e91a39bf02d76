/**
 * The Swarm backend: serve talks to a manager; each instance is a Swarm service (./spec.ts)
 * pinned to the node and host port serve chose (./place.ts), whose task Swarm starts and
 * restarts there, and which serve re-places when that node fails (./replace.ts). Images
 * come from --registry-url and every node pulls them with the credentials of the Docker
 * client config (sent with the service create, as `docker service create
 * --with-registry-auth` does).
 */
import { registryAuthHeader } from "../../../docker/auth";
import type { DockerClient } from "../../../docker/client";
import { createService, distributionDigest, inspectService, listServices, listTasks, removeService, serviceLogs, swarmRole } from "../../../docker/swarm";
import { UserError } from "../../../errors";
import type { ServerContext } from "../../context";
import { envList, instanceFacts, type ServiceConfig } from "../../config-dir";
import type { SwarmService, SwarmTask } from "../../../docker/types";
import type { Instance } from "../../instance-model";
import { instanceFilters } from "../../labels";
import { instanceLabels } from "../../rollout/boot";
import { newInstanceName } from "../../rollout/plan";
import { tcpConnect } from "../../readiness";
import type { DeployPlan } from "../../rollout/plan";
import type { BackendReadyOutcome, BootedInstance, InstanceBackend } from "../types";
import { createNodeAddresses, probeSwarmInstance } from "./ready";
import { ensureSwarmSecrets, pruneSwarmSecrets } from "./secrets";
import { buildInstanceSpec, parseSwarmInstance, swarmServiceName } from "./spec";
import { parsePortRange } from "./place";
import { createPlacer } from "./placer";
import { replaceStranded } from "./replace";
import { watchFailover } from "./watch";
import { sleepUnlessAborted } from "../../../sleep";

const STOP_GRACE_S = 10;

/** DEPLOYSTER_SWARM_WATCH_MS: how often failover re-places stranded instances and compares the router with the cluster (default 1000). */
function watchIntervalMs(env: Record<string, string | undefined>): number {
  const n = Number(env.DEPLOYSTER_SWARM_WATCH_MS);
  return Number.isFinite(n) && n >= 100 ? n : 1000;
}

/** Fails with one clear line unless the engine is an active Swarm manager. */
export async function checkSwarmManager(docker: DockerClient): Promise<void> {
  const role = await swarmRole(docker);
  if (role.state !== "active" || !role.manager) {
    const what = role.state !== "active" ? "is not part of a Swarm" : "is a Swarm worker, not a manager";
    throw new UserError(`--swarm: the engine at ${docker.target} ${what} (point DOCKER_HOST at a Swarm manager, or drop --swarm)`);
  }
}


/** What the Swarm backend's steps share. */
interface SwarmBackendParts {
  server: ServerContext;
  env: Record<string, string | undefined>;
  nodeAddress: ReturnType<typeof createNodeAddresses>;
  placer: ReturnType<typeof createPlacer>;
  /** image → image@digest, resolved once per image (every node runs the same bytes). */
  pinned: Map<string, string>;
}

function probeOptions(parts: SwarmBackendParts, containerPort: number, failOnTaskFailure: boolean) {
  return { containerPort, healthPath: parts.server.config.healthPath, failOnTaskFailure };
}

/** Services and their tasks, consistent: listed again when a service went away in between. */
async function listWithTasks(docker: DockerClient, labels: string[]): Promise<{ services: SwarmService[]; tasks: SwarmTask[] }> {
  for (let attempt = 1; ; attempt++) {
    const services = await listServices(docker, labels);
    const tasks = await listTasks(docker, services.map((s) => s.ID));
    if (tasks) return { services, tasks };
    if (attempt >= 5) throw new Error("the Swarm's services keep changing while they are listed");
  }
}

/** This server's instances (of one service when given), oldest deploy first. */
async function listSwarmInstances(parts: SwarmBackendParts, service?: string): Promise<Instance[]> {
  const { docker, config } = parts.server;
  const { services, tasks } = await listWithTasks(docker, instanceFilters(config.scopeLabels, service));
  const addrs = new Map<string, string>();
  for (const t of tasks) if (t.NodeID && !addrs.has(t.NodeID)) addrs.set(t.NodeID, (await parts.nodeAddress(t.NodeID)) ?? "");
  const out: Instance[] = [];
  for (const s of services) {
    const i = parseSwarmInstance(s, tasks.filter((t) => t.ServiceID === s.ID), addrs, config.containerPort);
    if (i && (service === undefined || i.service === service)) out.push(i);
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.instance - b.instance);
}

/** Keeps the configuration's secrets from being pruned between their creation and the service's. */
function holdSecrets(server: ServerContext, service: string, c: ServiceConfig | undefined): () => void {
  const releases = (c?.secrets ?? []).map((s) => server.configDir?.hold(service, s.digest) ?? (() => {}));
  return () => {
    for (const r of releases) r();
  };
}

/** Creates new instance k's service (or finds it from an earlier attempt), on the node and port the placer chose. */
async function bootSwarmInstance(parts: SwarmBackendParts, plan: DeployPlan, k: number): Promise<BootedInstance> {
  const { docker, config } = parts.server;
  const name = newInstanceName(plan, k);
  const existing = await inspectService(docker, swarmServiceName(name));
  if (existing) {
    const created = Date.parse(existing.CreatedAt ?? "");
    return { k, id: existing.ID, name, startedAtMs: Number.isFinite(created) ? created : Date.now() };
  }
  const release = holdSecrets(parts.server, plan.service, plan.config);
  try {
    const secrets = plan.config ? await ensureSwarmSecrets(docker, plan.config, config.scopeLabels) : undefined;
    const labels = instanceLabels(plan, k, { containerPort: config.containerPort, scope: config.scopeLabels });
    // serve chooses the node and port, so the facts can say both before the task starts.
    const ID = await parts.placer.place(plan.service, {}, async (p) => {
      const facts = instanceFacts({
        service: plan.service, version: plan.version, timestamp: plan.timestamp, instance: String(k),
        hostIp: p.addr, containerPort: config.containerPort, publishedPort: p.port, swarm: true,
      });
      const spec = buildInstanceSpec({
        labels,
        instanceName: name,
        image: parts.pinned.get(plan.image) ?? plan.image,
        containerPort: config.containerPort,
        stopGraceSeconds: STOP_GRACE_S,
        limits: config.limits.instance,
        env: envList(plan.config?.env, facts),
        secrets,
        placement: p,
      });
      return (await createService(docker, spec, registryAuthHeader(plan.image, parts.env))).ID;
    });
    return { k, id: ID, name, startedAtMs: Date.now() };
  } finally {
    release();
  }
}

/**
 * Polls a booted instance until ready, failed or past the deadline. A task takes a second or
 * two to be scheduled, pulled and started: poll at a steady short interval (each look is two
 * cheap manager calls and one TCP connect).
 */
async function waitSwarmReady(parts: SwarmBackendParts, booted: BootedInstance, w: { deadline: number; signal?: AbortSignal }): Promise<BackendReadyOutcome> {
  const { docker, config } = parts.server;
  let lastWhy = "no probe ran";
  for (let attempt = 0; ; attempt++) {
    if (w.signal?.aborted) return { ready: false, why: "interrupted", aborted: true };
    const r = await probeSwarmInstance(docker, booted.id, parts.nodeAddress, probeOptions(parts, config.containerPort, true)).catch(
      (err): { kind: "waiting"; why: string } => ({ kind: "waiting", why: (err as Error).message }),
    );
    if (r.kind === "ready") return { ready: true, dial: r.dial, machineId: r.nodeId };
    if (r.kind === "failed") return { ready: false, why: r.why };
    lastWhy = r.why;
    const pause = attempt < 100 ? 150 : 500;
    if (Date.now() + pause > w.deadline) return { ready: false, why: lastWhy, timedOut: true };
    await sleepUnlessAborted(pause, w.signal);
  }
}

export async function createSwarmBackend(server: ServerContext, env: Record<string, string | undefined>): Promise<InstanceBackend<ServerContext>> {
  const { docker, config } = server;
  await checkSwarmManager(docker);
  const nodeAddress = createNodeAddresses(docker);
  const placer = createPlacer(docker, parsePortRange(env.DEPLOYSTER_SWARM_PORTS));
  const parts: SwarmBackendParts = { server, env, nodeAddress, placer, pinned: new Map() };
  return {
    kind: "swarm",
    description: `Swarm manager ${docker.target}`,
    list: (service) => listSwarmInstances(parts, service),
    exists: async (id) => !!(await inspectService(docker, id)),
    dial: (i) => i.dial,
    async prepareImage(image, signal) {
      if (parts.pinned.has(image)) return;
      const limit = AbortSignal.timeout(config.limits.pullTimeoutMs);
      const digest = await distributionDigest(docker, image, registryAuthHeader(image, env), AbortSignal.any([signal ?? server.shutdown, limit]));
      parts.pinned.set(image, `${image}@${digest}`);
    },
    async removeLeftovers(plan) {
      for (const l of plan.leftovers) await removeService(docker, l.id);
    },
    boot: (plan, k) => bootSwarmInstance(parts, plan, k),
    waitReady: (booted, w) => waitSwarmReady(parts, booted, w),
    async probeReady(i) {
      if (i.state !== "running") return false;
      const r = await probeSwarmInstance(docker, i.id, nodeAddress, probeOptions(parts, i.containerPort, false)).catch(() => undefined);
      return r?.kind === "ready";
    },
    async isReadyNow(i) {
      if (i.state !== "running" || !i.hostIp || !i.hostPort) return false;
      return tcpConnect(i.hostIp, i.hostPort, 500);
    },
    stopAndRemove: (i) => removeService(docker, i.id),
    remove: (id) => removeService(docker, id),
    async pruneConfig(service) {
      if (server.configDir) await pruneSwarmSecrets(docker, service, config.scopeLabels, server.configDir);
    },
    async logTail(id) {
      const chunks: Uint8Array[] = [];
      try {
        await serviceLogs(docker, id, { tail: 20, onChunk: (_s, data) => chunks.push(data.slice()), signal: AbortSignal.timeout(5000) });
      } catch {}
      return Buffer.concat(chunks).toString("utf8").split("\n").map((l) => l.trimEnd()).filter(Boolean).slice(-20);
    },
    machineId: async (i) => i.machineId ?? "",
    watch(c) {
      const warned = new Set<string>();
      const done = watchFailover(c, { intervalMs: watchIntervalMs(env), before: () => replaceStranded(c, docker, placer, warned) });
      return { stop: () => done };
    },
  };
}
