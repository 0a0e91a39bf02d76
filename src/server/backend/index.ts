/** Picks the backend serve runs on: the engine's containers, or (--swarm) Swarm services. */
import type { ServerContext } from "../context";
import { createEngineBackend } from "./engine";
import { createSwarmBackend } from "./swarm";
import type { InstanceBackend } from "./types";

export async function createBackend(ctx: ServerContext, env: Record<string, string | undefined> = process.env): Promise<InstanceBackend> {
  return ctx.config.swarm ? createSwarmBackend(ctx, env) : createEngineBackend(ctx);
}
