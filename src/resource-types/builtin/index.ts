import type { ResourceType } from "../../engine/resource-type";
import { BurstCache } from "./common/burst-cache";
import type { BuiltinTypeOptions } from "./common/runtime";
import { createConfigType } from "./config/type";
import { createContainerType } from "./container/type";
import { createImageType } from "./image/type";
import { createNetworkType } from "./network/type";
import { createSecretType } from "./secret/type";
import { createServiceType } from "./service/type";
import { createVolumeType } from "./volume/type";

/** Types under the reserved `deployster/` prefix, served in-process behind the same interface as image types. */
export const BUILTIN_PREFIX = "deployster/";

export function isBuiltinType(type: string): boolean {
  return type.startsWith(BUILTIN_PREFIX);
}

/**
 * The Docker built-ins, talking to the engine `opts.docker` returns: network, volume, image
 * and container on any engine; service, secret and config on a Swarm manager.
 */
export function createDockerBuiltinTypes(opts: BuiltinTypeOptions): ResourceType[] {
  const shared = { ...opts, cache: opts.cache ?? new BurstCache() };
  return [
    createNetworkType(shared),
    createVolumeType(shared),
    createImageType(shared),
    createContainerType(shared),
    createServiceType(shared),
    createSecretType(shared),
    createConfigType(shared),
  ];
}

/** The built-in types of one run, by type name. */
export interface BuiltinTypes {
  /** The built-in type for `type` (tag ignored), or undefined when there is none. */
  get(type: string): ResourceType | undefined;
}

/**
 * The Docker built-ins for one run (created per run: they share that run's Docker client,
 * burst cache and container tracking, and nothing outlives it).
 */
export function createBuiltinTypes(opts: BuiltinTypeOptions): BuiltinTypes {
  const byName = new Map(createDockerBuiltinTypes(opts).map((t) => [t.type, t]));
  return { get: (type) => byName.get(type.replace(/:[^/]*$/, "")) };
}
