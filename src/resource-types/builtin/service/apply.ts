/**
 * Effectful service steps: create, update (in place, Swarm rolls the tasks by the service's
 * update policy) and recreate (what Swarm cannot change in place); each waits for
 * convergence, then removes the secret and config versions the service stopped using.
 * The nodes pull with the credentials the Docker client config has for the image's registry.
 */
import { registryAuthHeader } from "../../../docker/auth";
import type { DockerClient } from "../../../docker/client";
import { inspectSwarmObject, listSwarmObjects, type SwarmObjectKind } from "../../../docker/secrets";
import { resolveRegistryDigest, updateService } from "../../../docker/services";
import { createService, inspectService, removeService } from "../../../docker/swarm";
import { listServiceTasks } from "../../../docker/tasks";
import { UserError } from "../../../errors";
import { isManaged, LABEL_TYPE } from "../common/labels";
import { removeUnusedObject } from "../secret/object";
import { buildServiceBody, digestOf } from "./body";
import { waitForConvergence } from "./converge";
import type { FileRef, ServiceSpec } from "./spec";
import { targetOf } from "./tasks";
import type { ServiceObject } from "../../docker-objects";

export interface ServiceStepContext {
  d: DockerClient;
  spec: ServiceSpec;
  timeoutMs: number;
  log: (line: string) => void;
  signal: AbortSignal;
}

/** Pins the image to the registry's digest (every node runs the same bytes), as `docker stack deploy` does. */
async function pinImage(ctx: ServiceStepContext): Promise<string> {
  try {
    const digest = await resolveRegistryDigest(ctx.d, ctx.spec.image, ctx.signal);
    if (digest) return `${ctx.spec.image}@${digest}`;
  } catch (err) {
    ctx.log(`image ${ctx.spec.image} could not be looked up in its registry (${(err as Error).message}); nodes resolve the tag themselves`);
  }
  return ctx.spec.image;
}

async function resolveObjectIds(d: DockerClient, kind: SwarmObjectKind, refs: FileRef[]): Promise<Record<string, string>> {
  const names = [...new Set(refs.map((r) => r.source))];
  if (!names.length) return {};
  const found = await listSwarmObjects(d, kind, { names });
  const ids: Record<string, string> = {};
  for (const o of found) if (names.includes(o.Spec?.Name)) ids[o.Spec.Name] = o.ID;
  const missing = names.filter((n) => !ids[n]);
  if (missing.length) throw new UserError(`${kind.slice(0, -1)} ${missing.join(", ")} does not exist (create it first, e.g. with deployster/docker-${kind.slice(0, -1)})`);
  return ids;
}

async function buildBody(ctx: ServiceStepContext, forceUpdate: number): Promise<Record<string, unknown>> {
  const [image, secretIds, configIds] = await Promise.all([
    pinImage(ctx),
    resolveObjectIds(ctx.d, "secrets", ctx.spec.secrets),
    resolveObjectIds(ctx.d, "configs", ctx.spec.configs),
  ]);
  if (digestOf(image)) ctx.log(`image ${image}`);
  return buildServiceBody(ctx.spec, { image, secretIds, configIds, forceUpdate });
}

function converge(ctx: ServiceStepContext, id: string, body: Record<string, unknown>) {
  const target = targetOf(body.TaskTemplate);
  return waitForConvergence(ctx.d, id, ctx.spec.name, { target, timeoutMs: ctx.timeoutMs, log: ctx.log, signal: ctx.signal });
}

export async function createServiceStep(ctx: ServiceStepContext): Promise<void> {
  const body = await buildBody(ctx, 0);
  const { ID } = await createService(ctx.d, body, registryAuthHeader(ctx.spec.image));
  ctx.log(`created service ${ctx.spec.name} (${ID.slice(0, 12)})`);
  await converge(ctx, ID, body);
}

/** `force`: redeploy the tasks although the spec is unchanged (they failed or did not converge). */
export async function updateServiceStep(ctx: ServiceStepContext, force: boolean): Promise<void> {
  const live = await inspectService(ctx.d, ctx.spec.name);
  if (!live) throw new UserError(`service ${ctx.spec.name} disappeared since the plan; plan again`);
  const body = await buildBody(ctx, (live.Spec?.TaskTemplate?.ForceUpdate ?? 0) + (force ? 1 : 0));
  const res = await updateService(ctx.d, live.ID, live.Version.Index, body, registryAuthHeader(ctx.spec.image));
  for (const w of res?.Warnings ?? []) ctx.log(`warning: ${w}`);
  ctx.log(`updated service ${ctx.spec.name}; Swarm rolls its tasks (${ctx.spec.update.order})`);
  await converge(ctx, live.ID, body);
  await pruneReplacedObjects(ctx, live);
}

/** An update already under way (started by someone else, or an interrupted apply): wait for it. */
export async function waitForServiceStep(ctx: ServiceStepContext): Promise<void> {
  const live = await inspectService(ctx.d, ctx.spec.name);
  if (!live) throw new UserError(`service ${ctx.spec.name} disappeared since the plan; plan again`);
  await waitForConvergence(ctx.d, live.ID, ctx.spec.name, { target: targetOf(live.Spec?.TaskTemplate), timeoutMs: ctx.timeoutMs, log: ctx.log, signal: ctx.signal });
}

/** Remove and create again; the old tasks stop first (Swarm cannot change the mode in place). */
export async function recreateServiceStep(ctx: ServiceStepContext): Promise<void> {
  const live = await inspectService(ctx.d, ctx.spec.name);
  if (live) {
    await removeService(ctx.d, live.ID);
    ctx.log(`removed service ${ctx.spec.name} (${String(live.ID).slice(0, 12)})`);
    await waitUntilTasksGone(ctx, live.ID);
  }
  await createServiceStep(ctx);
  if (live) await pruneReplacedObjects(ctx, live);
}

async function waitUntilTasksGone(ctx: ServiceStepContext, id: string): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs;
  while ((await listServiceTasks(ctx.d, { services: [id] })).length) {
    if (Date.now() > deadline) throw new UserError(`service ${ctx.spec.name}: old tasks still there after ${Math.round(ctx.timeoutMs / 1000)}s`);
    await Bun.sleep(250);
  }
}

/** Secret and config versions the old spec used and the new one does not: removed if ours and unused. */
async function pruneReplacedObjects(ctx: ServiceStepContext, old: ServiceObject): Promise<void> {
  const cs = old.Spec?.TaskTemplate?.ContainerSpec ?? {};
  const lists: [SwarmObjectKind, { id?: string; name?: string }[], FileRef[]][] = [
    ["secrets", (cs.Secrets ?? []).map((r: { SecretID?: string; SecretName?: string }) => ({ id: r.SecretID, name: r.SecretName })), ctx.spec.secrets],
    ["configs", (cs.Configs ?? []).map((r: { ConfigID?: string; ConfigName?: string }) => ({ id: r.ConfigID, name: r.ConfigName })), ctx.spec.configs],
  ];
  for (const [kind, oldRefs, newRefs] of lists) {
    const keep = new Set(newRefs.map((r) => r.source));
    for (const ref of oldRefs) {
      if (!ref.id || (ref.name !== undefined && keep.has(ref.name))) continue;
      const obj = await inspectSwarmObject(ctx.d, kind, ref.id);
      const type = obj?.Spec?.Labels?.[LABEL_TYPE];
      if (!obj || !isManaged(obj.Spec?.Labels) || (type !== "deployster/docker-secret" && type !== "deployster/docker-config")) continue;
      await removeUnusedObject(ctx.d, kind, obj.ID, obj.Spec.Name, ctx.log);
    }
  }
}
