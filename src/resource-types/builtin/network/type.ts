import { connectNetwork, containerNameOf, createNetwork, disconnectNetwork, inspectContainer, inspectNetwork, removeNetwork } from "../../../docker/index";
import { UserError } from "../../../errors";
import { BurstCache } from "../common/burst-cache";
import type { ActionSpec, ResourceType, StateResult } from "../../../engine/resource-type";
import { diffValues, formatChanges } from "../common/diff";
import { hashSpec } from "../common/hash";
import { isManaged, LABEL_CONFIG_HASH, readStoredConfig } from "../common/labels";
import { builtinInit, makeLog, unknownAction, type ActionRequest, type BuiltinTypeOptions, type StateRequest } from "../common/runtime";
import { buildNetworkCreateBody, extractNetworkState, NETWORK_TYPE, networkConfigSchema, normalizeNetworkConfig } from "./spec";
import type { NetworkObject } from "../../docker-objects";

/** Decides VALID/STALE from the desired spec and the engine's inspect (null = absent). Pure. */
export function planNetwork(spec: ReturnType<typeof normalizeNetworkConfig>, inspect: NetworkObject | null): StateResult {
  if (!inspect || inspect.Name !== spec.name) {
    return { status: "STALE", actions: [{ name: "create", description: `create network ${spec.name} (driver ${spec.driver})` }] };
  }
  if (!isManaged(inspect.Labels)) {
    throw new UserError(`network '${spec.name}' exists but is not managed by deployster (no deployster.managed=true label); remove it or choose another name`);
  }
  const state = extractNetworkState(inspect);
  if (inspect.Labels?.[LABEL_CONFIG_HASH] === hashSpec(spec)) return { status: "VALID", state };
  const stored = readStoredConfig(inspect.Labels);
  const changes = stored ? formatChanges(diffValues(stored, spec)) : "";
  const attached = Object.keys(inspect.Containers ?? {}).length;
  const note = attached ? ` (${attached} attached container${attached > 1 ? "s are" : " is"} disconnected and reconnected)` : "";
  return {
    status: "STALE",
    staleState: state,
    actions: [{ name: "recreate", description: `recreate network ${spec.name}: ${changes || "configuration changed"}${note}` }],
  };
}

export function createNetworkType(opts: BuiltinTypeOptions): ResourceType {
  const cache = opts.cache ?? new BurstCache();
  return {
    type: NETWORK_TYPE,
    async init() {
      return builtinInit(networkConfigSchema);
    },
    async state(req: StateRequest) {
      const spec = normalizeNetworkConfig(req.name, req.config);
      return planNetwork(spec, await inspectNetwork(opts.docker(), spec.name));
    },
    action(req: ActionRequest, action: ActionSpec, _init, _mounts, io) {
      return cache.around(async () => {
        const d = opts.docker();
        const spec = normalizeNetworkConfig(req.name, req.config);
        const log = makeLog(io);
        if (action.name === "create") {
          const { Id } = await createNetwork(d, buildNetworkCreateBody(spec));
          log(`created network ${spec.name} (${Id.slice(0, 12)})`);
        } else if (action.name === "recreate") {
          await recreateNetwork(opts, spec, log);
        } else {
          unknownAction(NETWORK_TYPE, action);
        }
      });
    },
  };
}

/**
 * Networks cannot be changed in place: detach the containers (remembering their aliases),
 * remove, create, and attach them again with the same aliases.
 */
async function recreateNetwork(opts: BuiltinTypeOptions, spec: ReturnType<typeof normalizeNetworkConfig>, log: (l: string) => void) {
  const d = opts.docker();
  const old = await inspectNetwork(d, spec.name);
  const attached: { id: string; name: string; aliases: string[] }[] = [];
  for (const id of Object.keys(old?.Containers ?? {})) {
    const c = await inspectContainer(d, id);
    if (!c) continue;
    const endpoint = c.NetworkSettings?.Networks?.[spec.name];
    const shortId = c.Id.slice(0, 12);
    const aliases = (endpoint?.Aliases ?? []).filter((a) => a !== shortId && a !== c.Id);
    attached.push({ id: c.Id, name: containerNameOf(c), aliases });
  }
  for (const c of attached) await disconnectNetwork(d, spec.name, c.id, true);
  if (old) await removeNetwork(d, old.Id);
  const { Id } = await createNetwork(d, buildNetworkCreateBody(spec));
  log(`recreated network ${spec.name} (${Id.slice(0, 12)})`);
  for (const c of attached) {
    await connectNetwork(d, spec.name, c.id, { aliases: c.aliases.length ? c.aliases : undefined });
    log(`reconnected container ${c.name}`);
  }
}
