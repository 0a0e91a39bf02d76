/**
 * POST .../tasks (spec section 3, decision 9): a one-off container in the service's image,
 * its stdout and stderr streamed as produced (text/plain, chunked, no write or idle
 * deadline), then the trailer `\nExited (N) <error>\n`. The 200 goes out once the container
 * has started, so image and start failures are still a 500 `ERROR: <why>\n`. A client that
 * disconnects (during the pull too) ends the task and removes its container; so does the
 * server's shutdown (with a trailer). Output is never kept: a slow client slows the task.
 */
import { randomBytes } from "node:crypto";
import { ensureImage } from "../../docker/images";
import type { ImageInspect } from "../../docker/types";
import { streamEvents } from "../../docker/events";
import { runContainer, type RunResult } from "../../docker/run";
import type { ServerContext } from "../context";
import { createTaskStream } from "../task-stream";
import { formatGoDuration } from "../duration";
import { HttpError } from "../http";
import { limitsHostConfig } from "../limits";
import { instanceFacts, type ServiceConfig } from "../config-dir";
import { baseLabels, COMPONENT_TASK, LABEL_CONFIG_DIGEST, LABEL_SERVICE, LABEL_VERSION } from "../labels";
import { imageRef, taskName } from "../names";
import { secretsMount } from "../rollout/boot";
import type { TaskRequest } from "../validate";
import { runSwarmTask } from "../backend/swarm/task";

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

/** `onStreamEnd` runs once a 200's stream has ended (not for other answers). */
export async function runTask(ctx: ServerContext, service: string, task: TaskRequest, request: Request, onStreamEnd: () => void = () => {}): Promise<Response> {
  if (ctx.shutdown.aborted) return plainError(503, "The server is shutting down.");
  const max = ctx.config.limits.maxTasks;
  if (ctx.tasks.size >= max) {
    throw new HttpError(429, `${max} tasks are running already (--max-tasks).  Try again when one has finished.`, { "Retry-After": "5" });
  }
  // The same configuration as the version's instances would get now (a 400 when it does not parse).
  const config = ctx.configDir?.load(service, task.version);
  const image = imageRef(ctx.config.imagePrefix, service, task.version);
  const name = taskName(service, task.version, randomBytes(6).toString("hex"));
  ctx.tasks.add(name);
  let handedOver = false;
  try {
    const response = ctx.backend.kind === "swarm"
      ? callOnEnd(await runSwarmTask(ctx, { service, task, request, image, name, config }), onStreamEnd)
      : await startTask(ctx, service, task, request, image, name, config, onStreamEnd);
    handedOver = response.status === 200;
    return response;
  } finally {
    if (!handedOver) ctx.tasks.delete(name);
  }
}

/** A task's labels: the service's task labels and, with a configuration, its digest. */
export function taskLabels(ctx: ServerContext, service: string, version: string, config?: ServiceConfig): Record<string, string> {
  const labels = { ...baseLabels(ctx.config.scopeLabels, COMPONENT_TASK), [LABEL_SERVICE]: service, [LABEL_VERSION]: version };
  return config ? { ...labels, [LABEL_CONFIG_DIGEST]: config.digest } : labels;
}

/** A task's environment: the configuration, then the facts (service, version, the task's name). */
export function taskEnv(ctx: ServerContext, service: string, version: string, name: string, config?: ServiceConfig): Record<string, string> {
  const swarm = ctx.backend.kind === "swarm";
  const hostIp = swarm ? undefined : ctx.config.instanceHost ?? ctx.config.publishHost;
  return { ...config?.env, ...instanceFacts({ service, version, task: name, hostIp, swarm }) };
}

/** Prunes the service's unused secrets once a task is gone (errors are only logged). */
export function pruneAfterTask(ctx: ServerContext, service: string, config?: ServiceConfig): void {
  if (!config?.secrets.length) return;
  ctx.backend.pruneConfig(service).catch((err) => ctx.logger.warn(`${service}: pruning old secrets failed: ${(err as Error).message}`));
}

/** The same response, calling `fn` once its body has been read to the end (a 200 only). */
function callOnEnd(response: Response, fn: () => void): Response {
  if (response.status !== 200 || !response.body) return response;
  const body = response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: () => fn() }));
  return new Response(body, { status: response.status, headers: response.headers });
}

