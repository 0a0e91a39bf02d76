import type { DockerClient } from "../../../docker/client";
import { findServices, resolveRegistryDigest } from "../../../docker/services";
import { listServiceTasks } from "../../../docker/tasks";
import type { ActionSpec, ResourceType } from "../../../engine/resource-type";
import { BurstCache } from "../common/burst-cache";
import { LABEL_MANAGED } from "../common/labels";
import { Masker } from "../common/mask";
import { builtinInit, makeLog, unknownAction, type ActionRequest, type BuiltinTypeOptions, type StateRequest } from "../common/runtime";
import { createServiceStep, recreateServiceStep, updateServiceStep, waitForServiceStep, type ServiceStepContext } from "./apply";
import { readNodes } from "./converge";
import { planService } from "./plan";
import { serviceConfigSchema } from "./schema";
import { convergeTimeoutMs, normalizeServiceConfig, SERVICE_TYPE, serviceSecretValues } from "./spec";
import { isConverged, summarizeTasks } from "./tasks";
import type { ServiceObject, TaskObject } from "../../docker-objects";

async function masked<T>(masker: Masker, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw masker.maskError(err);
  }
}

/**
 * The read-only facts a plan needs, shared by all services of one plan burst: one listing
 * of deployster's services (with their task counts), one of their running tasks, the nodes,
 * and one registry lookup per image.
 */
function createFactReader(cache: BurstCache) {
  const services = (d: DockerClient) =>
    cache.get("swarm:services", () => findServices(d, { labels: [`${LABEL_MANAGED}=true`], status: true }));
  return {
    async service(d: DockerClient, name: string): Promise<ServiceObject | null> {
      const mine = (await services(d)).find((s) => s.Spec?.Name === name);
      if (mine) return mine;
      // Not ours (or absent): ask by name, so that a foreign service of that name is reported.
      const other = await findServices(d, { names: [name], status: true });
      return other.find((s) => s.Spec?.Name === name) ?? null;
    },
    async runningTasks(d: DockerClient): Promise<TaskObject[]> {
      return cache.get("swarm:running-tasks", async () => {
        const ids = (await services(d)).map((s) => s.ID as string);
        return listServiceTasks(d, { services: ids, desiredState: ["running"] });
      });
    },
    nodes: (d: DockerClient) => cache.get("swarm:nodes", () => readNodes(d)),
    /**
     * Starts the shared reads without waiting: init runs for every resource before the walk,
     * so the listings are on their way while dependencies (the network...) are planned.
     * Failures are ignored here; a state query that needs the data asks again and reports.
     */
    prefetch(d: DockerClient): void {
      for (const p of [this.runningTasks(d), this.nodes(d)]) p.catch(() => {});
    },
    digest: (d: DockerClient, image: string) =>
      cache.get(`swarm:digest:${image}`, () => resolveRegistryDigest(d, image).catch(() => undefined)),
  };
}

export function createServiceType(opts: BuiltinTypeOptions): ResourceType {
  const cache = opts.cache ?? new BurstCache();
  const facts = createFactReader(cache);
  return {
    type: SERVICE_TYPE,
    async init() {
      // Best effort, and never part of the answer: init does not depend on the engine.
      try {
        facts.prefetch(opts.docker());
      } catch {
        /* no engine client: the state query will say so */
      }
      return builtinInit(serviceConfigSchema);
    },
    async state(req: StateRequest) {
      const spec = normalizeServiceConfig(req.name, req.config, req.workspace);
      const masker = new Masker(serviceSecretValues(spec));
      return masked(masker, async () => {
        const d = opts.docker();
        const [service, nodes, registryDigest] = await Promise.all([facts.service(d, spec.name), facts.nodes(d), facts.digest(d, spec.image)]);
        let tasks = service ? (await facts.runningTasks(d)).filter((t) => t.ServiceID === service.ID) : [];
        // Not converged: its whole task history tells why (the errors of the failed tasks).
        if (service && !isConverged(summarizeTasks(service, tasks, nodes))) tasks = await listServiceTasks(d, { services: [service.ID] });
        const result = planService(spec, { service, tasks, nodes, registryDigest });
        if (result.status === "STALE") for (const a of result.actions) if (a.description) a.description = masker.mask(a.description);
        return result;
      });
    },
    action(req: ActionRequest, action: ActionSpec, _init, _mounts, io) {
      return cache.around(async () => {
        const spec = normalizeServiceConfig(req.name, req.config, req.workspace);
        const masker = new Masker(serviceSecretValues(spec));
        const ctx: ServiceStepContext = { d: opts.docker(), spec, timeoutMs: convergeTimeoutMs(req.config), log: makeLog(io, masker), signal: io.signal };
        await masked(masker, async () => {
          switch (action.name) {
            case "create":
              return createServiceStep(ctx);
            case "update":
              return updateServiceStep(ctx, action.args?.[0] === "force");
            case "recreate":
              return recreateServiceStep(ctx);
            case "wait":
              return waitForServiceStep(ctx);
            default:
              unknownAction(SERVICE_TYPE, action);
          }
        });
      });
    },
  };
}
