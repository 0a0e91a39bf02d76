/**
 * Reading instances from the backend, and the two ways one leaves: retire (unroute, drain,
 * stop gracefully, remove) and discard (a new instance that never became ready).
 */
import type { DiscardTarget } from "./backend/types";
import type { ServerContext } from "./context";
import type { Instance } from "./instance-model";

/** This server's instances (of one service when given), parsed from their labels. */
export function listInstances(ctx: ServerContext, service?: string): Promise<Instance[]> {
  return ctx.backend.list(service);
}

/** The router's address for an instance (engine: its published port on this host; Swarm: node:port). */
export function dialOf(ctx: ServerContext, i: Partial<Pick<Instance, "hostPort" | "hostIp" | "dial">>): string | undefined {
  return ctx.backend.dial(i as DiscardTarget);
}

/**
 * Adds a ready instance to the router. A destroy may run concurrently (it does not take the
 * service lock): when the instance started retiring, or is already gone, by the time the
 * add is applied, the add is undone so that no upstream outlives its container.
 */
export async function routeInstance(ctx: ServerContext, service: string, id: string, dial: string): Promise<void> {
  if (!ctx.router) return;
  await ctx.router.addUpstream(service, dial);
  if (ctx.retiring.has(id) || !(await ctx.backend.exists(id))) await ctx.router.removeUpstream(service, dial);
  else ctx.events.publish("instance", service, { id, change: "routed" });
}

/**
 * Retires an instance: out of the router first, then a drain pause so requests already
 * routed to it finish, then a graceful stop, then removal. Idempotent (resumable).
 */
export async function retireInstance(ctx: ServerContext, i: Instance): Promise<void> {
  ctx.retiring.add(i.id);
  ctx.events.publish("instance", i.service, { id: i.id, name: i.name, change: "retiring" });
  try {
    const dial = dialOf(ctx, i);
    if (ctx.router && dial) {
      await ctx.router.removeUpstream(i.service, dial);
      if (ctx.drainMs > 0) await Bun.sleep(ctx.drainMs);
    }
    await ctx.backend.stopAndRemove(i);
    ctx.ready.delete(i.id);
    ctx.logger.info(`retired ${i.name}`);
    ctx.events.publish("instance", i.service, { id: i.id, name: i.name, change: "retired" });
  } finally {
    ctx.retiring.delete(i.id);
  }
}

/** Removes an instance that failed (never routed unless resumed; unrouting is harmless). */
export async function discardInstance(ctx: ServerContext, i: DiscardTarget): Promise<void> {
  const dial = dialOf(ctx, i);
  if (ctx.router && dial) await ctx.router.removeUpstream(i.service, dial).catch(() => {});
  await ctx.backend.remove(i.id);
  ctx.ready.delete(i.id);
  ctx.logger.info(`removed ${i.name}`);
  ctx.events.publish("instance", i.service, { id: i.id, name: i.name, change: "removed" });
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
