/**
 * The resource graph as text (pure): Graphviz DOT and Mermaid flowcharts. An edge goes from
 * a resource to what it depends on (as `terraform graph` draws it), labelled with the alias
 * when the alias is not the target's own name. Given planned statuses, each node is coloured
 * by its status and the status is part of its label (colour is not the only signal).
 */
import type { Graph } from "../manifest/graph";
import type { PlannedStatus } from "../engine/types";

export type GraphFormat = "dot" | "mermaid";

export interface GraphNode {
  name: string;
  type: string;
  readonly: boolean;
  /** alias → target. */
  dependencies: Record<string, string>;
}

export interface RenderGraphOptions {
  /** Planned status per resource name (`--plan`). */
  statuses?: Map<string, PlannedStatus>;
}

/** Fill and outline per status: green valid, amber stale, blue pending, red failed, grey skipped. */
export const STATUS_COLOURS: Record<PlannedStatus, { fill: string; stroke: string }> = {
  VALID: { fill: "#d7f0e2", stroke: "#1e7d4f" },
  STALE: { fill: "#fff1c2", stroke: "#a06a00" },
  PENDING: { fill: "#dbe7ff", stroke: "#2457c5" },
  FAILED: { fill: "#fbd5d1", stroke: "#b42318" },
  SKIPPED: { fill: "#e9ebef", stroke: "#667085" },
};

function edgesOf(graph: Graph, nodes: Map<string, GraphNode>): { from: string; to: string; alias?: string }[] {
  const out: { from: string; to: string; alias?: string }[] = [];
  for (const name of graph.nodes) {
    const deps = nodes.get(name)?.dependencies ?? {};
    for (const to of graph.dependencies.get(name) ?? []) {
      const aliases = Object.keys(deps).filter((a) => deps[a] === to && a !== to);
      out.push({ from: name, to, alias: aliases.length ? aliases.join(", ") : undefined });
    }
  }
  return out;
}

const dotString = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

export function renderDot(graph: Graph, nodeList: GraphNode[], o: RenderGraphOptions = {}): string {
  const nodes = new Map(nodeList.map((n) => [n.name, n]));
  const lines = [
    "digraph deployster {",
    '  rankdir = "RL";',
    '  node [shape = "box", style = "rounded,filled", fillcolor = "#ffffff", fontname = "Helvetica"];',
    '  edge [fontname = "Helvetica", fontsize = 10];',
  ];
  for (const name of graph.nodes) {
    const n = nodes.get(name);
    const status = o.statuses?.get(name);
    const label = [name, n ? `${n.type}${n.readonly ? " (readonly)" : ""}` : "", status ?? ""].filter(Boolean).join("\n");
    const attrs = [`label = ${dotString(label)}`];
    if (status) attrs.push(`fillcolor = ${dotString(STATUS_COLOURS[status].fill)}`, `color = ${dotString(STATUS_COLOURS[status].stroke)}`);
    lines.push(`  ${dotString(name)} [${attrs.join(", ")}];`);
  }
  for (const e of edgesOf(graph, nodes)) {
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${e.alias ? ` [label = ${dotString(e.alias)}]` : ""};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Mermaid labels: quotes and angle brackets as entities, lines joined with <br/>. */
const mermaidText = (s: string) => s.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;").replace(/\|/g, "#124;");

export function renderMermaid(graph: Graph, nodeList: GraphNode[], o: RenderGraphOptions = {}): string {
  const nodes = new Map(nodeList.map((n) => [n.name, n]));
  // Resource names may hold characters Mermaid ids cannot: ids are positional.
  const ids = new Map(graph.nodes.map((name, i) => [name, `r${i}`]));
  const lines = ["flowchart RL"];
  for (const name of graph.nodes) {
    const n = nodes.get(name);
    const status = o.statuses?.get(name);
    const label = [name, n ? `${n.type}${n.readonly ? " (readonly)" : ""}` : "", status ?? ""].filter(Boolean).map(mermaidText).join("<br/>");
    lines.push(`  ${ids.get(name)}["${label}"]`);
  }
  for (const e of edgesOf(graph, nodes)) {
    lines.push(`  ${ids.get(e.from)} -->${e.alias ? `|${mermaidText(e.alias)}|` : ""} ${ids.get(e.to)}`);
  }
  if (o.statuses) {
    const used = [...new Set(graph.nodes.map((n) => o.statuses!.get(n)).filter(Boolean) as PlannedStatus[])];
    for (const s of (Object.keys(STATUS_COLOURS) as PlannedStatus[]).filter((s) => used.includes(s))) {
      lines.push(`  classDef ${s} fill:${STATUS_COLOURS[s].fill},stroke:${STATUS_COLOURS[s].stroke}`);
      const members = graph.nodes.filter((n) => o.statuses!.get(n) === s).map((n) => ids.get(n));
      lines.push(`  class ${members.join(",")} ${s}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
