/**
 * Reading instances from the engine, and the two ways one leaves: retire (unroute, drain,
 * stop gracefully, remove) and discard (a new instance that never became ready).
 */
import { inspectContainer, listContainers, removeContainer, stopContainer } from "../docker/containers";
import type { ServerContext } from "./context";
import { instanceFilters, type Instance, parseInstance } from "./naming";
import { dialHost } from "./readiness";

/** This server's instances (of one service when given), parsed from their labels. */
export async function listInstances(ctx: ServerContext, service?: string): Promise<Instance[]> {
  const list = await listContainers(ctx.docker, { all: true, labels: instanceFilters(ctx.config.scopeLabels, service) });
  const out: Instance[] = [];
  for (const c of list) {
    const i = parseInstance(c, ctx.config.containerPort);
    if (i && (service === undefined || i.service === service)) out.push(i);
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.instance - b.instance);
}

/** The router's address for an instance (its published port, on this host or at --instance-host). */
export function dialOf(ctx: ServerContext, i: Pick<Instance, "hostPort" | "hostIp">): string | undefined {
  if (!i.hostPort) return undefined;
  return `${ctx.config.instanceHost ?? dialHost(i.hostIp || ctx.config.publishHost)}:${i.hostPort}`;
}

/**
 * Adds a ready instance to the router. A destroy may run concurrently (it does not take the
 * service lock): when the instance started retiring, or is already gone, by the time the
 * add is applied, the add is undone so that no upstream outlives its container.
 */
export async function routeInstance(ctx: ServerContext, service: string, id: string, dial: string): Promise<void> {
  if (!ctx.router) return;
  await ctx.router.addUpstream(service, dial);
  if (ctx.retiring.has(id) || !(await inspectContainer(ctx.docker, id))) await ctx.router.removeUpstream(service, dial);
}

/** Grace for the app to finish its requests after SIGTERM. */
const STOP_TIMEOUT_S = 10;

/**
 * Retires an instance: out of the router first, then a drain pause so requests already
 * routed to it finish, then a graceful stop, then removal. Idempotent (resumable).
 */
export async function retireInstance(ctx: ServerContext, i: Instance): Promise<void> {
  ctx.retiring.add(i.id);
  try {
    const dial = dialOf(ctx, i);
    if (ctx.router && dial) {
      await ctx.router.removeUpstream(i.service, dial);
      if (ctx.drainMs > 0) await Bun.sleep(ctx.drainMs);
    }
    if (i.state === "running") await stopContainer(ctx.docker, i.id, STOP_TIMEOUT_S).catch(() => {});
    await removeContainer(ctx.docker, i.id, { force: true });
    ctx.ready.delete(i.id);
    ctx.logger.info(`retired ${i.name}`);
  } finally {
    ctx.retiring.delete(i.id);
  }
}

/** Removes an instance that failed (never routed unless resumed; unrouting is harmless). */
export async function discardInstance(ctx: ServerContext, i: Pick<Instance, "id" | "name" | "service" | "hostPort" | "hostIp">): Promise<void> {
  const dial = dialOf(ctx, i);
  if (ctx.router && dial) await ctx.router.removeUpstream(i.service, dial).catch(() => {});
  await removeContainer(ctx.docker, i.id, { force: true });
  ctx.ready.delete(i.id);
  ctx.logger.info(`removed ${i.name}`);
}

/** Runs fn over items with at most `limit` at once (no unbounded Promise.all). */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
