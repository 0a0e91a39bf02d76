/**
 * The rollout, as a short named sequence of steps (kamal's shape):
 *
 *   lock (held by the caller) → prepare (leftovers, image) → per instance k, at most
 *   PIPELINES at once: boot → readiness gate → route → retire old k (pairing) →
 *   sweep old instances without a counterpart (once all are ready) → prune failed
 *   leftovers of other versions → settle the record.
 *
 * Every step is idempotent and everything it needs is in the instances' labels, so a
 * restarted server resumes with the same code (resume.ts). On shutdown, readiness waits end
 * at once and no new step starts: the rollout stops at a safe point and is resumed later.
 */
import type { BootedInstance } from "../backend/types";
import type { ServerContext } from "../context";
import { formatGoDuration } from "../duration";
import { discardInstance, forEachLimited, listInstances, retireInstance, routeInstance } from "../instances";
import { type Instance, isFailed } from "../instance-model";
import { deployKey, splitDeployKey } from "../names";
import type { DeployRecord, InstanceRecord } from "../../api/v1";
import { type DeployPlan, newInstanceName } from "./plan";

const PIPELINES = 8;

interface InstanceOutcome {
  k: number;
  ok: boolean;
  interrupted?: boolean;
  reason?: string;
  logTail?: string[];
}

/** The record a new deploy starts with. */
export function newRecord(plan: DeployPlan): DeployRecord {
  const ref = (key: string | undefined) => splitDeployKey(key) ?? null;
  return {
    service: plan.service,
    version: plan.version,
    timestamp: plan.timestamp,
    state: "rolling",
    instance_count: plan.count,
    destroy_previous: plan.requestedDestroyPrevious,
    previous: ref(plan.previous?.key),
    rollback_of: ref(plan.rollbackOf),
    config_digest: plan.config?.digest ?? null,
    started_at: plan.startedAt,
    finished_at: null,
    reason: null,
    log_tail: [],
    instances: Array.from({ length: plan.count }, (_, i): InstanceRecord => ({
      instance: String(i + 1),
      container: newInstanceName(plan, i + 1),
      state: "pending",
      replaces: plan.replaces.get(i + 1) ?? null,
      retired: false,
      reason: null,
    })),
  };
}

/**
 * Runs the rollout, registered in ctx.cancels under its service while it runs: a DELETE of
 * its version aborts it, and it stops at its next safe point as it does on shutdown.
 */
export async function runRollout(ctx: ServerContext, plan: DeployPlan, record: DeployRecord): Promise<void> {
  const cancel = new AbortController();
  const entry = { version: plan.version, timestamp: plan.timestamp, cancel };
  ctx.cancels.set(plan.service, entry);
  try {
    await runSteps(ctx, plan, record, AbortSignal.any([ctx.shutdown, cancel.signal]));
  } finally {
    // Secrets of configurations no instance uses any more go (old ones are kept until their instances retire).
    await ctx.backend.pruneConfig(plan.service).catch((err) => ctx.logger.warn(`${plan.service}: pruning old secrets failed: ${(err as Error).message}`));
    if (ctx.cancels.get(plan.service) === entry) ctx.cancels.delete(plan.service);
  }
}

async function runSteps(ctx: ServerContext, plan: DeployPlan, record: DeployRecord, stop: AbortSignal): Promise<void> {
  const say = (m: string) => ctx.logger.info(`${plan.service} ${plan.version}:${plan.timestamp}: ${m}`);
  say(`rollout of ${plan.count} instance(s) of ${plan.image}${plan.previous ? `, replacing ${plan.previous.key}` : ""}`);
  if (plan.configError) return finish(ctx, plan, record, [{ k: 0, ok: false, reason: plan.configError }]);
  try {
    await ctx.backend.removeLeftovers(plan);
    await ctx.backend.prepareImage(plan.image, stop);
  } catch (err) {
    if (stop.aborted) return;
    return finish(ctx, plan, record, [{ k: 0, ok: false, reason: `The image ${plan.image} is not available: ${(err as Error).message}` }]);
  }
  const outcomes: InstanceOutcome[] = [];
  const ks = Array.from({ length: plan.count }, (_, i) => i + 1);
  await forEachLimited(ks, PIPELINES, async (k) => {
    if (stop.aborted) return void outcomes.push({ k, ok: false, interrupted: true });
    outcomes.push(await rolloutInstance(ctx, plan, record, k, stop).catch((err): InstanceOutcome => ({ k, ok: false, reason: (err as Error).message })));
  });
  if (outcomes.some((o) => o.interrupted) || stop.aborted) {
    say(ctx.shutdown.aborted ? "interrupted by shutdown; the rollout resumes when the server starts again" : "cancelled (its version is being destroyed)");
    return;
  }
  if (outcomes.every((o) => o.ok) && plan.requestedDestroyPrevious) {
    await sweepPrevious(ctx, plan);
    await pruneFailed(ctx, plan);
  }
  finish(ctx, plan, record, outcomes);
}

