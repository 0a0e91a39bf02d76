/**
 * The engine backend: each instance is a container on the one Docker engine serve talks
 * to, named `<service>-<version>-<timestamp>-<instance>`, its port published on
 * --publish-host (today's single-engine behaviour).
 */
import type { DockerClient } from "../../docker/client";
import { inspectContainer, listContainers, removeContainer, stopContainer } from "../../docker/containers";
import type { ServeConfig } from "../config";
import type { Logger } from "../context";
import { instanceFilters, type Instance, parseInstance } from "../naming";
import { dialHost, lastLogLines, probeInstance, tcpConnect, waitReady } from "../readiness";
import { bootInstance, ensureImage, removeLeftovers } from "../rollout/boot";
import type { InstanceBackend } from "./types";

/** Grace for the app to finish its requests after SIGTERM. */
const STOP_TIMEOUT_S = 10;

export interface EngineBackendOptions {
  docker: DockerClient;
  config: ServeConfig;
  logger: Logger;
  shutdown: AbortSignal;
}

export function createEngineBackend(o: EngineBackendOptions): InstanceBackend {
  const { docker, config } = o;
  let machineId: Promise<string> | undefined;
  const probeOptions = (containerPort: number) => ({ containerPort, publishHost: config.publishHost, healthPath: config.healthPath });
  return {
    kind: "engine",
    description: `engine ${docker.target}`,
    async list(service) {
      const list = await listContainers(docker, { all: true, labels: instanceFilters(config.scopeLabels, service) });
      const out: Instance[] = [];
      for (const c of list) {
        const i = parseInstance(c, config.containerPort);
        if (i && (service === undefined || i.service === service)) out.push(i);
      }
      return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.instance - b.instance);
    },
    async exists(id) {
      return !!(await inspectContainer(docker, id));
    },
    dial(i) {
      if (!i.hostPort) return undefined;
      return `${dialHost(i.hostIp || config.publishHost)}:${i.hostPort}`;
    },
    prepareImage: (image) => ensureImage({ docker, logger: o.logger, shutdown: o.shutdown }, image),
    removeLeftovers: (plan) => removeLeftovers(docker, plan),
    boot: (plan, k) => bootInstance({ docker, config, logger: o.logger }, plan, k),
    async waitReady(booted, w) {
      const r = await waitReady(docker, booted.id, { ...probeOptions(config.containerPort), deadline: w.deadline, signal: w.signal });
      if (!r.ready) return r;
      return { ready: true, dial: r.hostPort ? `${dialHost(config.publishHost)}:${r.hostPort}` : undefined };
    },
    async probeReady(i) {
      if (i.state !== "running") return false;
      const r = await probeInstance(docker, i.id, probeOptions(i.containerPort)).catch(() => undefined);
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
    logTail: (id) => lastLogLines(docker, id),
    machineId() {
      machineId ??= docker.json<{ ID: string }>("GET", "/info").then(
        (info) => info.ID ?? "",
        (err) => {
          machineId = undefined;
          throw err;
        },
      );
      return machineId;
    },
  };
}
