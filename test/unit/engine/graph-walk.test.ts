import { describe, expect, test } from "bun:test";
import { buildGraph, findCycle, topologicalOrder, transitiveDependents } from "../../../src/manifest/graph";
import { createLimiter } from "../../../src/engine/limiter";
import { walkGraph } from "../../../src/engine/walk";

const g = (deps: Record<string, string[]>) =>
  buildGraph(Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, { dependencies: Object.fromEntries(v.map((d, i) => [`d${i}`, d])) }])));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("graph", () => {
  test("cycles come with their chain", () => {
    expect(findCycle(g({ a: ["b"], b: ["a"] }))).toEqual(["a", "b", "a"]);
    expect(findCycle(g({ a: ["a"] }))).toEqual(["a", "a"]);
    expect(findCycle(g({ x: [], a: ["x", "b"], b: ["c"], c: ["b"] }))).toEqual(["b", "c", "b"]);
    expect(findCycle(g({ a: ["b", "c"], b: ["c"], c: [] }))).toBeUndefined();
  });
  test("topological order and dependents", () => {
    const graph = g({ web: ["db", "net"], db: ["net"], net: [], other: [] });
    expect(topologicalOrder(graph)).toEqual(["net", "db", "web", "other"]);
    expect([...transitiveDependents(graph, "net")].sort()).toEqual(["db", "web"]);
  });
  test("two aliases of one target count once", () => {
    const graph = buildGraph({ a: { dependencies: { x: "b", y: "b" } }, b: { dependencies: {} } });
    expect(graph.dependencies.get("a")).toEqual(["b"]);
  });
});

describe("walk (decision 3)", () => {
  test("dependencies first; failures skip only dependents; independent branches continue", async () => {
    const graph = g({ base: [], mid: ["base"], top: ["mid"], bad: [], child: ["bad"], grandchild: ["child", "base"], lone: [] });
    const order: string[] = [];
    const skipped: Record<string, string> = {};
    const outcomes = await walkGraph({
      graph,
      visit: async (n) => {
        await sleep(n === "base" ? 20 : 1);
        order.push(n);
        return n === "bad" ? "failed" : "ok";
      },
      onSkip: (n, cause) => (skipped[n] = cause),
    });
    expect(order.indexOf("base")).toBeLessThan(order.indexOf("mid"));
    expect(order.indexOf("mid")).toBeLessThan(order.indexOf("top"));
    expect(order).toContain("lone");
    expect(order).not.toContain("child");
    expect(skipped).toEqual({ child: "bad", grandchild: "bad" });
    expect(outcomes.get("top")).toEqual({ kind: "ok" });
    expect(outcomes.get("bad")).toEqual({ kind: "failed" });
  });

  test("independent resources run side by side", async () => {
    let running = 0;
    let max = 0;
    await walkGraph({
      graph: g({ a: [], b: [], c: [] }),
      visit: async () => {
        max = Math.max(max, ++running);
        await sleep(20);
        running--;
        return "ok";
      },
    });
    expect(max).toBe(3);
  });

  test("an aborted walk skips what has not started", async () => {
    const ctl = new AbortController();
    const outcomes = await walkGraph({
      graph: g({ a: [], b: ["a"] }),
      signal: ctl.signal,
      visit: async () => {
        ctl.abort();
        return "ok";
      },
    });
    expect(outcomes.get("b")).toEqual({ kind: "skipped", cause: "aborted" });
  });

  test("never throws: a visitor that throws fails its resource, its dependents are skipped, the rest goes on", async () => {
    const skipped: Record<string, string> = {};
    const outcomes = await walkGraph({
      graph: g({ boom: [], sync: [], child: ["boom"], lone: [] }),
      visit: (n) => {
        if (n === "sync") throw new Error("thrown before any promise");
        if (n === "boom") return Promise.reject(new Error("a bug in the visitor"));
        return Promise.resolve("ok");
      },
      onSkip: (n, cause) => {
        skipped[n] = cause;
        throw new Error("onSkip throws too");
      },
    });
    expect(outcomes.get("boom")).toEqual({ kind: "failed" });
    expect(outcomes.get("sync")).toEqual({ kind: "failed" });
    expect(outcomes.get("child")).toEqual({ kind: "skipped", cause: "boom" });
    expect(outcomes.get("lone")).toEqual({ kind: "ok" });
    expect(skipped).toEqual({ child: "boom" });
  });
});

describe("limiter", () => {
  test("caps concurrency, first come first served", async () => {
    const limit = createLimiter(2);
    let running = 0;
    let max = 0;
    const started: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        limit.run(async () => {
          started.push(i);
          max = Math.max(max, ++running);
          await sleep(10);
          running--;
        }),
      ),
    );
    expect(max).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });
  test("a throwing task releases its slot", async () => {
    const limit = createLimiter(1);
    await expect(limit.run(async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(await limit.run(async () => 1)).toBe(1);
  });
});
