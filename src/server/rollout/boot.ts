/** Boot step of the engine backend: pull the image when missing, then create and start the new instances. */
import { createContainer, inspectContainer, removeContainer, startContainer } from "../../docker/containers";
import { ensureImage } from "../../docker/images";
import type { BootedInstance } from "../backend/types";
import type { ServerContext } from "../context";
import { envList, instanceFacts } from "../config-dir";
import { formatGoDuration } from "../duration";
import { forEachLimited } from "../instances";
import { type ContainerLimits, limitsHostConfig } from "../limits";
import { ForeignContainerError, foreignReason } from "../ownership";
import { baseLabels, COMPONENT_INSTANCE, LABEL_CONFIG_DIGEST, LABEL_COUNT, LABEL_DESTROY_PREVIOUS, LABEL_HISTORY, LABEL_INSTANCE, LABEL_PORT, LABEL_PREVIOUS, LABEL_REPLACES, LABEL_ROLLBACK_OF, LABEL_SERVICE, LABEL_STARTED_AT, LABEL_TIMESTAMP, LABEL_VERSION } from "../labels";
import { isPortTaken, pickHostPort, PORT_ATTEMPTS } from "./host-port";
import { type DeployPlan, newInstanceName } from "./plan";

/**
 * Pulls `image` when the engine does not have it (credentials from the Docker client
 * config), for at most --pull-timeout, and no longer than `signal` allows.
 */
export async function prepareImage(ctx: ServerContext, image: string, signal: AbortSignal = ctx.shutdown): Promise<void> {
  const limit = ctx.config.limits.pullTimeoutMs;
  try {
    const onPull = () => ctx.logger.info(`pulling ${image}`);
    await ensureImage(ctx.docker, image, { onPull, signal: AbortSignal.any([signal, AbortSignal.timeout(limit)]) });
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

/** The secret files' mount: the configuration's directory, read-only at /run/secrets. */
export function secretsMount(dir: string | undefined): Record<string, unknown>[] | undefined {
  return dir ? [{ Type: "bind", Source: dir, Target: "/run/secrets", ReadOnly: true }] : undefined;
}

/**
 * The create body of new instance k (pure). Port published on --publish-host, on `hostPort`
 * when one was chosen (./host-port.ts; the instance is told it), else on a port Docker
 * chooses at start.
 * Environment: the plan's configuration, then the instance facts; `secretsDir` (the
 * configuration's secret files) is bind-mounted read-only at /run/secrets.
 */
export function buildInstanceBody(
  plan: DeployPlan,
  k: number,
  o: { containerPort: number; publishHost: string; instanceHost?: string; hostPort?: number; scope: Record<string, string>; limits?: ContainerLimits; secretsDir?: string },
): Record<string, unknown> {
  const port = `${o.containerPort}/tcp`;
  const labels = instanceLabels(plan, k, o);
  const facts = instanceFacts({
    service: plan.service,
    version: plan.version,
    timestamp: plan.timestamp,
    instance: String(k),
    hostIp: o.instanceHost ?? o.publishHost,
    containerPort: o.containerPort,
    publishedPort: o.hostPort,
  });
  return {
    Image: plan.image,
    Labels: labels,
    Env: envList(plan.config?.env, facts),
    ExposedPorts: { [port]: {} },
    HostConfig: {
      Mounts: secretsMount(o.secretsDir),
      PortBindings: { [port]: [{ HostIp: o.publishHost, HostPort: o.hostPort ? String(o.hostPort) : "" }] },
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
  if (plan.config) labels[LABEL_CONFIG_DIGEST] = plan.config.digest;
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
  // The port is chosen here when the engine shares this host's ports (./host-port.ts).
  const choosePort = ctx.docker.host.kind === "unix" && ctx.config.instanceHost === undefined;
  for (let attempt = 1; ; attempt++) {
    const hostPort = choosePort ? await pickHostPort(ctx.config.publishHost) : undefined;
    const release = plan.config && ctx.configDir ? ctx.configDir.hold(plan.service, plan.config.digest) : () => {};
    let Id: string;
    try {
      const body = buildInstanceBody(plan, k, {
        containerPort: ctx.config.containerPort,
        publishHost: ctx.config.publishHost,
        instanceHost: ctx.config.instanceHost,
        hostPort,
        scope: ctx.config.scopeLabels,
        limits: ctx.config.limits.instance,
        secretsDir: plan.config ? ctx.configDir?.writeEngineSecrets(plan.config) : undefined,
      });
      ({ Id } = await createContainer(ctx.docker, body, name));
    } finally {
      // From here on the container's label keeps the secrets from being pruned.
      release();
    }
    try {
      await startContainer(ctx.docker, Id);
    } catch (err) {
      if (hostPort !== undefined && attempt < PORT_ATTEMPTS && isPortTaken(err)) {
        ctx.logger.info(`${name}: port ${hostPort} was taken meanwhile; choosing another`);
        await removeContainer(ctx.docker, Id, { force: true });
        continue;
      }
      // A container that cannot start stays "created": it is the failed instance; the caller removes it.
      ctx.logger.warn(`${name} failed to start: ${(err as Error).message}`);
      throw Object.assign(err as Error, { containerId: Id, containerName: name });
    }
    return { k, id: Id, name, startedAtMs: Date.now() };
  }
}

/** Removes failed leftovers whose names the new instances need. */
export async function removeLeftovers(ctx: ServerContext, plan: DeployPlan): Promise<void> {
  for (const l of plan.leftovers) await removeContainer(ctx.docker, l.id, { force: true });
}
