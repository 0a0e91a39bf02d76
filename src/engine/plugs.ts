import { UserError } from "../errors";
import type { PlugSpec } from "../manifest/index";
import type { PlugRequest } from "../resource-types/types";

/**
 * Whether a plug may be mounted by a resource: any name pattern matching the
 * resource name, or any type pattern matching its full type, allows it; with both lists
 * empty it is allowed for all. Patterns are anchored at the start only (Python `re.match`).
 */
export function isPlugAllowed(plug: Pick<PlugSpec, "resourceNames" | "resourceTypes">, name: string, type: string): boolean {
  if (plug.resourceNames.length === 0 && plug.resourceTypes.length === 0) return true;
  const matches = (pattern: string, value: string) => new RegExp(`^(?:${pattern})`).test(value);
  return plug.resourceNames.some((p) => matches(p, name)) || plug.resourceTypes.some((p) => matches(p, type));
}

export interface ResolvedPlugs {
  /** `host:container:ro|rw`, in the order the type requested them. */
  mounts: string[];
  warnings: string[];
}

/**
 * Resolves a resource's plug requests against the manifest's plugs (read-only when the plug
 * is `read_only` or the request says `writable: false`). An optional plug that is missing, not allowed, or read-only but requested
 * writable is skipped with a warning; a required one fails the resource.
 */
export function resolvePlugs(
  resource: { name: string; type: string },
  requests: Record<string, PlugRequest> | undefined,
  plugs: Record<string, PlugSpec>,
): ResolvedPlugs {
  const mounts: string[] = [];
  const warnings: string[] = [];
  for (const [plugName, request] of Object.entries(requests ?? {})) {
    const optional = request.optional ?? false;
    const writable = request.writable ?? true;
    const refuse = (why: string) => {
      if (!optional) throw new UserError(`plug '${plugName}' required by '${resource.name}' ${why}`);
      warnings.push(`Optional plug '${plugName}' ${why} (skipped)`);
    };
    const plug = Object.hasOwn(plugs, plugName) ? plugs[plugName] : undefined;
    if (!plug) {
      refuse("does not exist");
      continue;
    }
    if (!isPlugAllowed(plug, resource.name, resource.type)) {
      refuse("is not allowed for it");
      continue;
    }
    if (writable && plug.readOnly) {
      refuse("is readonly, but requested with write access");
      continue;
    }
    mounts.push(`${plug.path}:${request.container_path}:${plug.readOnly || !writable ? "ro" : "rw"}`);
  }
  return { mounts, warnings };
}