async function startTask(
  ctx: ServerContext,
  service: string,
  task: TaskRequest,
  request: Request,
  image: string,
  name: string,
  config: ServiceConfig | undefined,
  onStreamEnd: () => void,
): Promise<Response> {
  // Ends the task: the client went away, or the server is stopping.
  const stop = new AbortController();
  let stopReason: "client" | "shutdown" | undefined;
  const stopFor = (reason: "client" | "shutdown") => () => {
    stopReason ??= reason;
    stop.abort();
  };
  const onClientGone = stopFor("client");
  const onShutdown = stopFor("shutdown");
  request.signal.addEventListener("abort", onClientGone, { once: true });
  ctx.shutdown.addEventListener("abort", onShutdown, { once: true });
  const detach = () => {
    request.signal.removeEventListener("abort", onClientGone);
    ctx.shutdown.removeEventListener("abort", onShutdown);
  };
  if (request.signal.aborted) onClientGone();

  let info: ImageInspect;
  try {
    const pullTimeout = ctx.config.limits.pullTimeoutMs;
    // `signal` ends the pull: client gone, shutdown, --pull-timeout.
    info = await ensureImage(ctx.docker, image, { signal: AbortSignal.any([stop.signal, AbortSignal.timeout(pullTimeout)]) });
  } catch (err) {
    detach();
    const e = err as Error;
    const why = stop.signal.aborted
      ? stopReason === "client" ? "the client disconnected during the pull" : "the server is shutting down"
      : e?.name === "TimeoutError" ? `the pull took longer than ${formatGoDuration(ctx.config.limits.pullTimeoutMs)} (--pull-timeout)` : e.message;
    if (stop.signal.aborted) ctx.logger.info(`task ${name} ended before it started: ${why}`);
    return plainError(stopReason === "shutdown" ? 503 : 500, `The image ${image} is not available: ${why}`);
  }
  const args = taskArgs(task.command, info?.Config?.Entrypoint);
  const { stream, write, close } = createTaskStream(onClientGone);

  // "Started" = the engine's start event for our unique name, or first output, or the end.
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const events = new AbortController();
  streamEvents(
    ctx.docker,
    { filters: { type: ["container"], event: ["start"], container: [name] }, since: Math.floor(Date.now() / 1000) - 1, signal: events.signal },
    () => markStarted(),
  ).catch(() => {});

  const timeoutMs = ctx.config.taskTimeoutMs;
  // Held until the task is gone: its secret files must outlive it (its container's label also protects them).
  const release = config && ctx.configDir ? ctx.configDir.hold(service, config.digest) : () => {};
  let secretsDir: string | undefined;
  try {
    secretsDir = config ? ctx.configDir?.writeEngineSecrets(config) : undefined;
  } catch (err) {
    release();
    detach();
    events.abort();
    close();
    return plainError(500, `The task could not start: its secrets could not be written: ${(err as Error).message}`);
  }
  const run: Promise<RunResult> = runContainer(ctx.docker, {
    image,
    args,
    name,
    env: taskEnv(ctx, service, task.version, name, config),
    labels: taskLabels(ctx, service, task.version, config),
    hostConfig: { ...limitsHostConfig(ctx.config.limits.task), Mounts: secretsMount(secretsDir) },
    timeoutMs,
    signal: stop.signal,
    containers: ctx.containers,
    keepOutput: false,
    onOutput: (_stream, chunk) => {
      markStarted();
      return write(chunk);
    },
  });
  const cleanup = () => {
    events.abort();
    detach();
    ctx.tasks.delete(name);
    release();
    pruneAfterTask(ctx, service, config);
  };
  const first = await Promise.race([started.then(() => "started" as const), run.then(() => "done" as const, () => "error" as const)]);
  events.abort();
  const entry = ctx.taskLog.start({ service, version: task.version, command: task.command, container: name });
  if (first === "error") {
    cleanup();
    const err = await run.catch((e: Error) => e);
    ctx.taskLog.finish(entry, null, `could not start: ${(err as Error).message}`);
    return plainError(500, `The task could not start: ${(err as Error).message}`);
  }
  ctx.logger.debug(`task ${name} started: ${JSON.stringify(args)}`);
  run.then(
    (r) => {
      if (r.timedOut) write(timeoutTrailer(timeoutMs));
      else if (stopReason === "shutdown") write(exitTrailer(r.exitCode, "The server is shutting down; the task was killed."));
      else if (stopReason !== "client") write(exitTrailer(r.exitCode));
      const why = r.timedOut ? "timed out" : stopReason ? (stopReason === "client" ? "client disconnected" : "shutdown") : "";
      ctx.logger.info(`task ${name} exited ${r.exitCode}${why ? ` (${why})` : ""}`);
      ctx.taskLog.finish(entry, r.exitCode, why || undefined);
    },
    (err: Error) => {
      ctx.taskLog.finish(entry, null, err.message);
      return write(`\nERROR: ${err.message}\n`);
    },
  ).finally(() => {
    cleanup();
    onStreamEnd();
    close();
  });
  return new Response(stream, { status: 200, headers: { "Content-Type": "text/plain", "X-Content-Type-Options": "nosniff" } });
}
