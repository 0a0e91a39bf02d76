/**
 * The engine backend: each instance is a container on the one Docker engine serve talks
 * to, named `<service>-<version>-<timestamp>-<instance>`, its port published on
 * --publish-host (and reached at --instance-host when given). After a deploy went live the
 * reconcile loop (../reconcile) heals what breaks.
 */
import { inspectContainer, listContainers, removeContainer, stopContainer } from "../../docker/containers";
import type { DockerClient } from "../../docker/client";
import type { ServeConfig } from "../config";
import type { ServerContext } from "../context";
import { LABEL_MANAGED } from "../../docker/labels";
import { type Instance, parseInstance } from "../instance-model";
import { instanceFilters, LABEL_CONFIG_DIGEST, LABEL_SERVICE } from "../labels";
import { dialHost, lastLogLines, probeInstance, probeUntilReady, tcpConnect } from "../readiness";
import { startReconciler } from "../reconcile/index";
import { bootInstance, prepareImage, removeLeftovers } from "../rollout/boot";
import type { InstanceBackend } from "./types";

/** Grace for the app to finish its requests after SIGTERM. */
const STOP_TIMEOUT_S = 10;

/** The engine's ID (an instance's machine_id), asked once; asked again after a failure. */
function createEngineId(docker: DockerClient): () => Promise<string> {
  let cachedId: Promise<string> | undefined;
  return () => {
    cachedId ??= docker.json<{ ID: string }>("GET", "/info").then(
      (info) => info.ID ?? "",
      (err) => {
        cachedId = undefined;
        throw err;
      },
    );
    return cachedId;
  };
}

function probeOptions(config: ServeConfig, containerPort: number) {
  return { containerPort, publishHost: config.publishHost, instanceHost: config.instanceHost, healthPath: config.healthPath };
}

/** Where the router reaches a published port: --instance-host, else the address it is published on. */
function dialTo(config: ServeConfig, hostPort: number, hostIp?: string): string {
  return `${config.instanceHost ?? dialHost(hostIp || config.publishHost)}:${hostPort}`;
}

/** This server's instances (of one service when given), oldest deploy first. */
async function listEngineInstances(server: ServerContext, service?: string): Promise<Instance[]> {
  const { docker, config } = server;
  const list = await listContainers(docker, { all: true, labels: instanceFilters(config.scopeLabels, service) });
  const out: Instance[] = [];
  for (const c of list) {
    const i = parseInstance(c, config.containerPort);
    if (i && (service === undefined || i.service === service)) out.push(i);
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.instance - b.instance);
}

/** Prunes the secrets (--config-dir) that no container of the service, in any state, mounts any more. */
async function pruneEngineConfig(server: ServerContext, service?: string): Promise<void> {
  const { docker, config, configDir: dir } = server;
  if (!dir) return;
  for (const s of service === undefined ? dir.engineServices() : [service]) {
    // Instances and tasks of the service, in any state: their labels say which secrets they mount.
    const scope = Object.entries(config.scopeLabels).map(([k, v]) => `${k}=${v}`);
    const list = await listContainers(docker, { all: true, labels: [`${LABEL_MANAGED}=true`, `${LABEL_SERVICE}=${s}`, ...scope] });
    const inUse = new Set(list.map((c) => c.Labels?.[LABEL_CONFIG_DIGEST]).filter((d): d is string => !!d));
    dir.pruneEngine(s, inUse);
  }
}

export function createEngineBackend(server: ServerContext): InstanceBackend<ServerContext> {
  const { docker, config } = server;
  const engineId = createEngineId(docker);
  return {
    kind: "engine",
    description: `engine ${docker.target}`,
    list: (service) => listEngineInstances(server, service),
    async exists(id) {
      return !!(await inspectContainer(docker, id));
    },
    dial: (i) => (i.hostPort ? dialTo(config, i.hostPort, i.hostIp) : undefined),
    prepareImage: (image, signal) => prepareImage(server, image, signal),
    removeLeftovers: (plan) => removeLeftovers(server, plan),
    boot: (plan, k) => bootInstance(server, plan, k),
    async waitReady(booted, w) {
      const r = await probeUntilReady(docker, booted.id, { ...probeOptions(config, config.containerPort), deadline: w.deadline, signal: w.signal });
      if (!r.ready) return r;
      return { ready: true, dial: r.hostPort ? dialTo(config, r.hostPort) : undefined, machineId: await engineId().catch(() => undefined) };
    },
    async probeReady(i) {
      if (i.state !== "running") return false;
      const r = await probeInstance(docker, i.id, probeOptions(config, i.containerPort)).catch(() => undefined);
      return r?.kind === "ready";
    },
    async isReadyNow(i, seen) {
      if (i.state !== "running") return false;
      if (i.health) return i.health === "healthy";
      if (seen.has(i.id)) return true;
      if (!i.address) return false;
      return tcpConnect(i.address, i.containerPort, 500);
    },
    async stopAndRemove(i) {
      if (i.state === "running") await stopContainer(docker, i.id, STOP_TIMEOUT_S).catch(() => {});
      await removeContainer(docker, i.id, { force: true });
    },
    remove: (id) => removeContainer(docker, id, { force: true }),
    pruneConfig: (service) => pruneEngineConfig(server, service),
    logTail: (id) => lastLogLines(docker, id),
    machineId: () => engineId(),
    // Heals what breaks after a deploy went live (dead instances, a restarted Caddy or dockerd).
    watch: (c) => startReconciler(c),
  };
}
