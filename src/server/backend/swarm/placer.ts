/**
 * Placing Swarm instances against the live cluster: reads nodes, services and the tasks
 * Swarm wants running, chooses (./place.ts) and hands the choice to the caller, which
 * creates or updates the service. Choices are made one at a time, each after the previous
 * one's service exists (so the next one sees it), and a port found taken on a node (by
 * something Swarm does not know) is not chosen there again for a while, unless nothing else
 * is free.
 */
import type { DockerClient } from "../../../docker/client";
import { LABEL_COMPONENT } from "../../../docker/labels";
import { listNodes } from "../../../docker/swarm";
import type { SwarmService, SwarmTask } from "../../../docker/types";
import { COMPONENT_INSTANCE, LABEL_SERVICE } from "../../labels";
import { choosePlacement, type Placement, type PortRange, type ServiceShape, viewCluster } from "./place";

/** How long a port found taken on a node is avoided there. */
const AVOID_MS = 60_000;

export interface PlaceOptions {
  /** Nodes not to use. */
  exclude?: Set<string>;
  /** A port found taken on a node. */
  taken?: { nodeId: string; port: number };
}

export interface Placer {
  /** Chooses where an instance of `service` goes and runs `use` with it, serialized with every other placement. */
  place<T>(service: string, o: PlaceOptions, use: (p: Placement) => Promise<T>): Promise<T>;
}

export function createPlacer(d: DockerClient, range: PortRange): Placer {
  let queue: Promise<unknown> = Promise.resolve();
  /** node → port found taken → until (ms). */
  const avoided = new Map<string, Map<number, number>>();

  function avoidedNow(): Map<string, Set<number>> {
    const now = Date.now();
    const out = new Map<string, Set<number>>();
    for (const [node, ports] of avoided) {
      for (const [port, until] of ports) if (until < now) ports.delete(port);
      out.set(node, new Set(ports.keys()));
    }
    return out;
  }

  async function choose(service: string, o: PlaceOptions): Promise<Placement> {
    const [nodes, services, tasks] = await Promise.all([
      listNodes(d),
      d.json<SwarmService[]>("GET", "/services"),
      d.json<SwarmTask[]>("GET", "/tasks", { query: { filters: { "desired-state": ["running", "ready"] } } }),
    ]);
    const isOwn = (s: ServiceShape) => s.Spec?.Labels?.[LABEL_COMPONENT] === COMPONENT_INSTANCE && s.Spec?.Labels?.[LABEL_SERVICE] === service;
    const view = viewCluster(nodes, services, tasks, isOwn);
    if (o.taken) avoided.set(o.taken.nodeId, (avoided.get(o.taken.nodeId) ?? new Map()).set(o.taken.port, Date.now() + AVOID_MS));
    // Ports found taken are avoided while there is another choice (they may be free again by now).
    const p =
      choosePlacement(view, { range, exclude: o.exclude, taken: avoidedNow(), random: Math.random }) ??
      choosePlacement(view, { range, exclude: o.exclude, taken: o.taken ? new Map([[o.taken.nodeId, new Set([o.taken.port])]]) : undefined, random: Math.random });
    if (!p) {
      const why = view.nodes.filter((n) => !o.exclude?.has(n.id)).length ? `no free port in ${range.lo}-${range.hi}` : "no node is ready and active";
      throw new Error(`the Swarm has no place for an instance: ${why}`);
    }
    return p;
  }

  return {
    place(service, o, use) {
      const run = queue.then(async () => use(await choose(service, o)));
      queue = run.catch(() => {});
      return run;
    },
  };
}
