import { containerNameOf, createVolume, inspectVolume, listContainers, removeVolume } from "../../../docker/index";
import { UserError } from "../../../errors";
import { BurstCache } from "../common/burst-cache";
import type { ActionSpec, ResourceType, StateResult } from "../../../engine/resource-type";
import { diffValues, formatChanges } from "../common/diff";
import { hashSpec } from "../common/hash";
import { isManaged, LABEL_CONFIG_HASH, readStoredConfig } from "../common/labels";
import { builtinInit, makeLog, unknownAction, type ActionRequest, type BuiltinTypeOptions, type StateRequest } from "../common/runtime";
import { buildVolumeCreateBody, extractVolumeState, normalizeVolumeConfig, VOLUME_TYPE, volumeConfigSchema, type VolumeSpec } from "./spec";
import type { VolumeObject } from "../../docker-objects";

/** Decides VALID/STALE from the desired spec and the engine's inspect (null = absent). Pure. */
export function planVolume(spec: VolumeSpec, inspect: VolumeObject | null): StateResult {
  if (!inspect) {
    return { status: "STALE", actions: [{ name: "create", description: `create volume ${spec.name} (driver ${spec.driver})` }] };
  }
  if (!isManaged(inspect.Labels)) {
    throw new UserError(`volume '${spec.name}' exists but is not managed by deployster (no deployster.managed=true label); remove it or choose another name`);
  }
  const state = extractVolumeState(inspect);
  if (inspect.Labels?.[LABEL_CONFIG_HASH] === hashSpec(spec)) return { status: "VALID", state };
  const stored = readStoredConfig(inspect.Labels);
  const changes = stored ? formatChanges(diffValues(stored, spec)) : "configuration changed";
  return {
    status: "STALE",
    staleState: state,
    // Volumes cannot be changed in place; the plan must say what that costs.
    actions: [{ name: "recreate", description: `recreate volume ${spec.name}: ${changes} (its data is deleted)` }],
  };
}

export function createVolumeType(opts: BuiltinTypeOptions): ResourceType {
  const cache = opts.cache ?? new BurstCache();
  return {
    type: VOLUME_TYPE,
    async init() {
      return builtinInit(volumeConfigSchema);
    },
    async state(req: StateRequest) {
      const spec = normalizeVolumeConfig(req.name, req.config);
      return planVolume(spec, await inspectVolume(opts.docker(), spec.name));
    },
    action(req: ActionRequest, action: ActionSpec, _init, _mounts, io) {
      return cache.around(async () => {
        const d = opts.docker();
        const spec = normalizeVolumeConfig(req.name, req.config);
        const log = makeLog(io);
        if (action.name === "recreate") {
          const users = await listContainers(d, { all: true, volume: spec.name });
          if (users.length) {
            const names = users.map((c) => containerNameOf(c) || c.Id).join(", ");
            throw new UserError(`volume '${spec.name}' must be recreated but is in use by: ${names} (remove those containers first)`);
          }
          await removeVolume(d, spec.name);
          log(`removed volume ${spec.name}`);
        } else if (action.name !== "create") {
          unknownAction(VOLUME_TYPE, action);
        }
        const v = await createVolume(d, buildVolumeCreateBody(spec));
        log(`created volume ${spec.name} at ${v.Mountpoint}`);
      });
    },
  };
}
