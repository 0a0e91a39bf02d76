/** Picks the backend serve runs on: the engine's containers, or (--swarm) Swarm services. */
import type { DockerClient } from "../../docker/client";
import type { ServeConfig } from "../config";
import type { Logger } from "../context";
import { createEngineBackend } from "./engine";
import type { InstanceBackend } from "./types";

export interface CreateBackendOptions {
  docker: DockerClient;
  config: ServeConfig;
  logger: Logger;
  shutdown: AbortSignal;
}

export async function createBackend(o: CreateBackendOptions): Promise<InstanceBackend> {
  return createEngineBackend(o);
}
