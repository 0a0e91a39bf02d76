/** Picks the backend serve runs on: the engine's containers, or (--swarm) Swarm services. */
import type { ServerContext } from "../context";
import { createEngineBackend } from "./engine";
import { createSwarmBackend } from "./swarm";
import type { InstanceBackend } from "./types";

export async function createBackend(server: ServerContext, env: Record<string, string | undefined> = process.env): Promise<InstanceBackend<ServerContext>> {
  return server.config.swarm ? createSwarmBackend(server, env) : createEngineBackend(server);
}
