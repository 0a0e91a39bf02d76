/** Boot step of the engine backend: pull the image when missing, then create and start the new instances. */
import { createContainer, inspectContainer, removeContainer, startContainer } from "../../docker/containers";
import { inspectImage, pullImage } from "../../docker/images";
import type { BootedInstance } from "../backend/types";
import type { ServerContext } from "../context";
import { formatGoDuration } from "../duration";
import { forEachLimited } from "../instances";
import { type ContainerLimits, limitsHostConfig } from "../limits";
import { ForeignContainerError, foreignReason } from "../ownership";
import {
  baseLabels,
  COMPONENT_INSTANCE,
  LABEL_COUNT,
  LABEL_DESTROY_PREVIOUS,
  LABEL_HISTORY,
  LABEL_INSTANCE,
  LABEL_PORT,
  LABEL_PREVIOUS,
  LABEL_REPLACES,
  LABEL_ROLLBACK_OF,
  LABEL_SERVICE,
  LABEL_STARTED_AT,
  LABEL_TIMESTAMP,
  LABEL_VERSION,
} from "../naming";
import { type DeployPlan, newInstanceName } from "./plan";

/**
 * Pulls `image` when the engine does not have it (credentials from the Docker client
 * config), for at most --pull-timeout, and no longer than `signal` allows.
 */
export async function ensureImage(ctx: ServerContext, image: string, signal: AbortSignal = ctx.shutdown): Promise<void> {
  if (await inspectImage(ctx.docker, image)) return;
  ctx.logger.info(`pulling ${image}`);
  const limit = ctx.config.limits.pullTimeoutMs;
  try {
    await pullImage(ctx.docker, image, { signal: AbortSignal.any([signal, AbortSignal.timeout(limit)]) });
  } catch (err) {
    if ((err as Error)?.name === "TimeoutError") throw new Error(`the pull took longer than ${formatGoDuration(limit)} (--pull-timeout)`);
    throw err;
  }
}

/** Names of the plan's new instances that are taken by containers this server did not create. */
export async function findForeignNames(ctx: ServerContext, plan: DeployPlan): Promise<ForeignContainerError[]> {
  const found: ForeignContainerError[] = [];
  const ks = Array.from({ length: plan.count }, (_, i) => i + 1);
  await forEachLimited(ks, 8, async (k) => {
    const name = newInstanceName(plan, k);
    const existing = await inspectContainer(ctx.docker, name);
    const why = existing && foreignReason(existing.Config?.Labels, ctx.config.scopeLabels, { ...plan, instance: k });
    if (why) found.push(new ForeignContainerError(name, why));
  });
  return found;
}

/** The create body of new instance k (pure). Port published on --publish-host, ephemeral host port. */
export function buildInstanceBody(
  plan: DeployPlan,
  k: number,
  o: { containerPort: number; publishHost: string; scope: Record<string, string>; limits?: ContainerLimits },
): Record<string, unknown> {
  const port = `${o.containerPort}/tcp`;
  const labels = instanceLabels(plan, k, o);
  return {
    Image: plan.image,
    Labels: labels,
    ExposedPorts: { [port]: {} },
    HostConfig: {
      PortBindings: { [port]: [{ HostIp: o.publishHost, HostPort: "" }] },
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
      ...limitsHostConfig(o.limits ?? {}),
    },
  };
}

/** The labels of new instance k (pure): everything a restarted server needs to know about it. */
export function instanceLabels(plan: DeployPlan, k: number, o: { containerPort: number; scope: Record<string, string> }): Record<string, string> {
  const labels: Record<string, string> = {
    ...baseLabels(o.scope, COMPONENT_INSTANCE),
    [LABEL_SERVICE]: plan.service,
    [LABEL_VERSION]: plan.version,
    [LABEL_TIMESTAMP]: plan.timestamp,
    [LABEL_INSTANCE]: String(k),
    [LABEL_PORT]: String(o.containerPort),
    [LABEL_COUNT]: String(plan.count),
    [LABEL_DESTROY_PREVIOUS]: String(plan.destroyPrevious),
    [LABEL_STARTED_AT]: plan.startedAt,
    [LABEL_HISTORY]: plan.history,
  };
  const replaces = plan.replaces.get(k);
  if (replaces) labels[LABEL_REPLACES] = replaces;
  if (plan.previous) labels[LABEL_PREVIOUS] = plan.previous.key;
  if (plan.rollbackOf) labels[LABEL_ROLLBACK_OF] = plan.rollbackOf;
  return labels;
}

/**
 * Creates (or, when resuming, finds) instance k and starts it. A container of that name that
 * already exists is reused when running, started when created, and reported failed when exited.
 */
export async function bootInstance(ctx: ServerContext, plan: DeployPlan, k: number): Promise<BootedInstance> {
  const name = newInstanceName(plan, k);
  const existing = await inspectContainer(ctx.docker, name);
  if (existing) {
    const why = foreignReason(existing.Config?.Labels, ctx.config.scopeLabels, { ...plan, instance: k });
    if (why) throw new ForeignContainerError(name, why);
    const status = existing.State?.Status;
    if (status === "exited" || status === "dead") return { k, id: existing.Id, name, exited: true, startedAtMs: Date.now() };
    if (status === "created") {
      await startContainer(ctx.docker, existing.Id);
      return { k, id: existing.Id, name, startedAtMs: Date.now() };
    }
    const started = Date.parse(existing.State?.StartedAt ?? "");
    return { k, id: existing.Id, name, startedAtMs: Number.isFinite(started) ? started : Date.now() };
  }
  const body = buildInstanceBody(plan, k, {
    containerPort: ctx.config.containerPort,
    publishHost: ctx.config.publishHost,
    scope: ctx.config.scopeLabels,
    limits: ctx.config.limits.instance,
  });
  const { Id } = await createContainer(ctx.docker, body, name);
  try {
    await startContainer(ctx.docker, Id);
  } catch (err) {
    // A container that cannot start stays "created": it is the failed instance; the caller removes it.
    ctx.logger.warn(`${name} failed to start: ${(err as Error).message}`);
    throw Object.assign(err as Error, { containerId: Id, containerName: name });
  }
  return { k, id: Id, name, startedAtMs: Date.now() };
}

/** Removes failed leftovers whose names the new instances need. */
export async function removeLeftovers(ctx: ServerContext, plan: DeployPlan): Promise<void> {
  for (const l of plan.leftovers) await removeContainer(ctx.docker, l.id, { force: true });
}
