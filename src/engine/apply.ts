import type { ConfirmMode } from "../context/index";
import { ProtocolError } from "../errors";
import type { ApplyOutcome, ResourceError } from "./events";
import { renderConfig } from "./prepare";
import type { Session } from "./session";
import { judgeState, viewDependencies } from "./state-rules";
import type { PendingResource, Plan, PlannedResource, StaleResource } from "./types";
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

/** What the steps of one apply share: the run, the plan, and what happened so far. */
interface ApplyRun {
  session: Session;
  plan: Plan;
  confirm: ConfirmMode;
  ask: (question: string) => Promise<boolean>;
  byName: Map<string, PlannedResource>;
  outcomes: Map<string, ApplyOutcome>;
  /** The state of every resource known VALID so far (planned VALID, or converged). */
  states: Map<string, Record<string, unknown>>;
  /** Stops the walk once a confirmation is declined. */
  stop: AbortController;
  declined?: string;
}

type Visited = "ok" | "failed";

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Executes a plan (apply never re-decides what plan decided): STALE resources run their
 * planned actions (confirmed as the mode says) and must then report VALID; PENDING resources
 * get their deferred state query once their dependencies converged. VALID stays untouched,
 * FAILED stays failed and its dependents are skipped; independent branches keep going.
 */
export async function applyPlan(session: Session, plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const run = startApply(session, plan, options);
  const stopBefore = await checkBeforeAny(run);
  if (stopBefore) return stopBeforeAny(run, stopBefore);
  session.emit({ event: "apply-start", changes: countChanges(plan) });
  await walkGraph({
    graph: plan.graph,
    visit: (name) => visitResource(run, run.byName.get(name)!),
    signal: AbortSignal.any([run.stop.signal, session.signal]),
    onSkip: (name, cause) => {
      run.outcomes.set(name, "skipped");
      session.emit({ event: "resource-result", resource: name, planned: run.byName.get(name)!.status, outcome: "skipped", cause });
    },
  });
  let stopped = run.declined;
  if (stopped) session.emit({ event: "stopped", reason: stopped });
  else if (session.signal.aborted) stopped = "interrupted";
  const counts = countOutcomes(run);
  return finishApply(run, { ok: counts.failed === 0 && counts.skipped === 0 && !stopped, outcomes: run.outcomes, stopped, counts });
}

function startApply(session: Session, plan: Plan, options: ApplyOptions): ApplyRun {
  const states = new Map<string, Record<string, unknown>>();
  for (const r of plan.resources) if (r.status === "VALID") states.set(r.spec.name, r.state);
  return {
    session,
    plan,
    confirm: options.confirm,
    ask: createAsk(options),
    byName: new Map(plan.resources.map((r) => [r.spec.name, r])),
    outcomes: new Map(),
    states,
    stop: new AbortController(),
  };
}

const countChanges = (plan: Plan) => plan.resources.filter((r) => r.status === "STALE" || r.status === "PENDING").length;

/** Why apply must not start at all (a readonly resource is STALE, or -c ONCE was declined), if so. */
async function checkBeforeAny(run: ApplyRun): Promise<string | undefined> {
  const readonlyStale = run.plan.resources.filter((r) => r.status === "FAILED" && r.readonlyStale).map((r) => `'${r.spec.name}'`);
  if (readonlyStale.length > 0) {
    const many = readonlyStale.length > 1;
    return `readonly resource${many ? "s" : ""} ${readonlyStale.join(", ")} ${many ? "are" : "is"} STALE: nothing was changed`;
  }
  const changes = countChanges(run.plan);
  if (changes > 0 && run.confirm === "ONCE") {
    const actions = run.plan.resources.reduce((n, r) => n + (r.status === "STALE" ? r.actions.length : 0), 0);
    if (!(await run.ask(`Apply ${actions} action(s) on ${changes} resource(s)?`))) return "declined: nothing was changed";
  }
  return undefined;
}

function stopBeforeAny(run: ApplyRun, reason: string): ApplyResult {
  run.session.emit({ event: "stopped", reason });
  for (const r of run.plan.resources) run.outcomes.set(r.spec.name, r.status === "VALID" ? "unchanged" : r.status === "FAILED" ? "failed" : "skipped");
  return finishApply(run, { ok: false, outcomes: run.outcomes, stopped: reason, counts: countOutcomes(run) });
}

function countOutcomes(run: ApplyRun): Record<ApplyOutcome, number> {
  const counts: Record<ApplyOutcome, number> = { unchanged: 0, changed: 0, failed: 0, skipped: 0 };
  for (const r of run.plan.resources) counts[run.outcomes.get(r.spec.name) ?? "skipped"]++;
  return counts;
}

function finishApply(run: ApplyRun, result: ApplyResult): ApplyResult {
  run.session.emit({ event: "summary", command: "apply", ok: result.ok, durationMs: Date.now() - run.session.startedAt, counts: result.counts });
  return result;
}

