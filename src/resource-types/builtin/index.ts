import type { ResourceType } from "../types";

/** Types under the reserved `deployster/` prefix, served in-process (resource-protocol.md 9.12). */
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
