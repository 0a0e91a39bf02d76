import type { Manifest, ResourceSpec } from "../manifest/index";
import { buildGraph } from "../manifest/graph";
import { toPlanDocument, viewPlannedResource } from "./document";
import { initializeResource, renderConfig } from "./prepare";
import type { Session } from "./session";
import { judgeState, viewDependencies } from "./state-rules";
import type { Plan, PlannedResource } from "./types";
import { walkGraph } from "./walk";

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Discovers the current state of every resource without changing anything:
 * init every resource, then walk dependencies first, rendering each config and querying
 * its state. A resource whose config needs the state of a dependency that is STALE (or
 * itself pending) is PENDING on it. The result is a value; applyPlan consumes it. The session
 * is the caller's: it stays open (runners stay up for apply) until the caller closes it.
 */
export async function createPlan(session: Session, manifest: Manifest, command: "plan" | "apply" = "plan"): Promise<Plan> {
  const specs = Object.values(manifest.resources);
  await session.checkTypes(specs);
  const graph = buildGraph(manifest.resources);
  const planned = new Map<string, PlannedResource>();
  session.emit({ event: "run-start", command, runId: session.runId, resources: specs.length, parallelism: session.parallelism });

  // Init is independent of dependencies: start every type's init now (once per type).
  for (const spec of specs) session.init(spec).catch(() => {});

  const record = (resource: PlannedResource): "ok" | "failed" => {
    planned.set(resource.spec.name, resource);
    session.emit({ event: "planned", resource: viewPlannedResource(resource) });
    return resource.status === "FAILED" ? "failed" : "ok";
  };
  await walkGraph({
    graph,
    signal: session.signal,
    visit: async (name) => record(await planResource(session, manifest, manifest.resources[name], planned)),
    onSkip: (name, cause) => record({ spec: manifest.resources[name], status: "SKIPPED", skippedBecause: cause }),
  });

  const plan: Plan = {
    runId: session.runId,
    createdAt: new Date().toISOString(),
    manifest,
    workspace: session.context.workspace,
    graph,
    resources: graph.nodes.map((n) => planned.get(n)!),
  };
  session.emit({ event: "plan", plan: toPlanDocument(plan) });
  return plan;
}

/** One resource, its dependencies planned: init and plugs, its config, then its state. Never throws. */
async function planResource(session: Session, manifest: Manifest, spec: ResourceSpec, planned: Map<string, PlannedResource>): Promise<PlannedResource> {
  const initialized = await initializeResource(session, manifest, spec);
  if (!initialized.ok) return { spec, status: "FAILED", error: initialized.error };
  const { init, mounts } = initialized;

  const deps = viewDependencies(spec, (target) => {
    const dep = planned.get(target)!;
    return { type: dep.spec.type, state: dep.status === "VALID" ? dep.state : undefined };
  });
  const rendered = renderConfig(session, spec, init, deps);
  if (!rendered.ok) {
    if (rendered.pending) return { spec, status: "PENDING", pendingOn: [rendered.pendingOn], init, mounts };
    return { spec, status: "FAILED", error: rendered.error };
  }
  const { config } = rendered;

  try {
    const judged = judgeState(spec, await session.state(spec, config, init, mounts));
    if (judged.status === "FAILED") return { spec, ...judged };
    return { spec, ...judged, init, mounts, config };
  } catch (err) {
    return { spec, status: "FAILED", error: { phase: "state", message: message(err) } };
  }
}
