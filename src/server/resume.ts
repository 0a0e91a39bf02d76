/**
 * Start-up: rebuild the deploy records from the engine and finish what a previous server
 * process left half done (spec decision 6).
 *
 * `prepareResume` runs before the server listens: it lists the instances, rebuilds the
 * records, and for each service decides whether its newest deploy is unfinished: fewer
 * instances than its count, an instance that is not ready (yet), or (destroy_previous)
 * instances of the version it replaces still there. Those services are locked and their
 * records say `rolling` from the first request on. `runResume` then runs the same rollout
 * code again from the labels (ready → route and retire the old one; failed or past its
 * deadline → remove it; still starting → watch), and reconciles routes: upstreams with no
 * running instance behind them go, ready instances are (re-)added.
 */
import type { ServerContext } from "./context";
import { dialOf, forEachLimited, listInstances, routeInstance } from "./instances";
import { type Instance, isFailed, newestInstance } from "./instance-model";
import { deployKey } from "./names";
import { type DeployPlan, planFromLabels } from "./rollout/plan";
import { newRecord, runRollout } from "./rollout/run";

interface ServiceResume {
  service: string;
  instances: Instance[];
  /** Set when the newest deploy is unfinished. */
  plan?: DeployPlan;
  ready: Set<string>;
}

async function isReady(ctx: ServerContext, i: Instance): Promise<boolean> {
  return ctx.backend.probeReady(i).catch(() => false);
}

export async function prepareResume(ctx: ServerContext): Promise<ServiceResume[]> {
  const all = await listInstances(ctx);
  const byService = new Map<string, Instance[]>();
  for (const i of all) byService.set(i.service, [...(byService.get(i.service) ?? []), i]);
  const out: ServiceResume[] = [];
  for (const [service, instances] of byService) {
    ctx.log.rebuild(service, instances);
    const ready = new Set<string>();
    await forEachLimited(instances.filter((i) => !isFailed(i)), 8, async (i) => {
      if (await isReady(ctx, i)) ready.add(i.id);
    });
    for (const id of ready) ctx.ready.add(id);
    const entry: ServiceResume = { service, instances, ready };
    const newest = newestInstance(instances)!;
    const key = deployKey(newest.version, newest.timestamp);
    const mine = instances.filter((i) => deployKey(i.version, i.timestamp) === key);
    // A not-ready instance means an unfinished rollout only while it is within its readiness
    // window (or while the old version is still there): one that died long after going
    // live is not a rollout to resume (units show it inactive).
    const windowOpen = (i: Instance) => (i.created * 1000 || 0) + ctx.config.healthTimeoutMs > Date.now();
    const previousLeft = newest.destroyPrevious && !!newest.previous && instances.some((i) => deployKey(i.version, i.timestamp) === newest.previous);
    const unfinished = mine.length < newest.count || previousLeft || mine.some((i) => !ready.has(i.id) && windowOpen(i));
    if (unfinished && ctx.locks.tryAcquire(service, "resume")) {
      entry.plan = planFromLabels(mine, instances, ctx.config.imagePrefix);
      try {
        entry.plan.config = ctx.configDir?.load(service, entry.plan.version);
      } catch (err) {
        entry.plan.configError = (err as Error).message;
      }
      ctx.log.add(newRecord(entry.plan));
      ctx.logger.info(`${service} ${key}: unfinished rollout found; resuming`);
    }
    out.push(entry);
  }
  return out;
}

/** Background part: routes, then the unfinished rollouts (services locked by prepareResume). */
export async function runResume(ctx: ServerContext, entries: ServiceResume[]): Promise<void> {
  await forEachLimited(entries, 2, async (e) => {
    const work = resumeService(ctx, e)
      .catch((err) => ctx.logger.warn(`${e.service}: resuming failed: ${(err as Error).message}`))
      .finally(() => {
        if (e.plan) ctx.locks.release(e.service);
      });
    ctx.rollouts.add(work);
    work.finally(() => ctx.rollouts.delete(work));
    await work;
  });
}

async function resumeService(ctx: ServerContext, e: ServiceResume): Promise<void> {
  const router = ctx.router;
  if (router) {
    const running = new Set(e.instances.filter((i) => i.state === "running").map((i) => dialOf(ctx, i)));
    for (const dial of await router.upstreams(e.service)) if (!running.has(dial)) await router.removeUpstream(e.service, dial);
    // Ready instances serve; the rollout (if any) routes its new ones as they become ready.
    const newKey = e.plan ? deployKey(e.plan.version, e.plan.timestamp) : undefined;
    const serving = e.instances.filter((i) => e.ready.has(i.id) && dialOf(ctx, i) && deployKey(i.version, i.timestamp) !== newKey);
    await forEachLimited(serving, 8, (i) => routeInstance(ctx, e.service, i.id, dialOf(ctx, i)!));
  }
  if (!e.plan || ctx.shutdown.aborted) return;
  const record = ctx.log.find(e.service, e.plan.version, e.plan.timestamp) ?? ctx.log.add(newRecord(e.plan));
  await runRollout(ctx, e.plan, record);
}
