/**
 * Effectful container steps: create, start, and the two replacement sequences.
 *   start-first: new under a temporary name → ready → old renamed aside, new renamed to the
 *                name → old stopped and removed.
 *   stop-first:  old renamed aside and stopped → new under the name → ready → remove old;
 *                if the new one fails, it is removed and the old one renamed back and started.
 * A new container that never becomes ready is removed; the old one keeps (or resumes) serving.
 */
import type { DockerClient } from "../../../docker/client";
import {
  connectNetwork,
  containerNameOf,
  createContainerPullingIfMissing,
  ensureImage,
  inspectContainer,
  listContainers,
  removeContainer,
  renameContainer,
  startContainer,
  stopContainer,
} from "../../../docker/index";
import type { ContainerTracker } from "../../../docker/tracking";
import { UserError } from "../../../errors";
import { shortId } from "../common/hash";
import { LABEL_MANAGED, LABEL_NAME } from "../common/labels";
import { createPullProgress, pullWithProgress } from "../common/pull";
import { buildContainerCreateBody } from "./body";
import { waitReadyOrThrow } from "./ready";
import { DEFAULT_MIN_RUNNING_REPLACE_MS, type ContainerOptions, type ContainerSpec } from "./spec";
import type { ContainerObject } from "../../docker-objects";

/** What each step of a container resource's action works with: the engine, the desired container, its options, the log. */
export interface ContainerStep {
  docker: DockerClient;
  spec: ContainerSpec;
  options: ContainerOptions;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** The run's containers: a new one is in it (removed if the process is stopped) until it has taken over. */
  containers?: ContainerTracker;
}

const suffix = () => Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, "0");

/** Containers carrying `name` as their canonical name but running under another one. */
async function listLeftovers(d: DockerClient, name: string): Promise<{ id: string; name: string }[]> {
  const all = await listContainers(d, { all: true, labels: [`${LABEL_MANAGED}=true`, `${LABEL_NAME}=${name}`] });
  return all
    .map((c) => ({ id: c.Id, name: containerNameOf(c) }))
    .filter((c) => c.name !== name);
}

/** Every canonical name with containers left under other names: name → their names. */
export async function listLeftoverNames(d: DockerClient): Promise<Map<string, string[]>> {
  const all = await listContainers(d, { all: true, labels: [`${LABEL_MANAGED}=true`, LABEL_NAME] });
  const out = new Map<string, string[]>();
  for (const c of all) {
    const canonical = c.Labels?.[LABEL_NAME];
    const name = containerNameOf(c);
    if (!canonical || name === canonical) continue;
    out.set(canonical, [...(out.get(canonical) ?? []), name].sort());
  }
  return out;
}

/** Removes containers left under a temporary name by an interrupted replacement. */
export async function removeLeftovers(step: ContainerStep): Promise<void> {
  for (const c of await listLeftovers(step.docker, step.spec.name)) {
    await removeContainer(step.docker, c.id, { force: true });
    step.log(`removed leftover container ${c.name} (${shortId(c.id)})`);
  }
}

/** Creates; when the engine lacks the image, pulls it (with progress lines) and creates again. */
function createPullingIfMissing(step: ContainerStep, body: Record<string, unknown>, name: string): Promise<{ Id: string }> {
  return createContainerPullingIfMissing(step.docker, body, name, () => pullWithProgress(step.docker, step.spec.image, step.log, step.signal));
}

/** Pulls the spec's image (with progress lines) when the engine lacks it. */
async function ensureSpecImage(step: ContainerStep): Promise<void> {
  await ensureImage(step.docker, step.spec.image, { onPull: (ref) => step.log(`pulling ${ref}`), onProgress: createPullProgress(step.log), signal: step.signal });
}

/**
 * Creates, attaches and starts a container named `name`, then waits until it is ready.
 * If anything after the create fails, the new container is removed before rethrowing.
 */
async function launch(step: ContainerStep, name: string, replacing = false): Promise<string> {
  const { body, extraNetworks } = buildContainerCreateBody(step.spec);
  const { Id } = await createPullingIfMissing(step, body, name);
  step.containers?.track(step.docker, Id);
  try {
    for (const n of extraNetworks) await connectNetwork(step.docker, n.name, Id, { aliases: n.aliases });
    await startContainer(step.docker, Id);
    const waiting = step.spec.healthcheck && !("disable" in step.spec.healthcheck) ? " (waiting for healthy)" : "";
    step.log(`started container ${name} (${shortId(Id)})${waiting}`);
    const minRunningMs = step.options.min_running_ms ?? (replacing ? DEFAULT_MIN_RUNNING_REPLACE_MS : 0);
    const ms = await waitReadyOrThrow(step.docker, Id, { timeoutMs: step.options.health_timeout_ms, minRunningMs, signal: step.signal });
    if (ms > 500) step.log(`container ${name} is ready after ${(ms / 1000).toFixed(1)}s`);
    return Id;
  } catch (err) {
    await removeContainer(step.docker, Id, { force: true });
    step.containers?.untrack(Id);
    throw err;
  }
}

