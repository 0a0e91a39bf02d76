/** POST/GET/DELETE .../deploys, POST .../rollback (spec section 3 and decisions 7, 8). */
import { type DeployListResponse, type DeployResponse, deployStatusPath, formatTimestamp } from "../../api/v1";
import type { ServerContext } from "../context";
import { emptyResponse, errorResponse, HttpError, jsonResponse } from "../http";
import { forEachLimited, listInstances, retireInstance, discardInstance } from "../instances";
import { isFailed, newestInstance } from "../instance-model";
import { deployKey, splitDeployKey } from "../names";
import { findForeignNames } from "../rollout/boot";
import { type DeployPlan, planDeploy } from "../rollout/plan";
import { newRecord, runRollout } from "../rollout/run";
import type { DeployRequest } from "../validate";

function conflict(service: string): HttpError {
  return new HttpError(409, `A rollout of ${service} is already in progress.  Try again when it has finished (GET /v1/services/${service}/deploys shows its progress).`);
}

/**
 * Takes the service's lock (409 when busy), plans (400/409 on the original's checks), starts
 * the rollout in the background and answers 201 with a Location. The lock is released when
 * the rollout ends.
 */
export async function startDeploy(ctx: ServerContext, service: string, request: DeployRequest, rollbackOf?: string): Promise<Response> {
  if (ctx.shutdown.aborted) throw new HttpError(503, "The server is shutting down.");
  const max = ctx.config.limits.maxDeploys;
  if (ctx.rollouts.size >= max) {
    throw new HttpError(429, `${max} rollouts are in progress already (--max-deploys).  Try again when one has finished.`, { "Retry-After": "5" });
  }
  if (!ctx.locks.tryAcquire(service, "deploy")) throw conflict(service);
  let plan: DeployPlan;
  try {
    // Read at every deploy (and rollback): a file that does not parse is a 400 before anything starts.
    const config = ctx.configDir?.load(service, request.version);
    const instances = await listInstances(ctx, service);
    const timestamp = request.timestamp ?? formatTimestamp();
    plan = planDeploy({
      service,
      request: { ...request, timestamp },
      instances,
      imagePrefix: ctx.config.imagePrefix,
      startedAt: new Date().toISOString(),
      history: ctx.log.historyLabel(service),
      rollbackOf,
    });
    plan.config = config;
    const foreign = await findForeignNames(ctx, plan);
    if (foreign.length > 0) throw new HttpError(409, foreign[0]!.message);
  } catch (err) {
    ctx.locks.release(service);
    throw err;
  }
  const record = ctx.log.add(newRecord(plan));
  const work = runRollout(ctx, plan, record)
    .catch((err) => {
      record.state = "failed";
      record.reason = `The rollout stopped on an error: ${(err as Error).message}`;
      record.finished_at = new Date().toISOString();
      ctx.logger.warn(`${service}: ${record.reason}`);
    })
    .finally(() => ctx.locks.release(service));
  ctx.rollouts.add(work);
  work.finally(() => ctx.rollouts.delete(work));
  return emptyResponse(201, { Location: deployStatusPath(service, plan.version, plan.timestamp) });
}

export function listDeploys(ctx: ServerContext, service: string): Response {
  const body: DeployListResponse = { deploys: ctx.log.list(service) };
  return jsonResponse(200, body);
}

export function showDeploy(ctx: ServerContext, service: string, version: string, timestamp?: string): Response {
  const record = ctx.log.find(service, version, timestamp);
  if (!record) {
    const which = timestamp ? `${version} with timestamp ${timestamp}` : version;
    return errorResponse(404, `No recent deploy of ${service} ${which} is known.`);
  }
  const body: DeployResponse = { deploy: record };
  return jsonResponse(200, body);
}

const DESTROY_LOCK_WAIT_MS = 30_000;

/**
 * Destroys every instance of the version (of that timestamp only, when given). 204 even when
 * none matched. Holds the service lock meanwhile, so no rollout starts half-way through. A
 * rollout of that very version is cancelled first (it stops at its next safe point and
 * releases the lock); a rollout of another version is a 409: it is not this request's to stop.
 */
export async function destroyDeploy(ctx: ServerContext, service: string, version: string, timestamp?: string): Promise<Response> {
  const running = ctx.cancels.get(service);
  if (running && (running.version !== version || (timestamp !== undefined && running.timestamp !== timestamp))) {
    throw new HttpError(
      409,
      `A rollout of ${service} ${running.version} (timestamp ${running.timestamp}) is in progress.  Destroy that version to cancel it, or try again when it has finished.`,
    );
  }
  if (running) {
    ctx.logger.info(`${service} ${version}:${running.timestamp}: cancelling the rollout (DELETE)`);
    running.cancel.abort();
  }
  // The holder is a cancelled rollout reaching its safe point, or one that has just
  // finished: both release the lock within moments.
  if (!(await ctx.locks.acquireWithin(service, "destroy", DESTROY_LOCK_WAIT_MS))) throw conflict(service);
  try {
    const victims = (await listInstances(ctx, service)).filter((i) => i.version === version && (timestamp === undefined || i.timestamp === timestamp));
    await forEachLimited(victims, 4, (i) => (isFailed(i) ? discardInstance(ctx, i) : retireInstance(ctx, i)));
    ctx.log.settle(service, version, timestamp, "destroyed");
    await ctx.backend.pruneConfig(service).catch((err) => ctx.logger.warn(`${service}: pruning old secrets failed: ${(err as Error).message}`));
  } finally {
    ctx.locks.release(service);
  }
  return emptyResponse(204);
}

/**
 * Deploys the version the current one replaced, with destroy_previous, as many instances
 * as run now, under a new timestamp; the current deploy ends up `rolled_back`.
 */
export async function rollbackDeploy(ctx: ServerContext, service: string): Promise<Response> {
  if (ctx.locks.isHeld(service)) throw conflict(service);
  const instances = await listInstances(ctx, service);
  const active = instances.filter((i) => !isFailed(i));
  const current = newestInstance(active);
  if (!current) throw new HttpError(409, `Nothing of ${service} is running, so there is nothing to roll back.`);
  const currentKey = deployKey(current.version, current.timestamp);
  let target = current.previous;
  if (!target) {
    const earlier = ctx.log
      .list(service)
      .find((r) => deployKey(r.version, r.timestamp) !== currentKey && r.started_at < current.startedAt && r.state !== "failed" && r.state !== "rolling");
    if (earlier) target = deployKey(earlier.version, earlier.timestamp);
  }
  if (!target) throw new HttpError(409, `There is no previous version of ${service} to roll back to.`);
  const { version } = splitDeployKey(target)!;
  const count = active.filter((i) => deployKey(i.version, i.timestamp) === currentKey).length;
  return startDeploy(ctx, service, { version, destroyPrevious: true, instanceCount: count }, currentKey);
}
