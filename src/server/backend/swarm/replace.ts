/**
 * Re-placing pinned Swarm instances. An instance service is pinned to one node and one
 * host port (./place.ts), so Swarm cannot move it by itself: when its node goes down or is
 * drained, or its port turns out taken there (the task fails to bind, or Swarm
 * keeps it pending), serve chooses a new node and port and updates the service's spec
 * (constraint, port, and the DEPLOYSTER_HOST_IP / DEPLOYSTER_PUBLISHED_PORT it tells the
 * app); Swarm then replaces the task. Instances created without a pin are left to Swarm.
 */
import type { DockerClient } from "../../../docker/client";
import { inspectService, listNodes, listServices, listTasks, updateService } from "../../../docker/swarm";
import type { SwarmService } from "../../../docker/types";
import type { ServerContext } from "../../context";
import { instanceFilters, LABEL_INSTANCE, LABEL_SERVICE } from "../../labels";
import { isPortConflict, keepsTasks, type NodeShape, type Placement, pinnedNode, type ServiceShape, specPorts, type TaskShape } from "./place";
import type { Placer } from "./placer";

interface SpecShape {
  Labels?: Record<string, string>;
  TaskTemplate?: { ContainerSpec?: { Env?: string[] }; Placement?: { Constraints?: string[] } };
  EndpointSpec?: { Ports?: { PublishedPort?: number; PublishMode?: string }[] };
}

/** `spec` moved to `p` (pure): the pin, every host-mode port and the two facts replaced; everything else kept. */
export function movedSpec<T extends SpecShape>(spec: T, p: Placement): T {
  const tt = spec.TaskTemplate ?? {};
  const facts = { DEPLOYSTER_HOST_IP: p.addr, DEPLOYSTER_PUBLISHED_PORT: String(p.port) };
  const env = (tt.ContainerSpec?.Env ?? []).filter((line) => !Object.keys(facts).some((k) => line.startsWith(`${k}=`)));
  const constraints = (tt.Placement?.Constraints ?? []).filter((c) => !/^node\.id\s*==/.test(c.trim()));
  return {
    ...spec,
    TaskTemplate: {
      ...tt,
      ContainerSpec: { ...tt.ContainerSpec, Env: [...env, ...Object.entries(facts).map(([k, v]) => `${k}=${v}`)] },
      Placement: { ...tt.Placement, Constraints: [...constraints, `node.id==${p.nodeId}`] },
    },
    EndpointSpec: {
      ...spec.EndpointSpec,
      Ports: (spec.EndpointSpec?.Ports ?? []).map((x) => (x.PublishMode === "host" ? { ...x, PublishedPort: p.port } : x)),
    },
  };
}

type InstanceService = ServiceShape & Partial<Pick<SwarmService, "UpdatedAt" | "Version">>;

/** Why an instance must move, or undefined: its node is down or drained (`alive`: the others), or its port is taken there. */
export function strandedWhy(s: InstanceService, tasks: (TaskShape & { CreatedAt?: string })[], alive: Set<string>): { why: string; portTaken?: boolean } | undefined {
  const node = pinnedNode(s);
  if (!node) return undefined;
  if (!alive.has(node)) return { why: `node ${node} is down or drained` };
  // Only tasks of the current spec: earlier failures were from an earlier placement.
  const since = Date.parse(s.UpdatedAt ?? "") || 0;
  if (tasks.some((t) => (Date.parse(t.CreatedAt ?? "") || 0) >= since && isPortConflict(t))) return { why: `port ${specPorts(s)[0]} is taken on node ${node}`, portTaken: true };
  return undefined;
}

/**
 * One pass: every stranded instance of serve's scope gets a new placement. `warned` holds
 * the instances already warned about as unmovable (one warning each, not one a pass).
 */
export async function replaceStranded(ctx: ServerContext, d: DockerClient, placer: Placer, warned: Set<string>): Promise<void> {
  const nodes: NodeShape[] = await listNodes(d);
  const alive = new Set(nodes.filter(keepsTasks).map((n) => String(n.ID)));
  const services: InstanceService[] = await listServices(d, instanceFilters(ctx.config.scopeLabels));
  const tasks: (TaskShape & { CreatedAt?: string })[] = (await listTasks(d, services.map((s) => s.ID ?? ""))) ?? [];
  for (const s of services) {
    if (ctx.shutdown.aborted) return;
    const id = s.ID ?? "";
    if (ctx.retiring.has(id)) continue;
    const stranded = strandedWhy(s, tasks.filter((t) => t.ServiceID === id), alive);
    if (!stranded) continue;
    const node = pinnedNode(s)!;
    const service = s.Spec?.Labels?.[LABEL_SERVICE] ?? "";
    const where = stranded.portTaken ? { taken: { nodeId: node, port: specPorts(s)[0] ?? 0 } } : { exclude: new Set([node]) };
    // One instance that cannot move now (no node left, a concurrent change) does not hold up the others: the next pass tries again.
    await placer
      .place(service, where, async (p) => {
        // Looked at again inside the placement's turn: a rollout may have retired it meanwhile.
        const now = (await inspectService(d, id)) as (InstanceService & { Spec: SpecShape }) | null;
        if (!now || ctx.retiring.has(id) || pinnedNode(now) !== node) return;
        await updateService(d, id, now.Version?.Index ?? 0, movedSpec(now.Spec, p));
        warned.delete(id);
        ctx.logger.info(`${service} instance ${now.Spec.Labels?.[LABEL_INSTANCE] ?? "?"}: ${stranded.why}; moved to node ${p.nodeId} (${p.addr}:${p.port})`);
      })
      .catch((err) => {
        const line = `${service} instance ${s.Spec?.Labels?.[LABEL_INSTANCE] ?? "?"}: ${stranded.why}; not moved yet: ${(err as Error).message}`;
        if (warned.has(id)) return ctx.logger.debug(line);
        warned.add(id);
        ctx.logger.warn(line);
      });
  }
}
