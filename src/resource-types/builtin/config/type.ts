import type { ResourceType } from "../../../engine/resource-type";
import { createObjectType } from "../secret/object";
import type { BuiltinTypeOptions } from "../common/runtime";

export const CONFIG_TYPE = "deployster/docker-config";

/** deployster/docker-config: a Swarm config, versioned by content like secrets (see secret/object.ts). */
export function createConfigType(opts: BuiltinTypeOptions): ResourceType {
  return createObjectType("configs", CONFIG_TYPE, opts);
}