/** One resource, as the plan says; a declined confirmation stops the walk. Never throws. */
async function visitResource(run: ApplyRun, r: PlannedResource): Promise<Visited> {
  const name = r.spec.name;
  switch (r.status) {
    case "VALID":
      return recordDone(run, r, "unchanged", r.state);
    case "FAILED":
      run.outcomes.set(name, "failed");
      return "failed";
    case "SKIPPED":
      run.outcomes.set(name, "skipped");
      return "failed";
    case "STALE":
      run.session.emit({ event: "resource-start", resource: name, status: "STALE" });
      return convergeResource(run, r, { config: r.config, staleState: r.staleState, actions: r.actions });
    case "PENDING":
      run.session.emit({ event: "resource-start", resource: name, status: "PENDING" });
      return resolvePending(run, r);
  }
}

function recordFailure(run: ApplyRun, r: PlannedResource, error: ResourceError): "failed" {
  run.outcomes.set(r.spec.name, "failed");
  run.session.emit({ event: "resource-result", resource: r.spec.name, planned: r.status, outcome: "failed", error });
  return "failed";
}

function recordDone(run: ApplyRun, r: PlannedResource, outcome: ApplyOutcome, state: Record<string, unknown>, actions?: number): "ok" {
  run.outcomes.set(r.spec.name, outcome);
  run.states.set(r.spec.name, state);
  run.session.emit({ event: "resource-result", resource: r.spec.name, planned: r.status, outcome, ...(actions ? { actions } : {}) });
  return "ok";
}

/** PENDING in the plan: its dependencies converged, so render and query now. */
async function resolvePending(run: ApplyRun, r: PendingResource): Promise<Visited> {
  const { spec } = r;
  const deps = viewDependencies(spec, (target) => ({ type: run.byName.get(target)!.spec.type, state: run.states.get(target) ?? {} }));
  const rendered = renderConfig(run.session, spec, r.init, deps);
  if (!rendered.ok) return recordFailure(run, r, rendered.pending ? { phase: "config", message: `still needs the state of '${rendered.pendingOn}'` } : rendered.error);
  let judged: ReturnType<typeof judgeState>;
  try {
    judged = judgeState(spec, await run.session.state(spec, rendered.config, r.init, r.mounts));
  } catch (err) {
    return recordFailure(run, r, { phase: "state", message: message(err) });
  }
  if (judged.status === "VALID") return recordDone(run, r, "unchanged", judged.state);
  if (judged.status === "FAILED") return recordFailure(run, r, judged.error);
  return convergeResource(run, r, { config: rendered.config, staleState: judged.staleState, actions: judged.actions });
}

type Work = Pick<StaleResource, "config" | "staleState" | "actions">;

/** Actions in order (a failing one stops the resource), then the re-query that must say VALID. */
async function convergeResource(run: ApplyRun, r: StaleResource | PendingResource, work: Work): Promise<Visited> {
  const { spec } = r;
  const { session } = run;
  const confirmed = await confirmActions(run, r, work);
  if (!confirmed) return declineResource(run, r);
  for (const [i, action] of work.actions.entries()) {
    if (run.confirm === "ACTION" && !(await run.ask(`Run action '${action.name}' of '${spec.name}' (${action.description})?`))) return declineResource(run, r);
    session.emit({ event: "action-start", resource: spec.name, action: action.name, description: action.description, index: i + 1, total: work.actions.length });
    const started = Date.now();
    try {
      await session.action(spec, work.config, work.staleState, action, r.init, r.mounts);
    } catch (err) {
      session.emit({ event: "action-end", resource: spec.name, action: action.name, ok: false, durationMs: Date.now() - started, error: message(err) });
      return recordFailure(run, r, { phase: "action", message: message(err) });
    }
    session.emit({ event: "action-end", resource: spec.name, action: action.name, ok: true, durationMs: Date.now() - started });
  }
  let result: Awaited<ReturnType<Session["state"]>>;
  try {
    result = await session.state(spec, work.config, r.init, r.mounts);
  } catch (err) {
    return recordFailure(run, r, { phase: "recheck", message: message(err) });
  }
  if (result.status !== "VALID") {
    return recordFailure(run, r, { phase: "recheck", message: new ProtocolError(spec.name, "state", `protocol error: expected '${spec.name}' to be VALID after applying actions`).message });
  }
  return recordDone(run, r, "changed", result.state, work.actions.length);
}

/** -c RESOURCE asks once per resource before its first action. */
async function confirmActions(run: ApplyRun, r: PlannedResource, work: Work): Promise<boolean> {
  if (run.confirm !== "RESOURCE") return true;
  return run.ask(`Apply ${work.actions.length} action(s) to '${r.spec.name}' (${work.actions.map((a) => a.name).join(", ")})?`);
}

/** A declined confirmation: this resource fails and the walk stops starting others. */
function declineResource(run: ApplyRun, r: PlannedResource): "failed" {
  run.declined ??= `declined for '${r.spec.name}': the remaining resources were not applied`;
  run.stop.abort();
  return recordFailure(run, r, { phase: "confirm", message: "declined" });
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