function failure(step: ContainerStep, what: string, err: unknown, after: string): UserError {
  return new UserError(`container ${step.spec.name}: ${what}: ${(err as Error).message}${after}`, 1, { cause: err });
}

export async function createFresh(step: ContainerStep): Promise<void> {
  await removeLeftovers(step);
  try {
    const id = await launch(step, step.spec.name);
    step.containers?.untrack(id);
  } catch (err) {
    throw failure(step, "the new container failed", err, " (it was removed)");
  }
}

export async function startExisting(step: ContainerStep): Promise<void> {
  const container = await inspectContainer(step.docker, step.spec.name);
  if (!container) throw new UserError(`container ${step.spec.name} no longer exists (plan again)`);
  if (container.State?.Paused) await step.docker.call("POST", `/containers/${container.Id}/unpause`);
  else await startContainer(step.docker, container.Id);
  step.log(`started container ${step.spec.name} (${shortId(container.Id)})`);
  try {
    await waitReadyOrThrow(step.docker, container.Id, { timeoutMs: step.options.health_timeout_ms, minRunningMs: step.options.min_running_ms, signal: step.signal });
  } catch (err) {
    throw failure(step, "did not become ready after start", err, "");
  }
}

function stopTimeoutOf(c: ContainerObject): number {
  return typeof c.Config?.StopTimeout === "number" ? c.Config.StopTimeout : 10;
}

export async function replaceStartFirst(step: ContainerStep): Promise<void> {
  const old = await inspectContainer(step.docker, step.spec.name);
  if (!old) return createFresh(step);
  await removeLeftovers(step);
  const temp = `${step.spec.name}-next-${suffix()}`;
  let id: string;
  try {
    id = await launch(step, temp, true);
  } catch (err) {
    throw failure(step, "the replacement failed", err, ` (it was removed; the old container ${shortId(old.Id)} keeps running)`);
  }
  // Hand the name over first, so that it always names a serving container; if we are
  // interrupted after this, the old one is a leftover under `-old-` (planned as cleanup).
  const aside = `${step.spec.name}-old-${suffix()}`;
  await renameContainer(step.docker, old.Id, aside);
  await renameContainer(step.docker, id, step.spec.name);
  step.containers?.untrack(id);
  step.log(`renamed ${temp} to ${step.spec.name}`);
  await stopContainer(step.docker, old.Id, stopTimeoutOf(old));
  await removeContainer(step.docker, old.Id, { force: true });
  step.log(`stopped and removed the old container ${shortId(old.Id)}`);
}

export async function replaceStopFirst(step: ContainerStep): Promise<void> {
  const old = await inspectContainer(step.docker, step.spec.name);
  if (!old) return createFresh(step);
  await removeLeftovers(step);
  await ensureSpecImage(step); // before stopping anything: a failed pull costs no downtime
  const aside = `${step.spec.name}-old-${suffix()}`;
  await renameContainer(step.docker, old.Id, aside);
  await stopContainer(step.docker, old.Id, stopTimeoutOf(old));
  step.log(`stopped the old container ${shortId(old.Id)} (renamed ${aside})`);
  let id: string;
  try {
    id = await launch(step, step.spec.name, true);
  } catch (err) {
    await renameContainer(step.docker, old.Id, step.spec.name);
    if (old.State?.Running) {
      await startContainer(step.docker, old.Id);
      await waitReadyOrThrow(step.docker, old.Id, { timeoutMs: step.options.health_timeout_ms, signal: step.signal }).catch((e: Error) =>
        step.log(`the restored container ${shortId(old.Id)} is not ready: ${e.message}`),
      );
    }
    throw failure(step, "the replacement failed", err, ` (it was removed; the old container ${shortId(old.Id)} was restored)`);
  }
  await removeContainer(step.docker, old.Id, { force: true });
  step.containers?.untrack(id);
  step.log(`removed the old container ${shortId(old.Id)}`);
}
