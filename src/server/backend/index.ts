/** Picks the backend serve runs on: the engine's containers, or (--swarm) Swarm services. */
import type { DockerClient } from "../../docker/client";
import type { ServeConfig } from "../config";
import type { Logger } from "../context";
import { createEngineBackend } from "./engine";
import { createSwarmBackend } from "./swarm";
import type { InstanceBackend } from "./types";

export interface CreateBackendOptions {
  docker: DockerClient;
  config: ServeConfig;
  logger: Logger;
  shutdown: AbortSignal;
  env?: Record<string, string | undefined>;
}

export async function createBackend(o: CreateBackendOptions): Promise<InstanceBackend> {
  return o.config.swarm ? createSwarmBackend(o) : createEngineBackend(o);
}
