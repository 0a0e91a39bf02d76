/** What a service exposes to dependents (`{{ web.state.endpoints }}`...). Pure. */
import type { NodeInfo } from "./tasks";
import type { ServiceObject, TaskObject } from "../../docker-objects";

/** One of a task's published ports (Status.PortStatus.Ports). */
interface PortStatusEntry {
  PublishMode?: string;
  TargetPort?: number;
  PublishedPort?: number;
  Protocol?: string;
}

export interface ServiceTaskState {
  id: string;
  slot: number | null;
  node: string;
  /** The node's address: where its host-mode ports are reached. */
  address: string;
  ports: { target: number; published: number; protocol: string }[];
}

export interface ServiceState extends Record<string, unknown> {
  id: string;
  name: string;
  mode: "replicated" | "global";
  image: string;
  replicas: number | null;
  running: number;
  /** Running tasks, by slot (replicated) or node (global). */
  tasks: ServiceTaskState[];
  /** Hostnames of the nodes running its tasks (sorted, unique). */
  nodes: string[];
  /** `address:port` of every running task's first published port (what a router targets). */
  endpoints: string[];
  /** Virtual IP per network name (vip endpoint mode); the first one, or null. */
  virtual_ips: Record<string, string>;
  virtual_ip: string | null;
}

export function extractServiceState(service: ServiceObject, tasks: TaskObject[], nodes: Map<string, NodeInfo>): ServiceState {
  const running = tasks
    .filter((t) => t.ServiceID === service.ID && t.DesiredState === "running" && t.Status?.State === "running")
    .sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || String(a.NodeID).localeCompare(String(b.NodeID)));
  const netNames = new Map<string, string>();
  for (const t of running) for (const a of t.NetworksAttachments ?? []) netNames.set(a.Network?.ID ?? "", a.Network?.Spec?.Name ?? "");
  const taskStates: ServiceTaskState[] = running.map((t) => {
    const seen = new Set<string>();
    const ports = (t.Status?.PortStatus?.Ports ?? [])
      .filter((p: PortStatusEntry) => p.PublishMode === "host" || p.PublishMode === undefined)
      // The engine always sends both numbers for a published port.
      .map((p: PortStatusEntry) => ({ target: p.TargetPort ?? 0, published: p.PublishedPort ?? 0, protocol: p.Protocol ?? "tcp" }))
      // The engine lists a port once per address family: keep each once.
      .filter((p: { target?: number; published?: number; protocol: string }) => !seen.has(`${p.target}/${p.protocol}:${p.published}`) && seen.add(`${p.target}/${p.protocol}:${p.published}`));
    const node = nodes.get(t.NodeID ?? "");
    return { id: t.ID, slot: t.Slot ?? null, node: node?.hostname ?? t.NodeID ?? "", address: node?.addr ?? "", ports };
  });
  const vips: Record<string, string> = {};
  for (const v of service.Endpoint?.VirtualIPs ?? []) {
    const ip = String(v.Addr ?? "").replace(/\/\d+$/, "");
    const name = netNames.get(v.NetworkID ?? "") ?? v.NetworkID ?? "";
    if (ip && name !== "ingress") vips[name] = ip;
  }
  const mode = service.Spec?.Mode?.Global ? "global" : "replicated";
  return {
    id: service.ID,
    name: service.Spec?.Name ?? "",
    mode,
    image: service.Spec?.TaskTemplate?.ContainerSpec?.Image ?? "",
    replicas: mode === "global" ? null : (service.Spec?.Mode?.Replicated?.Replicas ?? null),
    running: running.length,
    tasks: taskStates,
    nodes: [...new Set(taskStates.map((t) => t.node))].sort(),
    endpoints: taskStates.filter((t) => t.ports[0] && t.address).map((t) => `${t.address}:${t.ports[0]!.published}`),
    virtual_ips: vips,
    virtual_ip: Object.values(vips)[0] ?? null,
  };
}
