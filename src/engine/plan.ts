import type { Context } from "../context/index";
import type { Manifest } from "../manifest/index";
import { viewPlannedResource, toPlanDocument } from "./document";
import { buildGraph } from "./graph";
import { initializeResource, renderConfig, type DependencyView } from "./prepare";
import { withActionDefaults } from "./protocol";
import { DEFAULT_PARALLELISM, Session, type EngineOptions } from "./session";
import type { Plan, PlannedResource } from "./types";
import { walkGraph } from "./walk";

/**
 * Discovers the current state of every resource without changing anything:
 * init every resource, then walk dependencies first, rendering each config and querying
 * its state. A resource whose config needs the state of a dependency that is STALE (or
 * itself pending) is PENDING on it. The result is a value; applyPlan consumes it.
 */
export async function createPlan(manifest: Manifest, context: Context, options: EngineOptions, command: "plan" | "apply" = "plan"): Promise<Plan> {
  const session = new Session(context, options);
  const specs = Object.values(manifest.resources);
  session.checkTypes(specs);
  await session.checkEngine(specs);
  const graph = buildGraph(manifest.resources);
  const planned = new Map<string, PlannedResource>();
  session.emit({ event: "run-start", command, runId: session.runId, resources: specs.length, parallelism: options.parallelism ?? DEFAULT_PARALLELISM });

  // Init is independent of dependencies: start every type's init now (once per type).
  for (const spec of specs) session.init(spec);

  const finish = (r: PlannedResource): "ok" | "failed" => {
    planned.set(r.spec.name, r);
    session.emit({ event: "planned", resource: viewPlannedResource(r) });
    return r.status === "FAILED" ? "failed" : "ok";
  };

  const visit = async (name: string): Promise<"ok" | "failed"> => {
    const spec = manifest.resources[name];
    const initialized = await initializeResource(session, manifest, spec);
    if (!initialized.ok) return finish({ spec, status: "FAILED", error: initialized.error });
    const { init, mounts } = initialized;

    const deps: Record<string, DependencyView> = {};
    for (const [alias, target] of Object.entries(spec.dependencies)) {
      const d = planned.get(target)!;
      deps[alias] = d.status === "VALID" ? { known: true, name: target, type: d.spec.type, state: d.state ?? {} } : { known: false, name: target, type: d.spec.type };
    }
    const rendered = renderConfig(session, spec, init, deps);
    if (!rendered.ok) {
      if (rendered.pending) return finish({ spec, status: "PENDING", pendingOn: [rendered.pendingOn], init, mounts });
      return finish({ spec, status: "FAILED", error: rendered.error, init, mounts });
    }
    const config = rendered.config;

    try {
      const result = await session.state(spec, config, init, mounts);
      if (result.status === "VALID") return finish({ spec, status: "VALID", state: result.state, init, mounts, config });
      const actions = result.actions.map((a) => withActionDefaults(a, spec.type));
      const staleState = result.staleState ?? {};
      if (spec.readonly) {
        const message = `readonly resource '${name}' is STALE (would run: ${actions.map((a) => a.name).join(", ")}); deployster will not change it`;
        return finish({ spec, status: "FAILED", readonlyStale: true, error: { phase: "state", message }, staleState, actions, init, mounts, config });
      }
      return finish({ spec, status: "STALE", staleState, actions, init, mounts, config });
    } catch (err) {
      return finish({ spec, status: "FAILED", error: { phase: "state", message: (err as Error).message }, init, mounts, config });
    }
  };

  await walkGraph({
    graph,
    visit,
    signal: session.signal,
    onSkip: (name, cause) => finish({ spec: manifest.resources[name], status: "SKIPPED", skippedBecause: cause }),
  });

  const plan: Plan = {
    runId: session.runId,
    createdAt: new Date().toISOString(),
    manifest,
    context,
    graph,
    resources: graph.nodes.map((n) => planned.get(n)!),
    session,
  };
  session.emit({ event: "plan", plan: toPlanDocument(plan) });
  return plan;
}
