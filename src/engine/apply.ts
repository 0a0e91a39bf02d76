import type { ConfirmMode } from "../context/index";
import { ProtocolError } from "../errors";
import type { ApplyOutcome, ResourceError } from "../ui/events";
import { renderConfig, type DependencyView } from "./prepare";
import { withActionDefaults } from "./protocol";
import type { Plan, PlannedAction, PlannedResource } from "./types";
import { walkGraph } from "./walk";

export interface ApplyOptions {
  confirm: ConfirmMode;
  /** Asks a yes/no question (only called when the mode needs it). Calls are serialized. */
  prompt?: (question: string) => Promise<boolean>;
}

export interface ApplyResult {
  ok: boolean;
  /** Resources in manifest order with what happened to them. */
  outcomes: Map<string, ApplyOutcome>;
  /** Why apply stopped early (readonly STALE, declined, interrupted), if it did. */
  stopped?: string;
  counts: Record<ApplyOutcome, number>;
}

class Declined extends Error {}

/**
 * Executes a plan (apply never re-decides what plan decided): STALE resources run their planned actions (confirmed as
 * the mode says) and must then report VALID; PENDING resources get their deferred state
 * query once their dependencies converged. Nothing is re-decided: VALID stays untouched,
 * FAILED stays failed and its dependents are skipped; independent branches keep going.
 */
