/**
 * The readiness gate on Swarm. A task reaches `running` only once its image's HEALTHCHECK
 * (if any) reports healthy, so Swarm's own state covers the HEALTHCHECK; then serve's host
 * connects to `<node address>:<published port>` (that traffic is forwarded by the node's
 * DNAT straight to the container, so a refused connection means the app does not listen)
 * and, with --health-path, GETs it (2xx/3xx = ready).
 */
import type { DockerClient } from "../../../docker/client";
import { inspectService, listNodes, listTasks } from "../../../docker/swarm";
import type { SwarmTask } from "../../../docker/types";
import { tcpConnect } from "../../readiness";
import { isPortConflict } from "./place";
import { currentTask, publishedPort } from "./spec";

export type SwarmProbe =
  | { kind: "ready"; dial: string; nodeId: string }
  | { kind: "waiting"; why: string }
  | { kind: "failed"; why: string };

export interface SwarmProbeOptions {
  containerPort: number;
  healthPath?: string;
  /** A failed task ends the wait (a new instance); otherwise Swarm's restart is awaited (failover). */
  failOnTaskFailure: boolean;
}

/** Node ID → address, cached for a few seconds (nodes change rarely; a miss refreshes). */
export function createNodeAddresses(d: DockerClient, ttlMs = 5000): (nodeId: string) => Promise<string | undefined> {
  let cache: { at: number; map: Map<string, string> } | undefined;
  const load = async () => {
    const nodes = await listNodes(d);
    cache = { at: Date.now(), map: new Map(nodes.map((n) => [String(n.ID), String(n.Status?.Addr ?? "")])) };
    return cache.map;
  };
  return async (nodeId) => {
    let map = cache && Date.now() - cache.at < ttlMs ? cache.map : await load();
    if (!map.get(nodeId)) map = await load();
    return map.get(nodeId) || undefined;
  };
}

function describeFailure(t: SwarmTask): string {
  const code = t?.Status?.ContainerStatus?.ExitCode;
  const err = t?.Status?.Err;
  return `its task ${t?.Status?.State}${code !== undefined && code !== 0 ? ` (exit code ${code})` : ""}${err ? `: ${err}` : ""}`;
}

export async function probeSwarmInstance(
  d: DockerClient,
  serviceId: string,
  nodeAddress: (nodeId: string) => Promise<string | undefined>,
  o: SwarmProbeOptions,
): Promise<SwarmProbe> {
  if (!(await inspectService(d, serviceId))) return { kind: "failed", why: "the service is gone" };
  const tasks = await listTasks(d, [serviceId]);
  if (!tasks) return { kind: "failed", why: "the service is gone" };
  if (o.failOnTaskFailure) {
    // A port found taken is not the app's failure: the instance is re-placed (./replace.ts).
    const failed = tasks.find((t) => (t.Status?.State === "failed" || t.Status?.State === "rejected") && !isPortConflict(t));
    if (failed) return { kind: "failed", why: describeFailure(failed) };
  }
  const task = currentTask(tasks);
  if (!task) return { kind: "waiting", why: "Swarm has not scheduled a task yet" };
  if (task.Status?.State !== "running") return { kind: "waiting", why: `its task is ${task.Status?.State}${task.Status?.Err ? ` (${task.Status.Err})` : ""}` };
  const port = publishedPort(task, o.containerPort);
  if (!port) return { kind: "waiting", why: `port ${o.containerPort} is not published yet` };
  const addr = task.NodeID ? await nodeAddress(task.NodeID) : undefined;
  if (!addr) return { kind: "waiting", why: `node ${task.NodeID} has no address` };
  const dial = `${addr}:${port}`;
  if (!(await tcpConnect(addr, port))) return { kind: "waiting", why: `nothing accepts connections on ${dial}` };
  if (o.healthPath) {
    try {
      const res = await fetch(`http://${dial}${o.healthPath}`, { redirect: "manual", signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer().catch(() => {});
      if (res.status < 200 || res.status >= 400) return { kind: "waiting", why: `GET ${o.healthPath} answered ${res.status}` };
    } catch (err) {
      return { kind: "waiting", why: `GET ${o.healthPath} failed: ${(err as Error).message}` };
    }
  }
  return { kind: "ready", dial, nodeId: String(task.NodeID) };
}
