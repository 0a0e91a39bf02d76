import type { ResourceType } from "../../engine/resource-type";
import { BurstCache } from "./common/burst-cache";
import { lazyDockerFromEnv, type BuiltinTypeOptions } from "./common/runtime";
import { createConfigType } from "./config/type";
import { createContainerType } from "./container/type";
import { createImageType } from "./image/type";
import { createNetworkType } from "./network/type";
import { createSecretType } from "./secret/type";
import { createServiceType } from "./service/type";
import { createVolumeType } from "./volume/type";

/** Types under the reserved `deployster/` prefix, served in-process behind the same interface as image types. */
export const BUILTIN_PREFIX = "deployster/";

const builtins = new Map<string, ResourceType>();

export function registerBuiltinType(t: ResourceType): void {
  builtins.set(t.type, t);
}

/** The built-in type for `type` (tag ignored), or undefined when there is none. */
export function getBuiltinType(type: string): ResourceType | undefined {
  return builtins.get(type.replace(/:[^/]*$/, ""));
}

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

// Registered on import: the engine resolves `deployster/...` types through getBuiltinType.
// The client is created from the environment (DOCKER_HOST) the first time a type needs it.
for (const t of createDockerBuiltinTypes({ docker: lazyDockerFromEnv() })) registerBuiltinType(t);
