/**
 * Start-up: rebuild the deploy records from the engine and finish what a previous server
 * process left half done (spec decision 6). For each service, the newest deploy is
 * unfinished when it has fewer instances than its count, an instance that is not ready yet,
 * or (destroy_previous) instances of the version it replaces: then the same rollout code
 * runs again from the labels (ready → route and retire the old one; failed or past its
 * deadline → remove it; still starting → watch). Routes are reconciled too: upstreams with
 * no running instance behind them are removed, ready instances are (re-)added.
 */
import type { ServerContext } from "./context";
import { dialOf, forEachLimited, listInstances } from "./instances";
import { deployKey, type Instance, isFailed } from "./naming";
import { probeInstance } from "./readiness";
import { planFromLabels } from "./rollout/plan";
import { newRecord, runRollout } from "./rollout/run";

export async function resumeAll(ctx: ServerContext): Promise<void> {
  const all = await listInstances(ctx);
  const byService = new Map<string, Instance[]>();
  for (const i of all) byService.set(i.service, [...(byService.get(i.service) ?? []), i]);
  for (const [service, instances] of byService) ctx.log.rebuild(service, instances);
  await forEachLimited([...byService.entries()], 2, async ([service, instances]) => {
    if (ctx.shutdown.aborted || !ctx.locks.tryAcquire(service, "resume")) return;
    const work = resumeService(ctx, service, instances)
      .catch((err) => ctx.logger.warn(`${service}: resuming failed: ${(err as Error).message}`))
      .finally(() => ctx.locks.release(service));
    ctx.rollouts.add(work);
    work.finally(() => ctx.rollouts.delete(work));
    await work;
  });
}

async function isReady(ctx: ServerContext, i: Instance): Promise<{ ready: boolean; hostPort?: number }> {
  if (i.state !== "running") return { ready: false };
  const r = await probeInstance(ctx.docker, i.id, {
    containerPort: i.containerPort,
    publishHost: ctx.config.publishHost,
    healthPath: ctx.config.healthPath,
  }).catch(() => ({ kind: "waiting" as const, why: "" }));
  return r.kind === "ready" ? { ready: true, hostPort: r.hostPort ?? i.hostPort } : { ready: false };
}

async function resumeService(ctx: ServerContext, service: string, instances: Instance[]): Promise<void> {
  const router = ctx.router;
  if (router) {
    const live = new Set(instances.filter((i) => i.state === "running").map((i) => dialOf(ctx, i)));
    for (const dial of await router.upstreams(service)) {
      if (!live.has(dial)) await router.removeUpstream(service, dial);
    }
  }
  const newest = [...instances].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  if (!newest) return;
  const key = deployKey(newest.version, newest.timestamp);
  const mine = instances.filter((i) => deployKey(i.version, i.timestamp) === key);
  const others = instances.filter((i) => deployKey(i.version, i.timestamp) !== key);
  // Instances of other versions that serve: known ready, and routed.
  await forEachLimited(others.filter((i) => !isFailed(i)), 4, async (i) => {
    const r = await isReady(ctx, i);
    if (!r.ready) return;
    ctx.ready.add(i.id);
    const dial = dialOf(ctx, i);
    if (router && dial) await router.addUpstream(service, dial);
  });
  const readiness = await Promise.all(mine.map((i) => isReady(ctx, i)));
  const unfinished =
    mine.length < newest.count ||
    readiness.some((r) => !r.ready) ||
    (newest.destroyPrevious && !!newest.previous && others.some((i) => deployKey(i.version, i.timestamp) === newest.previous));
  if (!unfinished) {
    for (const i of mine) {
      ctx.ready.add(i.id);
      const dial = dialOf(ctx, i);
      if (router && dial) await router.addUpstream(service, dial);
    }
    return;
  }
  ctx.logger.info(`${service} ${key}: resuming an unfinished rollout`);
  const plan = planFromLabels(mine, instances, ctx.config.imagePrefix);
  const record = ctx.log.add(newRecord(plan));
  await runRollout(ctx, plan, record);
}
