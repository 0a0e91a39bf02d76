import type { ResourceSpec } from "../manifest/index";
import type { ResourceError } from "./events";
import { withActionDefaults } from "./protocol";
import type { StateResult } from "./resource-type";
import type { PlannedAction } from "./types";

/**
 * The two rules plan and apply share, written once: what a resource's config sees of its
 * dependencies, and how a state result is read (a readonly resource may not be STALE).
 */

/** What a dependency alias shows to config expressions. */
export type DependencyView = { known: true; name: string; type: string; state: Record<string, unknown> } | { known: false; name: string; type: string };

/** A dependency as the caller knows it: its type, and its state once known. */
export type DependencyFacts = (name: string) => { type: string; state?: Record<string, unknown> };

/** One view per alias: `{name, type, state}` when the state is known, else a pending placeholder. */
export function viewDependencies(spec: ResourceSpec, facts: DependencyFacts): Record<string, DependencyView> {
  const views: Record<string, DependencyView> = {};
  for (const [alias, target] of Object.entries(spec.dependencies)) {
    const { type, state } = facts(target);
    views[alias] = state ? { known: true, name: target, type, state } : { known: false, name: target, type };
  }
  return views;
}

export type JudgedState =
  | { status: "VALID"; state: Record<string, unknown> }
  | { status: "STALE"; staleState: Record<string, unknown>; actions: PlannedAction[] }
  | { status: "FAILED"; readonlyStale: true; error: ResourceError; staleState: Record<string, unknown>; actions: PlannedAction[] };

/** A state result as plan and apply act on it: actions get their defaults; readonly and STALE is a failure. */
export function judgeState(spec: ResourceSpec, result: StateResult): JudgedState {
  if (result.status === "VALID") return { status: "VALID", state: result.state };
  const actions = result.actions.map((a) => withActionDefaults(a, spec.type));
  const staleState = result.staleState ?? {};
  if (!spec.readonly) return { status: "STALE", staleState, actions };
  const message = `readonly resource '${spec.name}' is STALE (would run: ${actions.map((a) => a.name).join(", ")}); deployster will not change it`;
  return { status: "FAILED", readonlyStale: true, error: { phase: "state", message }, staleState, actions };
}
