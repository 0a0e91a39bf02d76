/**
 * The dependency graph of a manifest: which resource waits for which. Pure data, so the
 * cycle check runs before anything else does (a cycle is reported with its chain).
 */
export interface Graph {
  /** Resource names in manifest order. */
  nodes: string[];
  /** name → the distinct resources it depends on (alias order). */
  dependencies: Map<string, string[]>;
  /** name → the resources that depend on it. */
  dependents: Map<string, string[]>;
}

export function buildGraph(resources: Record<string, { dependencies: Record<string, string> }>): Graph {
  const nodes = Object.keys(resources);
  const dependencies = new Map<string, string[]>();
  const dependents = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const name of nodes) {
    const deps = [...new Set(Object.values(resources[name].dependencies))];
    dependencies.set(name, deps);
    for (const d of deps) dependents.get(d)?.push(name);
  }
  return { nodes, dependencies, dependents };
}

/** The first cycle found, as a chain that ends where it starts (`[a, b, a]`), or undefined. */
export function findCycle(graph: Graph): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "visiting");
    stack.push(node);
    for (const dep of graph.dependencies.get(node) ?? []) {
      const s = state.get(dep);
      if (s === "visiting") return [...stack.slice(stack.indexOf(dep)), dep];
      if (s === undefined && graph.dependencies.has(dep)) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.nodes) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

/** Dependencies before dependents, ties in manifest order. Assumes no cycle. */
export function topologicalOrder(graph: Graph): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (node: string) => {
    if (seen.has(node)) return;
    seen.add(node);
    for (const dep of graph.dependencies.get(node) ?? []) visit(dep);
    order.push(node);
  };
  for (const node of graph.nodes) visit(node);
  return order;
}

/** Every resource that (transitively) depends on `name`. */
export function transitiveDependents(graph: Graph, name: string): Set<string> {
  const out = new Set<string>();
  const queue = [...(graph.dependents.get(name) ?? [])];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (out.has(n)) continue;
    out.add(n);
    queue.push(...(graph.dependents.get(n) ?? []));
  }
  return out;
}
