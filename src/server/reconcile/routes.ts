/**
 * The router check: Caddy is compared with the engine and put right. A restarted Caddy
 * comes back with its initial configuration (our routes gone), and a change can be lost
 * while its admin API is down; so, periodically, every service's route gets back the
 * instances that are running and ready, and loses the upstreams no running instance is
 * behind any more.
 *
 * Order matters for the removals: the router is read before the engine is listed, so an
 * upstream seen in the router belonged to a running instance before the listing began; one
 * with no running instance in the listing is really stale, never a brand-new instance.
 */
import type { ServerContext } from "../context";
import { dialOf, listInstances, routeInstance } from "../instances";
import type { Instance } from "../instance-model";

export interface RouteCandidate {
  id: string;
  dial: string;
  /** Running, ready, not retiring, not being healed: belongs in the router. */
  wanted: boolean;
}

/** The port of a `host:port` dial address (ports identify instances on one engine host). */
export function portOf(dial: string): string {
  return dial.slice(dial.lastIndexOf(":") + 1);
}

/** What to change in one service's upstreams (pure). `running` lists the running instances only. */
export function planRouteChanges(upstreams: string[], running: RouteCandidate[]): { add: RouteCandidate[]; remove: string[] } {
  const runningPorts = new Set(running.map((r) => portOf(r.dial)));
  const routedPorts = new Set(upstreams.map(portOf));
  return {
    add: running.filter((r) => r.wanted && !routedPorts.has(portOf(r.dial))),
    remove: upstreams.filter((u) => !runningPorts.has(portOf(u))),
  };
}

/** True when the instance belongs in the router now. */
export function isWanted(ctx: ServerContext, i: Instance, healing: ReadonlySet<string>): boolean {
  return i.state === "running" && i.health !== "unhealthy" && ctx.ready.has(i.id) && !ctx.retiring.has(i.id) && !healing.has(i.id);
}

function candidates(ctx: ServerContext, instances: Instance[], healing: ReadonlySet<string>): Map<string, RouteCandidate[]> {
  const by = new Map<string, RouteCandidate[]>();
  for (const i of instances) {
    const dial = dialOf(ctx, i);
    if (i.state !== "running" || !dial) continue;
    by.set(i.service, [...(by.get(i.service) ?? []), { id: i.id, dial, wanted: isWanted(ctx, i, healing) }]);
  }
  return by;
}

export interface SyncResult {
  added: number;
  removed: number;
  /** The instances as listed for the check. */
  listed: Instance[];
}

/** One check of every service's route. */
export async function syncRoutes(ctx: ServerContext, healing: ReadonlySet<string>): Promise<SyncResult> {
  const router = ctx.router;
  if (!router) return { added: 0, removed: 0, listed: [] };
  const services = [...new Set((await listInstances(ctx)).map((i) => i.service))];
  const routed = new Map<string, string[]>();
  for (const s of services) routed.set(s, await router.upstreams(s));
  const listed = await listInstances(ctx);
  const now = candidates(ctx, listed, healing);
  let added = 0;
  let removed = 0;
  for (const service of services) {
    const { add, remove } = planRouteChanges(routed.get(service) ?? [], now.get(service) ?? []);
    for (const dial of remove) {
      await router.removeUpstream(service, dial);
      removed++;
    }
    for (const c of add) {
      // Re-checked at the last moment: a retirement may have started since the listing.
      if (ctx.retiring.has(c.id) || healing.has(c.id) || !ctx.ready.has(c.id)) continue;
      await routeInstance(ctx, service, c.id, c.dial);
      added++;
    }
    if (add.length || remove.length) {
      ctx.logger.info(`${service}: router put right (${add.length} upstream(s) re-added, ${remove.length} stale removed)`);
    }
  }
  return { added, removed, listed };
}

/**
 * Removes the upstreams of one service that no running instance is behind (same order rule
 * as syncRoutes), counting `dead` as not running: right after its die event the engine may
 * still list a container as running, with its port.
 */
export async function unrouteStale(ctx: ServerContext, service: string, dead?: string): Promise<number> {
  const router = ctx.router;
  if (!router) return 0;
  const routed = await router.upstreams(service);
  if (routed.length === 0) return 0;
  const running = (candidates(ctx, await listInstances(ctx, service), new Set()).get(service) ?? []).filter((c) => c.id !== dead);
  const { remove } = planRouteChanges(routed, running);
  for (const dial of remove) await router.removeUpstream(service, dial);
  return remove.length;
}
