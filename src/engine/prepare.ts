import { createPendingDependency, PendingDependencyError } from "../context/expressions";
import type { Manifest, ResourceSpec } from "../manifest/index";
import type { InitResult } from "./resource-type";
import type { ResourceError } from "./events";
import { resolvePlugs } from "./plugs";
import { validateConfig } from "./protocol";
import type { Session } from "./session";
import type { DependencyView } from "./state-rules";
import type { Initialized } from "./types";

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export type InitOutcome = ({ ok: true } & Initialized) | { ok: false; error: ResourceError };

/** Init (cached per type) and plug resolution; plug warnings are reported here, once. */
export async function initializeResource(session: Session, manifest: Manifest, spec: ResourceSpec): Promise<InitOutcome> {
  let init: InitResult;
  try {
    init = await session.init(spec);
  } catch (err) {
    return { ok: false, error: { phase: "init", message: message(err) } };
  }
  try {
    const { workDir, confDir } = session.context;
    const { mounts, warnings } = resolvePlugs(spec, init.plugs, manifest.plugs, { workDir, confDir });
    for (const w of warnings) session.emit({ event: "warning", resource: spec.name, message: w });
    return { ok: true, init, mounts };
  } catch (err) {
    return { ok: false, error: { phase: "plugs", message: message(err) } };
  }
}

export type Rendered =
  | { ok: true; config: Record<string, unknown> }
  | { ok: false; pending: true; pendingOn: string }
  | { ok: false; pending: false; error: ResourceError };

/**
 * Renders a resource's raw config with the context plus one entry per dependency alias
 * (`{name, type, state}`), then validates it against the type's `config_schema` (a failure
 * names the config path). Touching the state of a dependency whose state is not known yet
 * makes the resource pending on it: its state is queried during apply, once that converged.
 */
export function renderConfig(session: Session, spec: ResourceSpec, init: InitResult, deps: Record<string, DependencyView>): Rendered {
  const scope: Record<string, unknown> = { ...session.context.vars };
  for (const [alias, dep] of Object.entries(deps)) {
    scope[alias] = dep.known ? { name: dep.name, type: dep.type, state: dep.state } : createPendingDependency({ name: dep.name, type: dep.type });
  }
  let config: unknown;
  try {
    config = session.context.evaluator.evaluate(spec.config, scope, `resources.${spec.name}.config`);
  } catch (err) {
    if (err instanceof PendingDependencyError) return { ok: false, pending: true, pendingOn: err.dependency };
    return { ok: false, pending: false, error: { phase: "config", message: message(err) } };
  }
  try {
    validateConfig(spec.name, config, init.config_schema, spec.type);
  } catch (err) {
    return { ok: false, pending: false, error: { phase: "config", message: message(err) } };
  }
  return { ok: true, config: config as Record<string, unknown> };
}
