import type { ResourceType } from "./resource-type";

/**
 * How the engine gets the ResourceType behind a manifest's `type` string. The engine knows no
 * concrete type (built-ins, images, runners): the command hands it a resolver, which owns
 * whatever it starts for the run until close().
 */
export interface ResourceTypeResolver {
  /**
   * Before anything runs: one clear error for types that cannot be served at all (an unknown
   * built-in, an engine that does not answer), instead of one failure per resource.
   */
  check?(resources: { name: string; type: string }[], signal: AbortSignal): Promise<void>;
  /** The type behind `type` (the engine asks once per type string and run); throws a UserError when there is none. */
  resolve(type: string): ResourceType;
  /** Releases what the resolver started for the run (e.g. runner containers). Idempotent. */
  close?(): Promise<void>;
}
