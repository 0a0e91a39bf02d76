/**
 * GET .../units (spec section 3, decision 2). The Fleet vocabulary: running and ready →
 * `launched`; created/starting (or running, not ready yet) → `loaded`; exited/dead →
 * `inactive`. Extra fields (container, port, health, routing) follow the original ones.
 */
import type { Unit, UnitsResponse } from "../../api/v1";
import type { ServerContext } from "../context";
import { jsonResponse } from "../http";
import { dialOf, listInstances } from "../instances";
import type { Instance } from "../instance-model";


/** The digest of the configuration each version would get now (undefined: none, or unreadable). */
function currentDigests(ctx: ServerContext, service: string, versions: string[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const v of new Set(versions)) {
    try {
      out.set(v, ctx.configDir?.load(service, v).digest);
    } catch {
      out.set(v, undefined);
    }
  }
  return out;
}

export function currentState(i: Pick<Instance, "state" | "health">, ready: boolean): Unit["current_state"] {
  if (i.state === "running") return ready ? "launched" : "loaded";
  if (i.state === "created" || i.state === "restarting" || i.state === "paused") return "loaded";
  return "inactive";
}

/** Null when it cannot be told (no --config-dir, or the files do not parse now). */
export function isConfigCurrent(started: string | undefined, now: string | undefined, configured: boolean): boolean | null {
  if (!configured || now === undefined) return null;
  return started === now;
}

export async function listUnits(ctx: ServerContext, service: string): Promise<Response> {
  const body: UnitsResponse = { units: await collectUnits(ctx, service) };
  return jsonResponse(200, body);
}

/** The units of a service, as GET .../units shows them (also the status page's instances). */
export async function collectUnits(ctx: ServerContext, service: string): Promise<Unit[]> {
  const instances = await listInstances(ctx, service);
  const routed = ctx.router ? new Set(await ctx.router.upstreams(service).catch(() => [] as string[])) : undefined;
  const current = currentDigests(ctx, service, instances.map((i) => i.version));
  const units: Unit[] = [];
  for (const i of instances.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.instance - b.instance)) {
    // Ready: healthy per its HEALTHCHECK, else seen ready by a rollout, else its port answers now.
    const ready = await ctx.backend.isReadyNow(i, ctx.ready);
    const dial = dialOf(ctx, i);
    units.push({
      service: i.service,
      instance: String(i.instance),
      version: i.version,
      current_state: currentState(i, ready),
      desired_state: ctx.retiring.has(i.id) ? "inactive" : "launched",
      machine_id: await ctx.backend.machineId(i),
      deploy_timestamp: i.timestamp,
      container_id: i.id,
      container_name: i.name,
      container_state: i.state,
      host_port: i.hostPort ?? null,
      health: i.health ?? null,
      ready,
      routed: routed ? !!dial && routed.has(dial) : null,
      config_digest: i.configDigest ?? null,
      config_current: isConfigCurrent(i.configDigest, current.get(i.version), !!ctx.configDir),
      address: dial ?? null,
      created_at: i.created ? new Date(i.created * 1000).toISOString() : null,
    });
  }
  return units;
}
