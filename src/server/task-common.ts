/**
 * What a task run needs on either backend (the engine's container here, a Swarm service in
 * backend/swarm/task.ts): its argv (the ENTRYPOINT rule), labels and environment, the exit
 * trailers, the plain-text error answer, and the secrets pruning once it is gone.
 */
import type { ServerContext } from "./context";
import { formatGoDuration } from "./duration";
import { instanceFacts, type ServiceConfig } from "./config-dir";
import { baseLabels, COMPONENT_TASK, LABEL_CONFIG_DIGEST, LABEL_SERVICE, LABEL_VERSION } from "./labels";

/** The ENTRYPOINT rule: no entrypoint → `/bin/sh -c <string>`; an entrypoint → the string as one argument; arrays are argv. */
export function taskArgs(command: string | string[], imageEntrypoint: string[] | null | undefined): string[] {
  if (Array.isArray(command)) return command;
  const hasEntrypoint = Array.isArray(imageEntrypoint) && imageEntrypoint.length > 0;
  return hasEntrypoint ? [command] : ["/bin/sh", "-c", command];
}

export function exitTrailer(code: number, error = ""): string {
  return `\nExited (${code}) ${error}\n`;
}

export function timeoutTrailer(timeoutMs: number): string {
  return exitTrailer(124, `The task timed out after ${formatGoDuration(timeoutMs)}. Forcefully removing container.`);
}

export function plainError(status: number, message: string): Response {
  return new Response(`ERROR: ${message}\n`, { status, headers: { "Content-Type": "text/plain" } });
}

/** A task's labels: the service's task labels and, with a configuration, its digest. */
export function taskLabels(server: ServerContext, service: string, version: string, config?: ServiceConfig): Record<string, string> {
  const labels = { ...baseLabels(server.config.scopeLabels, COMPONENT_TASK), [LABEL_SERVICE]: service, [LABEL_VERSION]: version };
  return config ? { ...labels, [LABEL_CONFIG_DIGEST]: config.digest } : labels;
}

/** A task's environment: the configuration, then the facts (service, version, the task's name). */
export function taskEnv(server: ServerContext, service: string, version: string, name: string, config?: ServiceConfig): Record<string, string> {
  const swarm = server.backend.kind === "swarm";
  const hostIp = swarm ? undefined : server.config.instanceHost ?? server.config.publishHost;
  return { ...config?.env, ...instanceFacts({ service, version, task: name, hostIp, swarm }) };
}

/** Prunes the service's unused secrets once a task is gone (errors are only logged). */
export function pruneAfterTask(server: ServerContext, service: string, config?: ServiceConfig): void {
  if (!config?.secrets.length) return;
  server.backend.pruneConfig(service).catch((err) => server.logger.warn(`${service}: pruning old secrets failed: ${(err as Error).message}`));
}
