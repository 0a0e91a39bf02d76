/**
 * Healing one instance that stopped serving after its deploy went live.
 *
 * Choice: the same container is started again (restarted when its HEALTHCHECK reports it
 * unhealthy) rather than replaced by a new one: it keeps its name, labels and logs (the
 * crash stays visible in `docker logs`), the engine does it in a fraction of a second, and
 * it is what a restarted dockerd leaves behind anyway (every container exited, none gone).
 * A container that is gone was removed by someone with access to the engine: it is taken
 * out of the router and recorded as removed, not re-created behind their back.
 *
 * The sequence: out of the router at once, not ready, recorded as down → start → the same
 * readiness gate as a rollout → routed again, recorded as up. A failed attempt waits (1 s,
 * doubling to 30 s) and tries again, for as long as the deploy still wants the instance and
 * the instance is not being retired; shutdown ends it at once, the engine's return (after it
 * could not be reached) cuts the pause short.
 */
import { inspectContainer, startContainer } from "../../docker/containers";
import type { ServerContext } from "../context";
import { dialOf, routeInstance } from "../instances";
import { probeUntilReady } from "../readiness";
import { unrouteStale } from "./routes";
import { markAttempt, markDown, markLeftDown, markRemoved, markUp, stillWanted, type InstanceRef } from "./records";
import { sleepUnlessAborted } from "../../sleep";

export interface HealTarget extends InstanceRef {
  id: string;
  /** Its last known router address, unrouted first. */
  dial?: string;
  /** Told the new router address once it serves again. */
  onRouted?: (dial: string) => void;
  /** Resolves when the engine answers again after being unreachable: a pending retry goes at once. */
  engineBack?: () => Promise<void>;
}

/** Pause before attempt n+1 (n ≥ 1): 1 s doubling, at most 30 s. */
export function retryPause(attempt: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempt - 1), 30_000);
}


/**
 * One attempt's engine calls may take this long. A dockerd that is starting accepts
 * connections but answers nothing for a while: without this bound an attempt would wait for
 * the client's own timeout (minutes) instead of trying again once the engine answers.
 */
const BRING_UP_TIMEOUT_MS = 10_000;

/** `p`, or a rejection once `ms` have passed (the late call is left to its own timeout). */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the engine did not answer ${what} within ${ms / 1000}s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Starts (or restarts) the container; false when it is gone. */
async function bringUp(ctx: ServerContext, id: string): Promise<boolean> {
  const info = await inspectContainer(ctx.docker, id);
  if (!info) return false;
  const st = info.State ?? {};
  if (st.Status === "running" && st.Health?.Status === "unhealthy") {
    await ctx.docker.call("POST", `/containers/${encodeURIComponent(id)}/restart`, { query: { t: 2 } });
  } else if (st.Status !== "running" && st.Status !== "restarting") {
    await startContainer(ctx.docker, id);
  }
  return true;
}

/** Heals one instance; resolves when it serves again or is no longer wanted. Never rejects. */
export async function healInstance(ctx: ServerContext, t: HealTarget, why: string): Promise<void> {
  const say = (m: string) => ctx.logger.warn(`${t.name}: ${m}`);
  ctx.ready.delete(t.id);
  if (ctx.router) {
    // Its last address when known; else whatever upstream of the service has no running instance behind it.
    const unrouting = t.dial ? ctx.router.removeUpstream(t.service, t.dial) : unrouteStale(ctx, t.service, t.id);
    await unrouting.catch((err) => say(`unrouting failed: ${(err as Error).message}`));
  }
  if (!ctx.config.heal) {
    markLeftDown(ctx.log, t, why);
    say(`${why}; unrouted, left down (--no-heal)`);
    return;
  }
  markDown(ctx.log, t, why);
  say(`${why}; unrouted, restarting it`);
  const wanted = () => !ctx.shutdown.aborted && !ctx.retiring.has(t.id) && stillWanted(ctx.log, t);
  for (let attempt = 1; wanted(); attempt++) {
    let failure: string;
    try {
      if (!(await withDeadline(bringUp(ctx, t.id), BRING_UP_TIMEOUT_MS, "starting it"))) {
        markRemoved(ctx.log, t, `${why}; then the container was removed`);
        say("the container is gone; not restarted");
        return;
      }
      const outcome = await probeUntilReady(ctx.docker, t.id, {
        containerPort: ctx.config.containerPort,
        publishHost: ctx.config.publishHost,
        instanceHost: ctx.config.instanceHost,
        healthPath: ctx.config.healthPath,
        deadline: Date.now() + ctx.config.healthTimeoutMs,
        signal: ctx.shutdown,
      });
      if (outcome.ready) {
        if (!wanted()) return;
        ctx.ready.add(t.id);
        const dial = dialOf(ctx, { hostPort: outcome.hostPort, hostIp: ctx.config.publishHost });
        // A router that does not answer now gets the instance from the periodic router check.
        if (ctx.router && dial) await routeInstance(ctx, t.service, t.id, dial).catch((err) => say(`routing failed: ${(err as Error).message}`));
        if (dial) t.onRouted?.(dial);
        markUp(ctx.log, t, why, attempt);
        ctx.logger.info(`${t.name}: ready and routed again${dial ? ` at ${dial}` : ""} (attempt ${attempt})`);
        return;
      }
      if (outcome.aborted) return;
      failure = outcome.why;
    } catch (err) {
      failure = (err as Error).message;
    }
    if (!wanted()) return;
    markAttempt(ctx.log, t, why, attempt, failure);
    say(`attempt ${attempt} failed (${failure}); next in ${retryPause(attempt) / 1000}s`);
    await Promise.race([sleepUnlessAborted(retryPause(attempt), ctx.shutdown), ...(t.engineBack ? [t.engineBack()] : [])]);
  }
}

