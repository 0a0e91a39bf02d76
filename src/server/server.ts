/**
 * Starts `deployster serve`: checks the engine, builds the shared context, listens (a
 * listen failure is a UserError: non-zero exit), then resumes unfinished rollouts in the
 * background. `stop()` is the graceful SIGTERM path: stop accepting, end tasks, let
 * rollouts reach a safe point.
 */
import type { Server } from "bun";
import { DockerClient } from "../docker/client";
import { DockerUnreachableError } from "../docker/errors";
import { ContainerTracker } from "../docker/tracking";
import { UserError } from "../errors";
import { VERSION } from "../version";
import { createApp } from "./app";
import type { ServeConfig } from "./config";
import { createLogger, type Logger, type ServerContext } from "./context";
import { errorResponse } from "./http";
import { ServiceLocks } from "./mutex";
import { EventBus } from "./events-bus";
import { DeployLog } from "./records";
import { createBackend } from "./backend";
import { ConfigDir } from "./config-dir";
import type { InstanceBackend } from "./backend/types";
import { TaskLog } from "./task-log";
import { startUnitsFeed } from "./ui/units-feed";
import { prepareResume, runResume } from "./resume";
import { CaddyRouter } from "./router";

export interface RunningServer {
  url: string;
  port: number;
  server: ServerContext;
  /** Resolves when start-up resumption has finished (tests, benchmarks). */
  resumed: Promise<void>;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  env?: Record<string, string | undefined>;
  /** Where the start-up banner and a generated password go (stdout). */
  print?: (line: string) => void;
  logger?: Logger;
  /** Pause between unrouting an instance and stopping it (default 1000 ms). */
  drainMs?: number;
  /** Stops the server (as stop() does) when aborted: the process's shutdown signal. */
  signal?: AbortSignal;
}

/** The engine client, checked to answer (a UserError when it does not). */
async function connectDocker(config: ServeConfig, env: Record<string, string | undefined>): Promise<DockerClient> {
  try {
    const docker = DockerClient.fromEnv(env, { defaultTimeoutMs: config.limits.dockerTimeoutMs });
    await docker.apiVersion();
    return docker;
  } catch (err) {
    if (err instanceof DockerUnreachableError) throw new UserError(err.message);
    throw new UserError(`Docker engine: ${(err as Error).message}`);
  }
}

/** The Caddy router when --caddy-admin and --domain are given; one that does not answer yet is only warned about. */
async function connectRouter(config: ServeConfig, logger: Logger): Promise<CaddyRouter | undefined> {
  const router = config.caddyAdmin && config.domain ? new CaddyRouter({ adminUrl: config.caddyAdmin, domain: config.domain }) : undefined;
  if (router) await router.ping().catch((err) => logger.warn(`${(err as Error).message} (routes are added once it answers)`));
  return router;
}

interface ContextParts {
  docker: DockerClient;
  router: CaddyRouter | undefined;
  config: ServeConfig;
  logger: Logger;
  shutdown: AbortSignal;
  env: Record<string, string | undefined>;
  drainMs: number | undefined;
}

/** The shared context, its backend built over it (the backend needs the context it serves). */
async function createServerContext(parts: ContextParts): Promise<ServerContext> {
  const { config, env } = parts;
  const drainEnv = Number(env.DEPLOYSTER_DRAIN_MS);
  const events = new EventBus();
  const server: ServerContext = {
    docker: parts.docker,
    // Set right below: the backend is built over the context it serves.
    backend: undefined as unknown as InstanceBackend<ServerContext>,
    config,
    router: parts.router,
    configDir: config.configDir ? new ConfigDir(config.configDir, config.secretsRoot, config.scopeLabels) : undefined,
    events,
    log: new DeployLog((r) => events.publish("deploy", r.service, { deploy: r })),
    taskLog: new TaskLog((t) => events.publish("task", t.service, { task: t })),
    locks: new ServiceLocks(),
    logger: parts.logger,
    shutdown: parts.shutdown,
    containers: new ContainerTracker(),
    ready: new Set(),
    retiring: new Set(),
    rollouts: new Set(),
    tasks: new Set(),
    cancels: new Map(),
    drainMs: parts.drainMs ?? (Number.isFinite(drainEnv) && drainEnv >= 0 ? drainEnv : 1000),
  };
  server.backend = await createBackend(server, env);
  return server;
}

