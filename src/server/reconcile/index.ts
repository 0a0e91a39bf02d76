/**
 * The reconcile loop of `deployster serve`: it keeps what went live serving after the
 * rollout is over.
 *
 * - Engine events (die, destroy, health_status) of this server's instances: an instance
 *   that was serving and dies is unrouted at once and healed (heal.ts).
 * - Every (re)connection of the events stream (a restarted dockerd, a network blip): the
 *   instances are listed again and those that should serve but do not are healed (events
 *   missed while the stream was down are never replayed).
 * - Every `checkEveryMs` (1 s) and right after a die: the router check (routes.ts), which
 *   also brings back the routes of a restarted Caddy.
 * - While the engine cannot be reached, `ctx.engineDown` holds the reason (the API answers
 *   503 with it).
 *
 * Ends with the server's shutdown signal; `stop()` waits for the loops and heals in flight.
 */
import { watchEvents } from "../../docker/events";
import type { EngineEvent } from "../../docker/types";
import { DockerUnreachableError } from "../../docker/errors";
import type { ServerContext } from "../context";
import { dialOf, listInstances } from "../instances";
import { type Instance, isFailed } from "../instance-model";
import { instanceFilters } from "../labels";
import { healInstance } from "./heal";
import { markRemoved, wasServing, type InstanceRef } from "./records";
import { syncRoutes } from "./routes";

export interface ReconcilerOptions {
  /** Pause between two router checks (default 1000 ms). */
  checkEveryMs?: number;
}

export interface Reconciler {
  /** Waits for the loops and the heals in flight (call after the shutdown signal). */
  stop(): Promise<void>;
}

/** The instance identity carried by an event's attributes (its labels and name). */
export function refFromEvent(ev: EngineEvent): (InstanceRef & { id: string }) | undefined {
  const a = ev?.Actor?.Attributes ?? {};
  const instance = Number(a["deployster.instance"]);
  const id = String(ev?.Actor?.ID ?? ev?.id ?? "");
  if (!id || !a["deployster.service"] || !a["deployster.version"] || !a["deployster.timestamp"] || !Number.isInteger(instance)) return undefined;
  return { id, service: a["deployster.service"], version: a["deployster.version"], timestamp: a["deployster.timestamp"], instance, name: String(a.name ?? "") };
}

function refOf(i: Instance): InstanceRef & { id: string } {
  return { id: i.id, service: i.service, version: i.version, timestamp: i.timestamp, instance: i.instance, name: i.name };
}

export function startReconciler(ctx: ServerContext, o: ReconcilerOptions = {}): Reconciler {
  const every = o.checkEveryMs ?? 1000;
  const signal = ctx.shutdown;
  const healing = new Map<string, Promise<void>>();
  /** Last router address of each instance seen running (an exited container has none). */
  const dials = new Map<string, string>();
  let wake: (() => void) | undefined;
  let again = false;
  /** Resolved (and replaced) each time the events stream opens again. */
  let reconnected = Promise.withResolvers<void>();
  /** Runs the router check now (or right after the one under way). */
  const kick = () => {
    again = true;
    wake?.();
  };

  const remember = (instances: Instance[]) => {
    const ids = new Set(instances.map((i) => i.id));
    for (const id of dials.keys()) if (!ids.has(id)) dials.delete(id);
    for (const i of instances) {
      const dial = i.state === "running" ? dialOf(ctx, i) : undefined;
      if (dial) dials.set(i.id, dial);
    }
  };

  const heal = (ref: InstanceRef & { id: string }, why: string) => {
    if (healing.has(ref.id) || ctx.retiring.has(ref.id) || signal.aborted || !wasServing(ctx.log, ref)) return;
    const target = { ...ref, dial: dials.get(ref.id), onRouted: (dial: string) => dials.set(ref.id, dial), engineBack: () => reconnected.promise };
    const job = healInstance(ctx, target, why)
      .catch((err) => ctx.logger.warn(`${ref.name}: healing failed: ${(err as Error).message}`))
      .finally(() => healing.delete(ref.id));
    healing.set(ref.id, job);
    kick();
  };

  const onEvent = (ev: EngineEvent) => {
    if (ev?.Type !== "container") return;
    const ref = refFromEvent(ev);
    if (!ref) return;
    const action = String(ev.Action ?? "");
    if (action === "die") heal(ref, `Instance ${ref.instance} (${ref.name}) exited with code ${ev.Actor?.Attributes?.exitCode ?? "?"} at ${new Date().toISOString()}`);
    else if (action.startsWith("health_status") && action.includes("unhealthy")) heal(ref, `Instance ${ref.instance} (${ref.name}) turned unhealthy at ${new Date().toISOString()}`);
    else if (action === "destroy" && !healing.has(ref.id)) {
      const dial = dials.get(ref.id);
      dials.delete(ref.id);
      ctx.ready.delete(ref.id);
      if (ctx.router && dial) ctx.router.removeUpstream(ref.service, dial).catch(() => {});
      if (!ctx.retiring.has(ref.id) && wasServing(ctx.log, ref)) markRemoved(ctx.log, ref, `Instance ${ref.instance} (${ref.name}) was removed at ${new Date().toISOString()}`);
      kick();
    }
  };

  /** After every (re)connection: heal what should serve and does not. */
  const resync = async () => {
    try {
      const instances = await listInstances(ctx);
      remember(instances);
      for (const i of instances) {
        if (i.state === "running" && i.health !== "unhealthy") continue;
        if (i.state === "created" || i.state === "restarting" || isFailed(i)) heal(refOf(i), `Instance ${i.instance} (${i.name}) was found ${i.health === "unhealthy" ? "unhealthy" : i.state} at ${new Date().toISOString()}`);
      }
    } catch (err) {
      ctx.logger.warn(`reconcile: listing the instances failed: ${(err as Error).message}`);
    }
    kick();
  };

  const watching = watchEvents(
    ctx.docker,
    {
      filters: { type: ["container"], label: instanceFilters(ctx.config.scopeLabels) },
      signal,
      onConnect: () => {
        if (ctx.engineDown) ctx.logger.info("the Docker engine answers again; reconciling");
        ctx.engineDown = undefined;
        reconnected.resolve();
        reconnected = Promise.withResolvers<void>();
        void resync();
      },
      onDisconnect: (err) => {
        if (err instanceof DockerUnreachableError) {
          if (!ctx.engineDown) ctx.logger.warn(`${err.message}; retrying`);
          ctx.engineDown = err.message;
        } else ctx.logger.debug(`events stream: ${(err as Error)?.message ?? err}; reconnecting`);
      },
    },
    onEvent,
  );

  const checking = (async () => {
    while (!signal.aborted) {
      again = false;
      try {
        if (!ctx.engineDown) {
          const { listed } = await syncRoutes(ctx, new Set(healing.keys()));
          remember(listed);
        }
      } catch (err) {
        ctx.logger.debug(`router check: ${(err as Error).message}`);
      }
      if (again) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal.removeEventListener("abort", done);
          wake = undefined;
          resolve();
        };
        const t = setTimeout(done, every);
        wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
  })();

  return {
    async stop() {
      await Promise.allSettled([watching, checking, ...healing.values()]);
    },
  };
}