/** boot → ready → route → retire old k. Never throws for the instance's own failure. */
async function rolloutInstance(ctx: ServerContext, plan: DeployPlan, record: DeployRecord, k: number, stop: AbortSignal): Promise<InstanceOutcome> {
  const rec = record.instances[k - 1]!;
  rec.state = "booting";
  const failed = async (reason: string, target?: { id: string; name: string; dial?: string }): Promise<InstanceOutcome> => {
    const logTail = target ? await ctx.backend.logTail(target.id) : [];
    if (target) await discardInstance(ctx, { ...target, service: plan.service }).catch(() => {});
    rec.state = "failed";
    rec.reason = reason;
    ctx.logger.warn(`${plan.service}: ${reason}`);
    return { k, ok: false, reason, logTail };
  };
  let booted: BootedInstance;
  try {
    booted = await ctx.backend.boot(plan, k);
  } catch (err) {
    const e = err as Error & { containerId?: string; containerName?: string };
    const target = e.containerId ? { id: e.containerId, name: e.containerName ?? rec.container } : undefined;
    return failed(`Instance ${k} (${rec.container}) could not start: ${e.message}`, target);
  }
  if (booted.exited) return failed(`Instance ${k} (${booted.name}) exited before it was ready.`, booted);
  const timeout = ctx.config.healthTimeoutMs;
  const outcome = await ctx.backend.waitReady(booted, { deadline: booted.startedAtMs + timeout, signal: stop });
  if (!outcome.ready) {
    if (outcome.aborted) return { k, ok: false, interrupted: true };
    const what = outcome.timedOut ? `was not ready after ${formatGoDuration(timeout)}` : "failed";
    return failed(`Instance ${k} (${booted.name}) ${what}: ${outcome.why}.`, booted);
  }
  ctx.ready.add(booted.id);
  const dial = outcome.dial;
  rec.machine_id = outcome.machineId ?? null;
  if (ctx.router && dial) {
    try {
      await routeInstance(ctx, plan.service, booted.id, dial);
    } catch (err) {
      return failed(`Instance ${k} (${booted.name}) could not be routed: ${(err as Error).message}`, { ...booted, dial });
    }
  }
  rec.state = "ready";
  if (stop.aborted) return { k, ok: true, interrupted: true };
  const oldName = plan.replaces.get(k);
  if (oldName && plan.destroyPrevious) {
    const old = (await listInstances(ctx, plan.service)).find((i) => i.name === oldName);
    if (old) await retireInstance(ctx, old);
    rec.retired = true;
  }
  return { k, ok: true };
}

/** Retires what is left of the previous version (instances without a new counterpart, failed ones). */
async function sweepPrevious(ctx: ServerContext, plan: DeployPlan): Promise<void> {
  if (!plan.previous) return;
  const prevKey = plan.previous.key;
  const left = (await listInstances(ctx, plan.service)).filter((i) => deployKey(i.version, i.timestamp) === prevKey);
  await forEachLimited(left, 4, (i: Instance) => (isFailed(i) ? discardInstance(ctx, i) : retireInstance(ctx, i)));
}

/** Prune: failed leftovers (exited, dead) of other versions go once the new version is live. */
async function pruneFailed(ctx: ServerContext, plan: DeployPlan): Promise<void> {
  const key = deployKey(plan.version, plan.timestamp);
  const dead = (await listInstances(ctx, plan.service)).filter((i) => deployKey(i.version, i.timestamp) !== key && (i.state === "exited" || i.state === "dead"));
  await forEachLimited(dead, 4, (i) => discardInstance(ctx, i));
}

function finish(ctx: ServerContext, plan: DeployPlan, record: DeployRecord, outcomes: InstanceOutcome[]): void {
  const failures = outcomes.filter((o) => !o.ok).sort((a, b) => a.k - b.k);
  record.finished_at = new Date().toISOString();
  if (failures.length === 0) {
    record.state = "live";
    if (plan.previous) {
      const p = plan.previous.key;
      const { version, timestamp } = splitDeployKey(p)!;
      ctx.log.settle(plan.service, version, timestamp, plan.rollbackOf === p ? "rolled_back" : "destroyed");
    }
    ctx.logger.info(`${plan.service} ${plan.version}:${plan.timestamp}: live`);
    return;
  }
  const first = failures[0]!;
  record.state = "failed";
  record.reason = failures.length > 1 ? `${first.reason} (${failures.length} of ${plan.count} instances failed)` : first.reason ?? "failed";
  record.log_tail = first.logTail ?? [];
  ctx.logger.warn(`${plan.service} ${plan.version}:${plan.timestamp}: failed: ${record.reason}`);
}
