/** The graph renderers (pure): edges toward dependencies, alias labels, escaping, colours. */
import { describe, expect, test } from "bun:test";
import { buildGraph } from "../../../src/manifest/graph";
import { type GraphNode, renderDot, renderMermaid } from "../../../src/ui/graph";

const nodes: GraphNode[] = [
  { name: "db", type: 'reg:5000/t"q\\x', readonly: true, dependencies: {} },
  { name: "web", type: "deployster/docker-container", readonly: false, dependencies: { database: "db", db2: "db" } },
];
const graph = buildGraph(Object.fromEntries(nodes.map((n) => [n.name, n])));

describe("graph renderers", () => {
  test("DOT: one edge per dependency, aliases as its label, strings escaped", () => {
    const dot = renderDot(graph, nodes);
    expect(dot).toContain('"db" [label = "db\\nreg:5000/t\\"q\\\\x (readonly)"];');
    expect(dot).toContain('"web" -> "db" [label = "database, db2"];');
    expect(dot.match(/->/g)?.length).toBe(1);
  });

  test("Mermaid: positional ids, entities for quotes, status classes only for statuses present", () => {
    const m = renderMermaid(graph, nodes, { statuses: new Map([["db", "VALID"], ["web", "PENDING"]]) });
    expect(m).toContain('r0["db<br/>reg:5000/t#quot;q\\x (readonly)<br/>VALID"]');
    expect(m).toContain("r1 -->|database, db2| r0");
    expect(m).toContain("class r1 PENDING");
    expect(m).not.toContain("STALE");
  });
});
