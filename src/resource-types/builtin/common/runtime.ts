import type { DockerClient } from "../../../docker/client";
import type { ContainerTracker } from "../../../docker/tracking";
import { UserError } from "../../../errors";
import type { ActionSpec, InitResult, InvocationBase, InvocationIO } from "../../../engine/resource-type";
import type { BurstCache } from "./burst-cache";
import { Masker } from "./mask";

/** How a built-in type reaches the engine; injected so tests can pass their own client. */
export type DockerProvider = () => DockerClient;

export interface BuiltinTypeOptions {
  docker: DockerProvider;
  /** Shared by the built-in types of one engine (see BurstCache); each type makes one if absent. */
  cache?: BurstCache;
  /** The run's containers: those a type creates are in it until they have taken over. */
  containers?: ContainerTracker;
}

/**
 * What init answers for every built-in: a state action that is never run as a container
 * (the engine calls `state()` in-process) but is non-empty as the protocol requires.
 */
export function builtinInit(configSchema: Record<string, unknown>): InitResult {
  return { state_action: { args: ["state"] }, config_schema: configSchema };
}

export type StateRequest = InvocationBase & { config: Record<string, unknown> };
export type ActionRequest = StateRequest & { staleState: Record<string, unknown> };

/** Output helper: one line per call to io.output (stderr), passed through the masker. */
export function makeLog(io: InvocationIO, masker: Masker = Masker.none()): (line: string) => void {
  return (line) => io.output("stderr", masker.mask(line));
}

export function unknownAction(type: string, action: ActionSpec): never {
  throw new UserError(`${type}: unknown action '${action.name}'`);
}

/** Scalars allowed as label/option/env values; normalised to strings. */
export const SCALAR_SCHEMA = { type: ["string", "number", "boolean"] } as const;

export const STRING_MAP_SCHEMA = { type: "object", additionalProperties: SCALAR_SCHEMA } as const;

/** A string map with sorted keys and string values (key order never causes a diff). */
export function normalizeStringMap(map: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!map || typeof map !== "object") return out;
  const m = map as Record<string, unknown>;
  for (const k of Object.keys(m).sort()) {
    const v = m[k];
    if (v === undefined || v === null) continue;
    out[k] = String(v);
  }
  return out;
}

/** Names Docker accepts for containers, networks and volumes. */
export const DOCKER_NAME_SCHEMA = { type: "string", pattern: "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$" } as const;
