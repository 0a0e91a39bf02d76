import type { ResourceType } from "../../../engine/resource-type";
import type { BuiltinTypeOptions } from "../common/runtime";
import { createObjectType } from "./object";

export const SECRET_TYPE = "deployster/docker-secret";

/** deployster/docker-secret: a Swarm secret, versioned by content (see object.ts). */
export function createSecretType(opts: BuiltinTypeOptions): ResourceType {
  return createObjectType("secrets", SECRET_TYPE, opts);
}
