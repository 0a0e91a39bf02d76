import type { Graph } from "../manifest/graph";

export type WalkOutcome = { kind: "ok" } | { kind: "failed" } | { kind: "skipped"; cause: string };

export interface WalkOptions {
  graph: Graph;
  /** Runs once every dependency of `name` came out ok; resolves ok or failed (one that throws counts as failed). */
  visit(name: string): Promise<"ok" | "failed">;
  /** Called for a resource that will not run, with the failed resource at the root of it. */
  onSkip?(name: string, cause: string): void;
  /** Once aborted, resources not started yet are skipped with cause "aborted". */
  signal?: AbortSignal;
}

/**
 * Dependencies-first walk. Each resource starts as soon as all its dependencies are ok, so
 * independent branches run side by side and keep going after a failure elsewhere; the
 * dependents of a failure are skipped. Concurrency is capped by the caller's limiter around
 * the actual invocations, not here (a waiting resource holds nothing). Never throws: a visitor
 * that throws fails its resource (its dependents are skipped) and the walk goes on.
 */
export async function walkGraph(options: WalkOptions): Promise<Map<string, WalkOutcome>> {
  const { graph } = options;
  const outcomes = new Map<string, WalkOutcome>();
  const tasks = new Map<string, Promise<WalkOutcome>>();

  const start = (name: string): Promise<WalkOutcome> => {
    const existing = tasks.get(name);
    if (existing) return existing;
    const task = (async (): Promise<WalkOutcome> => {
      const deps = graph.dependencies.get(name) ?? [];
      const depOutcomes = await Promise.all(deps.map((d) => start(d).then((o) => [d, o] as const)));
      const bad = depOutcomes.find(([, o]) => o.kind !== "ok");
      let outcome: WalkOutcome;
      if (bad) {
        const [dep, o] = bad;
        outcome = { kind: "skipped", cause: o.kind === "skipped" ? o.cause : dep };
      } else if (options.signal?.aborted) {
        outcome = { kind: "skipped", cause: "aborted" };
      } else {
        outcome = { kind: await visitSafely(options, name) };
      }
      if (outcome.kind === "skipped") notifySkip(options, name, outcome.cause);
      outcomes.set(name, outcome);
      return outcome;
    })();
    tasks.set(name, task);
    return task;
  };

  for (const name of graph.nodes) start(name);
  await Promise.all(graph.nodes.map((n) => tasks.get(n)));
  return outcomes;
}

/** The visitor's answer; one that throws (sync or async) is a failure. */
async function visitSafely(options: WalkOptions, name: string): Promise<"ok" | "failed"> {
  try {
    return await options.visit(name);
  } catch {
    return "failed";
  }
}

/** onSkip is a notification: one that throws does not stop the walk. */
function notifySkip(options: WalkOptions, name: string, cause: string): void {
  try {
    options.onSkip?.(name, cause);
  } catch {
    // the resource is skipped either way
  }
}
