import { inspectContainer, inspectImage } from "../../../docker/index";
import { BurstCache } from "../common/burst-cache";
import type { ActionSpec, ResourceType } from "../../../engine/resource-type";
import { Masker } from "../common/mask";
import { builtinInit, makeLog, unknownAction, type ActionRequest, type BuiltinTypeOptions, type StateRequest } from "../common/runtime";
import { createFresh, listLeftoverNames, removeLeftovers, replaceStartFirst, replaceStopFirst, startExisting, type StepContext } from "./apply";
import { planContainer } from "./plan";
import { containerConfigSchema } from "./schema";
import { CONTAINER_TYPE, normalizeContainerConfig, normalizeContainerOptions, secretValues } from "./spec";

/** Runs `fn`, masking secret values in whatever it throws. */
async function masked<T>(masker: Masker, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw masker.maskError(err);
  }
}

export function createContainerType(opts: BuiltinTypeOptions): ResourceType {
  const cache = opts.cache ?? new BurstCache();
  return {
    type: CONTAINER_TYPE,
    async init() {
      return builtinInit(containerConfigSchema);
    },
    async state(req: StateRequest) {
      const spec = normalizeContainerConfig(req.name, req.config, req.workspace);
      const masker = new Masker(secretValues(spec));
      return masked(masker, async () => {
        const d = opts.docker();
        // One image inspect and one leftover listing serve every container of a plan burst.
        const [container, image, leftovers] = await Promise.all([
          inspectContainer(d, spec.name),
          cache.get(`image:${spec.image}`, () => inspectImage(d, spec.image)),
          cache.get("leftovers", () => listLeftoverNames(d)).then((all) => all.get(spec.name) ?? []),
        ]);
        const result = planContainer(spec, normalizeContainerOptions(req.config), { container, image, leftovers });
        // Descriptions are built from masked diffs; this is the belt to those braces.
        if (result.status === "STALE") for (const a of result.actions) if (a.description) a.description = masker.mask(a.description);
        return result;
      });
    },
    action(req: ActionRequest, action: ActionSpec, _init, _mounts, io) {
      return cache.around(async () => {
        const spec = normalizeContainerConfig(req.name, req.config, req.workspace);
        const masker = new Masker(secretValues(spec));
        const ctx: StepContext = {
          d: opts.docker(),
          spec,
          options: normalizeContainerOptions(req.config),
          log: makeLog(io, masker),
          signal: io.signal,
          containers: opts.containers,
        };
        await masked(masker, async () => {
          switch (action.name) {
            case "create":
              return createFresh(ctx);
            case "cleanup":
              return removeLeftovers(ctx);
            case "start":
            case "unpause":
              return startExisting(ctx);
            case "recreate":
              return action.args?.[0] === "stop-first" ? replaceStopFirst(ctx) : replaceStartFirst(ctx);
            default:
              unknownAction(CONTAINER_TYPE, action);
          }
        });
      });
    },
  };
}
