/**
 * Failover on Swarm: when a node is drained or dies, serve re-places the instance pinned to
 * it (./replace.ts, the `before` step of every pass) and Swarm starts its task on the new
 * node, at another `<node address>:<published port>`. Every pass (1 s) this
 * watcher compares the router with the cluster: an instance that was ready once (a rollout
 * or the start-up resumption saw it ready) and now runs at an address the router lacks is
 * probed (TCP, and --health-path) and routed when ready; an upstream no running instance
 * has any more is removed once two passes in a row found it stale (a rollout may have just
 * routed an instance this pass's listing predates). New instances of a rollout are left to
 * the rollout's own readiness gate.
 */
import type { ServerContext } from "../../context";
import { isFailed, type Instance } from "../../instance-model";
import { findInstanceRecord } from "../../reconcile/records";

export interface WatchOptions {
  intervalMs: number;
  /** Run first in every pass (re-placing stranded instances), with or without a router. */
  before?: () => Promise<void>;
}

async function passOnce(ctx: ServerContext, stale: Map<string, number>, known: Set<string>): Promise<void> {
  const router = ctx.router!;
  // Upstreams first (of every service seen so far), then one listing: an instance routed in
  // between is in the listing, so a routed address missing from it is really stale.
  const routedBy = new Map<string, Set<string>>();
  for (const service of known) routedBy.set(service, new Set(await router.upstreams(service)));
  const all = await ctx.backend.list();
  for (const i of all) known.add(i.service);
  for (const [service, routed] of routedBy) {
    const instances = all.filter((i) => i.service === service);
    const live = instances.filter((i: Instance) => i.state === "running" && i.dial && !isFailed(i));
    const liveDials = new Set(live.map((i) => i.dial!));
    for (const i of live) {
      if (routed.has(i.dial!) || !ctx.ready.has(i.id) || ctx.retiring.has(i.id)) continue;
      if (!(await ctx.backend.probeReady(i))) continue;
      await router.addUpstream(service, i.dial!);
      if (ctx.retiring.has(i.id) || !(await ctx.backend.exists(i.id))) await router.removeUpstream(service, i.dial!);
      else {
        const rec = findInstanceRecord(ctx.log, i);
        if (rec) rec.entry.machine_id = i.machineId ?? null;
        ctx.logger.info(`${i.name} runs on node ${i.machineId} at ${i.dial}: routed`);
      }
    }
    for (const dial of routed) {
      const key = `${service} ${dial}`;
      if (liveDials.has(dial)) {
        stale.delete(key);
        continue;
      }
      const seen = (stale.get(key) ?? 0) + 1;
      stale.set(key, seen);
      if (seen < 2) continue;
      stale.delete(key);
      await router.removeUpstream(service, dial);
      ctx.logger.info(`${service}: no instance runs at ${dial} any more: unrouted`);
    }
  }
}

/** Runs until the server shuts down; errors of one pass are logged and the next pass tries again. */
export function watchFailover(ctx: ServerContext, o: WatchOptions): Promise<void> {
  if (!ctx.router && !o.before) return Promise.resolve();
  const stale = new Map<string, number>();
  const known = new Set<string>();
  return (async () => {
    while (!ctx.shutdown.aborted) {
      await o.before?.().catch((err) => ctx.logger.debug(`re-placement: ${(err as Error).message}`));
      if (ctx.router) await passOnce(ctx, stale, known).catch((err) => ctx.logger.debug(`failover watch: ${(err as Error).message}`));
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, o.intervalMs);
        function done() {
          clearTimeout(t);
          ctx.shutdown.removeEventListener("abort", done);
          resolve();
        }
        ctx.shutdown.addEventListener("abort", done, { once: true });
      });
    }
  })();
}