export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const { session } = plan;
  const started = session.startedAt;
  const ask = createAsk(options);
  const byName = new Map(plan.resources.map((r) => [r.spec.name, r]));
  const outcomes = new Map<string, ApplyOutcome>();
  const states = new Map<string, Record<string, unknown>>();
  for (const r of plan.resources) if (r.status === "VALID") states.set(r.spec.name, r.state ?? {});

  const finish = (result: ApplyResult): ApplyResult => {
    session.emit({ event: "summary", command: "apply", ok: result.ok, durationMs: Date.now() - started, counts: result.counts });
    return result;
  };
  const countAll = () => {
    const counts: Record<ApplyOutcome, number> = { unchanged: 0, changed: 0, failed: 0, skipped: 0 };
    for (const r of plan.resources) counts[outcomes.get(r.spec.name) ?? "skipped"]++;
    return counts;
  };
  const stopBefore = (reason: string): ApplyResult => {
    session.emit({ event: "stopped", reason });
    for (const r of plan.resources) outcomes.set(r.spec.name, r.status === "VALID" ? "unchanged" : r.status === "FAILED" ? "failed" : "skipped");
    return finish({ ok: false, outcomes, stopped: reason, counts: countAll() });
  };

  const readonlyStale = plan.resources.filter((r) => r.readonlyStale).map((r) => `'${r.spec.name}'`);
  if (readonlyStale.length > 0) {
    return stopBefore(`readonly resource${readonlyStale.length > 1 ? "s" : ""} ${readonlyStale.join(", ")} ${readonlyStale.length > 1 ? "are" : "is"} STALE: nothing was changed`);
  }

  const changes = plan.resources.filter((r) => r.status === "STALE" || r.status === "PENDING").length;
  if (changes > 0 && options.confirm === "ONCE") {
    const actions = plan.resources.reduce((n, r) => n + (r.actions?.length ?? 0), 0);
    if (!(await ask(`Apply ${actions} action(s) on ${changes} resource(s)?`))) return stopBefore("declined: nothing was changed");
  }
  session.emit({ event: "apply-start", changes });

  const stop = new AbortController();
  let stopped: string | undefined;
  const fail = (r: PlannedResource, error: ResourceError): "failed" => {
    outcomes.set(r.spec.name, "failed");
    session.emit({ event: "resource-result", resource: r.spec.name, planned: r.status, outcome: "failed", error });
    return "failed";
  };
  const done = (r: PlannedResource, outcome: ApplyOutcome, state: Record<string, unknown>, actions?: number): "ok" => {
    outcomes.set(r.spec.name, outcome);
    states.set(r.spec.name, state);
    session.emit({ event: "resource-result", resource: r.spec.name, planned: r.status, outcome, ...(actions ? { actions } : {}) });
    return "ok";
  };

  /** Actions in order (a failing one stops the resource), then the re-query that must say VALID. */
  const converge = async (r: PlannedResource, config: Record<string, unknown>, staleState: Record<string, unknown>, actions: PlannedAction[]) => {
    const { spec } = r;
    const init = r.init!;
    const mounts = r.mounts ?? [];
    if (options.confirm === "RESOURCE" && !(await ask(`Apply ${actions.length} action(s) to '${spec.name}' (${actions.map((a) => a.name).join(", ")})?`))) {
      throw new Declined(spec.name);
    }
    for (const [i, action] of actions.entries()) {
      if (options.confirm === "ACTION" && !(await ask(`Run action '${action.name}' of '${spec.name}' (${action.description})?`))) {
        throw new Declined(spec.name);
      }
      session.emit({ event: "action-start", resource: spec.name, action: action.name, description: action.description, index: i + 1, total: actions.length });
      const t0 = Date.now();
      try {
        await session.action(spec, config, staleState, action, init, mounts);
      } catch (err) {
        session.emit({ event: "action-end", resource: spec.name, action: action.name, ok: false, durationMs: Date.now() - t0, error: (err as Error).message });
        return fail(r, { phase: "action", message: (err as Error).message });
      }
      session.emit({ event: "action-end", resource: spec.name, action: action.name, ok: true, durationMs: Date.now() - t0 });
    }
    let result;
    try {
      result = await session.state(spec, config, init, mounts);
    } catch (err) {
      return fail(r, { phase: "recheck", message: (err as Error).message });
    }
    if (result.status !== "VALID") {
      return fail(r, { phase: "recheck", message: new ProtocolError(spec.name, "state", `protocol error: expected '${spec.name}' to be VALID after applying actions`).message });
    }
    return done(r, "changed", result.state, actions.length);
  };

  /** PENDING in the plan: its dependencies converged, so render and query now. */
  const resolvePending = async (r: PlannedResource) => {
    const { spec } = r;
    const deps: Record<string, DependencyView> = {};
    for (const [alias, target] of Object.entries(spec.dependencies)) {
      deps[alias] = { known: true, name: target, type: byName.get(target)!.spec.type, state: states.get(target) ?? {} };
    }
    const rendered = renderConfig(session, spec, r.init!, deps);
    if (!rendered.ok) return fail(r, rendered.pending ? { phase: "config", message: `still needs the state of '${rendered.pendingOn}'` } : rendered.error);
    let result;
    try {
      result = await session.state(spec, rendered.config, r.init!, r.mounts ?? []);
    } catch (err) {
      return fail(r, { phase: "state", message: (err as Error).message });
    }
    if (result.status === "VALID") return done(r, "unchanged", result.state);
    const actions = result.actions.map((a) => withActionDefaults(a, spec.type));
    if (spec.readonly) {
      return fail(r, { phase: "state", message: `readonly resource '${spec.name}' is STALE (would run: ${actions.map((a) => a.name).join(", ")}); deployster will not change it` });
    }
    return converge(r, rendered.config, result.staleState ?? {}, actions);
  };

  const visit = async (name: string): Promise<"ok" | "failed"> => {
    const r = byName.get(name)!;
    try {
      switch (r.status) {
        case "VALID":
          return done(r, "unchanged", r.state ?? {});
        case "FAILED":
          outcomes.set(name, "failed");
          return "failed";
        case "SKIPPED":
          outcomes.set(name, "skipped");
          return "failed";
        case "STALE":
          session.emit({ event: "resource-start", resource: name, status: "STALE" });
          return await converge(r, r.config!, r.staleState ?? {}, r.actions!);
        case "PENDING":
          session.emit({ event: "resource-start", resource: name, status: "PENDING" });
          return await resolvePending(r);
      }
    } catch (err) {
      if (!(err instanceof Declined)) throw err;
      stopped ??= `declined for '${err.message}': the remaining resources were not applied`;
      stop.abort();
      return fail(r, { phase: "confirm", message: "declined" });
    }
  };

  const signal = AbortSignal.any([stop.signal, session.signal]);
  await walkGraph({
    graph: plan.graph,
    visit,
    signal,
    onSkip: (name, cause) => {
      outcomes.set(name, "skipped");
      session.emit({ event: "resource-result", resource: name, planned: byName.get(name)!.status, outcome: "skipped", cause });
    },
  });
  if (stopped) session.emit({ event: "stopped", reason: stopped });
  else if (session.signal.aborted) stopped = "interrupted";
  const counts = countAll();
  return finish({ ok: counts.failed === 0 && counts.skipped === 0 && !stopped, outcomes, stopped, counts });
}

/** Serialized yes/no questions: parallel resources never ask at the same time. */
function createAsk(options: ApplyOptions): (question: string) => Promise<boolean> {
  let chain: Promise<unknown> = Promise.resolve();
  return (question) => {
    if (options.confirm === "NO") return Promise.resolve(true);
    if (!options.prompt) return Promise.resolve(false);
    const answer = chain.then(() => options.prompt!(question));
    chain = answer.catch(() => {});
    return answer;
  };
}
