import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { UserError } from "../errors";
import type { PlugSpec } from "../manifest/index";
import type { PlugRequest } from "./resource-type";

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

/** deployster's own folders, which no plug may hand to a type. */
export interface PlugGuard {
  /** Holds the records of every invocation: no plug may contain it or lie inside it. */
  workDir: string;
  /** Holds the init cache (mounted read-only anyway): no writable plug may overlap it. */
  confDir: string;
}

const realOrResolved = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

/** Whether one path is the other, or inside it (as given and by real path). */
function overlaps(a: string, b: string): boolean {
  const related = (x: string, y: string) => {
    const rel = relative(y, x);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  };
  const [ra, rb] = [realOrResolved(a), realOrResolved(b)];
  return related(a, b) || related(b, a) || related(ra, rb) || related(rb, ra);
}

/** What of deployster's a plug would expose to a type, if anything. */
function exposedBy(path: string, readOnly: boolean, guard: PlugGuard): string | undefined {
  if (overlaps(path, guard.workDir)) return `work dir (${guard.workDir})`;
  if (!readOnly && overlaps(path, guard.confDir)) return `conf dir (${guard.confDir})`;
  return undefined;
}

export interface ResolvedPlugs {
  /** `host:container:ro|rw`, in the order the type requested them. */
  mounts: string[];
  warnings: string[];
}

/**
 * Resolves a resource's plug requests against the manifest's plugs (read-only when the plug
 * is `read_only` or the request says `writable: false`). An optional plug that is missing,
 * not allowed, or read-only but requested writable is skipped with a warning; a required one
 * fails the resource. With a `guard`, so is a plug that would hand the type deployster's work
 * dir (or, writable, its conf dir).
 */
export function resolvePlugs(
  resource: { name: string; type: string },
  requests: Record<string, PlugRequest> | undefined,
  plugs: Record<string, PlugSpec>,
  guard?: PlugGuard,
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
    const readOnly = plug.readOnly || !writable;
    const exposed = guard ? exposedBy(plug.path, readOnly, guard) : undefined;
    if (exposed) {
      refuse(`would expose deployster's ${exposed} to the type`);
      continue;
    }
    mounts.push(`${plug.path}:${request.container_path}:${readOnly ? "ro" : "rw"}`);
  }
  return { mounts, warnings };
}
