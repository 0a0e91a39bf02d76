/**
 * Where a Swarm instance runs, chosen by serve (pure): a node and a host-mode published
 * port, both fixed in the instance's service spec (a `node.id==` constraint, a
 * PublishedPort), so the instance's environment can say its node's address and its port
 * before it starts and stay true for the task that runs. Swarm would pick both only after
 * the spec (and its environment) is fixed, and its env templates name no node address.
 * The price: Swarm cannot move a pinned task by itself; serve re-places it (./replace.ts).
 */
import type { SwarmNode, SwarmService, SwarmTask } from "../../../docker/types";
import { UserError } from "../../../errors";

/** The parts of the Engine API's objects placement reads (everything else is ignored). */
export type NodeShape = Partial<Pick<SwarmNode, "ID" | "Status" | "Spec" | "ManagerStatus">>;
export type ServiceShape = Partial<Pick<SwarmService, "ID" | "Spec">>;
export type TaskShape = Partial<Pick<SwarmTask, "ServiceID" | "NodeID" | "DesiredState" | "Status">>;

export interface PortRange {
  lo: number;
  hi: number;
}
export interface Placement {
  nodeId: string;
  /** The node's address: where the instance's port is reached and what DEPLOYSTER_HOST_IP says. */
  addr: string;
  port: number;
}

/** Host-mode ports serve hands out (below the kernel's ephemeral range, where engines pick theirs). */
export const DEFAULT_PORT_RANGE: PortRange = { lo: 30000, hi: 32767 };

/** DEPLOYSTER_SWARM_PORTS `LO-HI`; the default when unset. */
export function parsePortRange(text: string | undefined): PortRange {
  if (text === undefined || text === "") return DEFAULT_PORT_RANGE;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new UserError(`DEPLOYSTER_SWARM_PORTS must be LO-HI within 1-65535, got '${text}'`);
  return { lo, hi };
}

/** A node's address: Status.Addr, or the manager's advertised address when that says 0.0.0.0. */
export function nodeAddress(n: NodeShape): string | undefined {
  const addr = n.Status?.Addr;
  if (addr && addr !== "0.0.0.0") return addr;
  const m = /^(.+):\d+$/.exec(n.ManagerStatus?.Addr ?? "");
  return m ? m[1]!.replace(/^\[|\]$/g, "") : undefined;
}

/** Ready and active (not paused or drained): may take an instance now. */
export function isUsableNode(n: NodeShape): boolean {
  return n.Status?.State === "ready" && (n.Spec?.Availability ?? "active") === "active" && !!nodeAddress(n);
}

/** Ready and not drained: its tasks keep running there (a paused node takes no new ones but keeps its own). */
export function keepsTasks(n: NodeShape): boolean {
  return n.Status?.State === "ready" && n.Spec?.Availability !== "drain" && !!nodeAddress(n);
}

const PIN = /^node\.id\s*==\s*(\S+)$/;

/** The node a service is pinned to by a `node.id==X` constraint. */
export function pinnedNode(s: ServiceShape): string | undefined {
  for (const c of s.Spec?.TaskTemplate?.Placement?.Constraints ?? []) {
    const m = PIN.exec(c.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** The fixed host-mode ports of a service's spec. */
export function specPorts(s: ServiceShape): number[] {
  return (s.Spec?.EndpointSpec?.Ports ?? []).filter((p) => p.PublishMode === "host" && p.PublishedPort).map((p) => Number(p.PublishedPort));
}

/** A task that cannot start because its host port is taken on its node (by anything). */
export function isPortConflict(t: TaskShape | undefined): boolean {
  return /port is already allocated|address already in use|host-mode port already in use/.test(t?.Status?.Err ?? "");
}

export interface ClusterView {
  /** Usable nodes with their addresses. */
  nodes: { id: string; addr: string }[];
  /** Per node: instances of the service being placed, and services of any kind. */
  own: Map<string, number>;
  all: Map<string, number>;
  /** Per node: host ports taken (pinned specs, running tasks); "*" for ports any node may get. */
  used: Map<string, Set<number>>;
}

/** What placement needs from the cluster: nodes, every service and the tasks Swarm wants running. */
export function viewCluster(nodes: NodeShape[], services: ServiceShape[], tasks: TaskShape[], isOwn: (s: ServiceShape) => boolean): ClusterView {
  const add = (m: Map<string, Set<string>>, node: string, id: string) => m.set(node, (m.get(node) ?? new Set()).add(id));
  const ownBy = new Map<string, Set<string>>();
  const allBy = new Map<string, Set<string>>();
  const used = new Map<string, Set<number>>();
  const use = (node: string, ports: number[]) => {
    const set = used.get(node) ?? new Set<number>();
    for (const p of ports) set.add(p);
    used.set(node, set);
  };
  const byId = new Map(services.map((s) => [s.ID ?? "", s]));
  for (const s of services) {
    const node = pinnedNode(s) ?? "*";
    use(node, specPorts(s));
    if (node === "*") continue;
    add(allBy, node, s.ID ?? "");
    if (isOwn(s)) add(ownBy, node, s.ID ?? "");
  }
  for (const t of tasks) {
    if (!t.NodeID || (t.DesiredState !== "running" && t.DesiredState !== "ready")) continue;
    use(t.NodeID, (t.Status?.PortStatus?.Ports ?? []).map((p) => Number(p.PublishedPort)).filter(Boolean));
    const s = byId.get(t.ServiceID ?? "");
    if (s && pinnedNode(s)) continue;
    add(allBy, t.NodeID, t.ServiceID ?? "");
    if (s && isOwn(s)) add(ownBy, t.NodeID, t.ServiceID ?? "");
  }
  const count = (m: Map<string, Set<string>>) => new Map([...m].map(([k, v]) => [k, v.size]));
  return {
    nodes: nodes.filter(isUsableNode).map((n) => ({ id: String(n.ID), addr: nodeAddress(n)! })),
    own: count(ownBy),
    all: count(allBy),
    used,
  };
}

export interface ChooseOptions {
  range: PortRange;
  /** Nodes not to use (the one being left). */
  exclude?: Set<string>;
  /** More taken ports per node (recently chosen ones, one that conflicted). */
  taken?: Map<string, Set<number>>;
  /** [0, 1): which free port to start from. */
  random: () => number;
}

/**
 * The node with the fewest instances of the service, then the fewest services, then by ID
 * (spreading as Swarm's own scheduler does), and a free port on it: from a random start in
 * the range, upward, wrapping. Undefined when no node is usable or no port is free.
 */
export function choosePlacement(v: ClusterView, o: ChooseOptions): Placement | undefined {
  const candidates = v.nodes
    .filter((n) => !o.exclude?.has(n.id))
    .sort((a, b) => (v.own.get(a.id) ?? 0) - (v.own.get(b.id) ?? 0) || (v.all.get(a.id) ?? 0) - (v.all.get(b.id) ?? 0) || a.id.localeCompare(b.id));
  const size = o.range.hi - o.range.lo + 1;
  for (const n of candidates) {
    const taken = [v.used.get(n.id), v.used.get("*"), o.taken?.get(n.id)];
    const start = Math.floor(o.random() * size);
    for (let i = 0; i < size; i++) {
      const port = o.range.lo + ((start + i) % size);
      if (!taken.some((s) => s?.has(port))) return { nodeId: n.id, addr: n.addr, port };
    }
  }
  return undefined;
}
