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

/** What each step of a Swarm service resource's action works with: the engine (a manager), the desired service, the log. */
export interface ServiceStep {
  docker: DockerClient;
  spec: ServiceSpec;
  timeoutMs: number;
  log: (line: string) => void;
  signal: AbortSignal;
}

/** Pins the image to the registry's digest (every node runs the same bytes), as `docker stack deploy` does. */
async function pinImage(step: ServiceStep): Promise<string> {
  try {
    const digest = await resolveRegistryDigest(step.docker, step.spec.image, step.signal);
    if (digest) return `${step.spec.image}@${digest}`;
  } catch (err) {
    step.log(`image ${step.spec.image} could not be looked up in its registry (${(err as Error).message}); nodes resolve the tag themselves`);
  }
  return step.spec.image;
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

async function buildBody(step: ServiceStep, forceUpdate: number): Promise<Record<string, unknown>> {
  const [image, secretIds, configIds] = await Promise.all([
    pinImage(step),
    resolveObjectIds(step.docker, "secrets", step.spec.secrets),
    resolveObjectIds(step.docker, "configs", step.spec.configs),
  ]);
  if (digestOf(image)) step.log(`image ${image}`);
  return buildServiceBody(step.spec, { image, secretIds, configIds, forceUpdate });
}

function converge(step: ServiceStep, id: string, body: Record<string, unknown>) {
  const target = targetOf(body.TaskTemplate);
  return waitForConvergence(step.docker, id, step.spec.name, { target, timeoutMs: step.timeoutMs, log: step.log, signal: step.signal });
}

export async function createServiceStep(step: ServiceStep): Promise<void> {
  const body = await buildBody(step, 0);
  const { ID } = await createService(step.docker, body, registryAuthHeader(step.spec.image));
  step.log(`created service ${step.spec.name} (${ID.slice(0, 12)})`);
  await converge(step, ID, body);
}

/** `force`: redeploy the tasks although the spec is unchanged (they failed or did not converge). */
export async function updateServiceStep(step: ServiceStep, force: boolean): Promise<void> {
  const live = await inspectService(step.docker, step.spec.name);
  if (!live) throw new UserError(`service ${step.spec.name} disappeared since the plan; plan again`);
  const body = await buildBody(step, (live.Spec?.TaskTemplate?.ForceUpdate ?? 0) + (force ? 1 : 0));
  const res = await updateService(step.docker, live.ID, live.Version.Index, body, registryAuthHeader(step.spec.image));
  for (const w of res?.Warnings ?? []) step.log(`warning: ${w}`);
  step.log(`updated service ${step.spec.name}; Swarm rolls its tasks (${step.spec.update.order})`);
  await converge(step, live.ID, body);
  await pruneReplacedObjects(step, live);
}

/** An update already under way (started by someone else, or an interrupted apply): wait for it. */
export async function waitForServiceStep(step: ServiceStep): Promise<void> {
  const live = await inspectService(step.docker, step.spec.name);
  if (!live) throw new UserError(`service ${step.spec.name} disappeared since the plan; plan again`);
  await waitForConvergence(step.docker, live.ID, step.spec.name, { target: targetOf(live.Spec?.TaskTemplate), timeoutMs: step.timeoutMs, log: step.log, signal: step.signal });
}

/** Remove and create again; the old tasks stop first (Swarm cannot change the mode in place). */
export async function recreateServiceStep(step: ServiceStep): Promise<void> {
  const live = await inspectService(step.docker, step.spec.name);
  if (live) {
    await removeService(step.docker, live.ID);
    step.log(`removed service ${step.spec.name} (${String(live.ID).slice(0, 12)})`);
    await waitUntilTasksGone(step, live.ID);
  }
  await createServiceStep(step);
  if (live) await pruneReplacedObjects(step, live);
}

async function waitUntilTasksGone(step: ServiceStep, id: string): Promise<void> {
  const deadline = Date.now() + step.timeoutMs;
  while ((await listServiceTasks(step.docker, { services: [id] })).length) {
    if (Date.now() > deadline) throw new UserError(`service ${step.spec.name}: old tasks still there after ${Math.round(step.timeoutMs / 1000)}s`);
    await Bun.sleep(250);
  }
}

/** Secret and config versions the old spec used and the new one does not: removed if ours and unused. */
async function pruneReplacedObjects(step: ServiceStep, old: ServiceObject): Promise<void> {
  const cs = old.Spec?.TaskTemplate?.ContainerSpec ?? {};
  const lists: [SwarmObjectKind, { id?: string; name?: string }[], FileRef[]][] = [
    ["secrets", (cs.Secrets ?? []).map((r: { SecretID?: string; SecretName?: string }) => ({ id: r.SecretID, name: r.SecretName })), step.spec.secrets],
    ["configs", (cs.Configs ?? []).map((r: { ConfigID?: string; ConfigName?: string }) => ({ id: r.ConfigID, name: r.ConfigName })), step.spec.configs],
  ];
  for (const [kind, oldRefs, newRefs] of lists) {
    const keep = new Set(newRefs.map((r) => r.source));
    for (const ref of oldRefs) {
      if (!ref.id || (ref.name !== undefined && keep.has(ref.name))) continue;
      const obj = await inspectSwarmObject(step.docker, kind, ref.id);
      const type = obj?.Spec?.Labels?.[LABEL_TYPE];
      if (!obj || !isManaged(obj.Spec?.Labels) || (type !== "deployster/docker-secret" && type !== "deployster/docker-config")) continue;
      await removeUnusedObject(step.docker, kind, obj.ID, obj.Spec.Name, step.log);
    }
  }
}
