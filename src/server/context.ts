/** What every handler and rollout step shares: no globals, one object built by startServer. */
import type { DockerClient } from "../docker/client";
import type { ContainerTracker } from "../docker/tracking";
import type { InstanceBackend } from "./backend/types";
import type { ConfigDir } from "./config-dir";
import type { ServeConfig } from "./config";
import type { EventBus } from "./events-bus";
import type { ServiceLocks } from "./mutex";
import type { DeployLog } from "./records";
import type { Router } from "./router";
import type { TaskLog } from "./task-log";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export function createLogger(verbose: boolean, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const line = (level: string, m: string) => write(`${new Date().toISOString()} ${level} ${m}\n`);
  return {
    info: (m) => line("info ", m),
    warn: (m) => line("warn ", m),
    debug: (m) => (verbose ? line("debug", m) : undefined),
  };
}

export interface ServerContext {
  /** The engine serve talks to (with --swarm: the manager). */
  docker: DockerClient;
  /** What an instance is: a container of the engine, or a Swarm service. */
  backend: InstanceBackend<ServerContext>;
  config: ServeConfig;
  router?: Router;
  /** --config-dir: the services' environment and secrets (absent: instances get only the facts). */
  configDir?: ConfigDir;
  log: DeployLog;
  /** Deploy, instance and task changes, streamed by GET /v1/events. */
  events: EventBus;
  /** Recent tasks and their exit codes. */
  taskLog: TaskLog;
  locks: ServiceLocks;
  logger: Logger;
  /** Aborted on SIGTERM/SIGINT: rollouts stop at their next safe point, tasks are killed. */
  shutdown: AbortSignal;
  /** Task containers still running, removed when the server stops. */
  containers: ContainerTracker;
  /** Instance ids seen ready by this process (units report them as launched). */
  ready: Set<string>;
  /** Instance ids being retired (units report desired_state inactive). */
  retiring: Set<string>;
  /** Rollouts in flight, awaited on shutdown (their number is capped by --max-deploys). */
  rollouts: Set<Promise<unknown>>;
  /** The rollout running per service, and how to cancel it (DELETE of its version). */
  cancels: Map<string, { version: string; timestamp: string; cancel: AbortController }>;
  /** Task containers being run, by name (their number is capped by --max-tasks). */
  tasks: Set<string>;
  /** Milliseconds between removing an upstream from the router and stopping its container. */
  drainMs: number;
  /** Why the Docker engine cannot be reached right now (set by the reconcile loop); undefined while it answers. */
  engineDown?: string;
}