/** Listens on --listen (a failure is a UserError: non-zero exit). */
function listen(config: ServeConfig, app: ReturnType<typeof createApp>, logger: Logger): Server<undefined> {
  try {
    return Bun.serve({
      hostname: config.hostname,
      port: config.port,
      tls: config.tls,
      // Idle connections are closed; an authenticated task stream lifts the deadline for its
      // own request (app.ts), so a task may stay silent for as long as it runs.
      idleTimeout: config.limits.idleTimeoutS,
      // Bodies are limited (64 KiB, streaming) by the handlers, after authentication: Bun's
      // own limit would answer 413 before the 401.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      development: false,
      fetch: (req, srv) => app(req, srv),
      error: (err) => {
        logger.warn(`request failed: ${err.message}`);
        return errorResponse(500, err.message);
      },
    });
  } catch (err) {
    throw new UserError(`cannot listen on ${config.hostname}:${config.port}: ${(err as Error).message}`);
  }
}

/** The start-up banner: where it listens, what runs the instances and routes them, a generated password. */
function printBanner(print: (line: string) => void, server: ServerContext, url: string): void {
  const { config, router } = server;
  print(`deployster serve ${VERSION} listening on ${url}`);
  print(`  ${server.backend.description}, images ${config.imagePrefix}/<service>:<version>, ${router ? `routing through ${router.description}` : "no router (instances on their host ports)"}`);
  if (config.passwordGenerated) {
    print(`  generated password for user "${config.username}": ${config.password}  (choose one with --password or DEPLOYSTER_PASSWORD)`);
  }
}

function urlOf(config: ServeConfig, http: Server<undefined>): string {
  const scheme = config.tls ? "https" : "http";
  const shownHost = config.hostname.includes(":") ? `[${config.hostname}]` : config.hostname;
  return `${scheme}://${shownHost}:${http.port}`;
}

export async function startServer(config: ServeConfig, o: StartServerOptions = {}): Promise<RunningServer> {
  const env = o.env ?? process.env;
  const print = o.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const logger = o.logger ?? createLogger(config.verbose);
  const docker = await connectDocker(config, env);
  const router = await connectRouter(config, logger);
  const shutdown = new AbortController();
  const server = await createServerContext({ docker, router, config, logger, shutdown: shutdown.signal, env, drainMs: o.drainMs });
  // Secrets (--config-dir) that no instance or task uses any more, e.g. left by a server that stopped.
  await server.backend.pruneConfig().catch((err) => logger.warn(`pruning unused secrets failed: ${(err as Error).message}`));

  // Before listening: records rebuilt, unfinished rollouts locked and shown as rolling.
  const pending = await prepareResume(server).catch((err) => {
    logger.warn(`start-up resumption failed: ${(err as Error).message}`);
    return [];
  });
  const stopUnitsFeed = startUnitsFeed(server);
  const http = listen(config, createApp(server), logger);
  const url = urlOf(config, http);
  printBanner(print, server, url);

  const resumed = runResume(server, pending).catch((err) => logger.warn(`start-up resumption failed: ${(err as Error).message}`));
  // Keeps what went live serving (engine: heals dead instances, a restarted Caddy or dockerd; Swarm: re-routes moved instances).
  const reconciler = server.backend.watch(server);

  let stopping: Promise<void> | undefined;
  const running: RunningServer = {
    url,
    port: http.port ?? config.port,
    server,
    resumed,
    stop() {
      stopping ??= (async () => {
        logger.info("shutting down: no new requests; rollouts stop at their next safe point");
        shutdown.abort();
        stopUnitsFeed();
        const closed = http.stop(false);
        // Task containers are killed by the abort; removed here so none outlives the process.
        await Promise.allSettled([...server.rollouts, reconciler.stop(), server.containers.removeAll()]);
        await Promise.race([closed, Bun.sleep(15_000)]);
        logger.info("stopped");
      })();
      return stopping;
    },
  };
  if (o.signal?.aborted) void running.stop();
  else o.signal?.addEventListener("abort", () => void running.stop(), { once: true });
  return running;
}
