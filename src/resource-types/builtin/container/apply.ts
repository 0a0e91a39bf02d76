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

export interface StepContext {
  d: DockerClient;
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
export async function removeLeftovers(ctx: StepContext): Promise<void> {
  for (const c of await listLeftovers(ctx.d, ctx.spec.name)) {
    await removeContainer(ctx.d, c.id, { force: true });
    ctx.log(`removed leftover container ${c.name} (${shortId(c.id)})`);
  }
}

/** Creates; when the engine lacks the image, pulls it (with progress lines) and creates again. */
function createPullingIfMissing(ctx: StepContext, body: Record<string, unknown>, name: string): Promise<{ Id: string }> {
  return createContainerPullingIfMissing(ctx.d, body, name, () => pullWithProgress(ctx.d, ctx.spec.image, ctx.log, ctx.signal));
}

/** Pulls the spec's image (with progress lines) when the engine lacks it. */
async function ensureSpecImage(ctx: StepContext): Promise<void> {
  await ensureImage(ctx.d, ctx.spec.image, { onPull: (ref) => ctx.log(`pulling ${ref}`), onProgress: createPullProgress(ctx.log), signal: ctx.signal });
}

/**
 * Creates, attaches and starts a container named `name`, then waits until it is ready.
 * If anything after the create fails, the new container is removed before rethrowing.
 */
async function launch(ctx: StepContext, name: string, replacing = false): Promise<string> {
  const { body, extraNetworks } = buildContainerCreateBody(ctx.spec);
  const { Id } = await createPullingIfMissing(ctx, body, name);
  ctx.containers?.track(ctx.d, Id);
  try {
    for (const n of extraNetworks) await connectNetwork(ctx.d, n.name, Id, { aliases: n.aliases });
    await startContainer(ctx.d, Id);
    const waiting = ctx.spec.healthcheck && !("disable" in ctx.spec.healthcheck) ? " (waiting for healthy)" : "";
    ctx.log(`started container ${name} (${shortId(Id)})${waiting}`);
    const minRunningMs = ctx.options.min_running_ms ?? (replacing ? DEFAULT_MIN_RUNNING_REPLACE_MS : 0);
    const ms = await waitReadyOrThrow(ctx.d, Id, { timeoutMs: ctx.options.health_timeout_ms, minRunningMs, signal: ctx.signal });
    if (ms > 500) ctx.log(`container ${name} is ready after ${(ms / 1000).toFixed(1)}s`);
    return Id;
  } catch (err) {
    await removeContainer(ctx.d, Id, { force: true });
    ctx.containers?.untrack(Id);
    throw err;
  }
}

function failure(ctx: StepContext, what: string, err: unknown, after: string): UserError {
  return new UserError(`container ${ctx.spec.name}: ${what}: ${(err as Error).message}${after}`, 1, { cause: err });
}

export async function createFresh(ctx: StepContext): Promise<void> {
  await removeLeftovers(ctx);
  try {
    const id = await launch(ctx, ctx.spec.name);
    ctx.containers?.untrack(id);
  } catch (err) {
    throw failure(ctx, "the new container failed", err, " (it was removed)");
  }
}

export async function startExisting(ctx: StepContext): Promise<void> {
  const c = await inspectContainer(ctx.d, ctx.spec.name);
  if (!c) throw new UserError(`container ${ctx.spec.name} no longer exists (plan again)`);
  if (c.State?.Paused) await ctx.d.call("POST", `/containers/${c.Id}/unpause`);
  else await startContainer(ctx.d, c.Id);
  ctx.log(`started container ${ctx.spec.name} (${shortId(c.Id)})`);
  try {
    await waitReadyOrThrow(ctx.d, c.Id, { timeoutMs: ctx.options.health_timeout_ms, minRunningMs: ctx.options.min_running_ms, signal: ctx.signal });
  } catch (err) {
    throw failure(ctx, "did not become ready after start", err, "");
  }
}

function stopTimeoutOf(c: ContainerObject): number {
  return typeof c.Config?.StopTimeout === "number" ? c.Config.StopTimeout : 10;
}

export async function replaceStartFirst(ctx: StepContext): Promise<void> {
  const old = await inspectContainer(ctx.d, ctx.spec.name);
  if (!old) return createFresh(ctx);
  await removeLeftovers(ctx);
  const temp = `${ctx.spec.name}-next-${suffix()}`;
  let id: string;
  try {
    id = await launch(ctx, temp, true);
  } catch (err) {
    throw failure(ctx, "the replacement failed", err, ` (it was removed; the old container ${shortId(old.Id)} keeps running)`);
  }
  // Hand the name over first, so that it always names a serving container; if we are
  // interrupted after this, the old one is a leftover under `-old-` (planned as cleanup).
  const aside = `${ctx.spec.name}-old-${suffix()}`;
  await renameContainer(ctx.d, old.Id, aside);
  await renameContainer(ctx.d, id, ctx.spec.name);
  ctx.containers?.untrack(id);
  ctx.log(`renamed ${temp} to ${ctx.spec.name}`);
  await stopContainer(ctx.d, old.Id, stopTimeoutOf(old));
  await removeContainer(ctx.d, old.Id, { force: true });
  ctx.log(`stopped and removed the old container ${shortId(old.Id)}`);
}

export async function replaceStopFirst(ctx: StepContext): Promise<void> {
  const old = await inspectContainer(ctx.d, ctx.spec.name);
  if (!old) return createFresh(ctx);
  await removeLeftovers(ctx);
  await ensureSpecImage(ctx); // before stopping anything: a failed pull costs no downtime
  const aside = `${ctx.spec.name}-old-${suffix()}`;
  await renameContainer(ctx.d, old.Id, aside);
  await stopContainer(ctx.d, old.Id, stopTimeoutOf(old));
  ctx.log(`stopped the old container ${shortId(old.Id)} (renamed ${aside})`);
  let id: string;
  try {
    id = await launch(ctx, ctx.spec.name, true);
  } catch (err) {
    await renameContainer(ctx.d, old.Id, ctx.spec.name);
    if (old.State?.Running) {
      await startContainer(ctx.d, old.Id);
      await waitReadyOrThrow(ctx.d, old.Id, { timeoutMs: ctx.options.health_timeout_ms, signal: ctx.signal }).catch((e: Error) =>
        ctx.log(`the restored container ${shortId(old.Id)} is not ready: ${e.message}`),
      );
    }
    throw failure(ctx, "the replacement failed", err, ` (it was removed; the old container ${shortId(old.Id)} was restored)`);
  }
  await removeContainer(ctx.d, old.Id, { force: true });
  ctx.containers?.untrack(id);
  ctx.log(`removed the old container ${shortId(old.Id)}`);
}
