/**
 * POST .../tasks: a one-off container in the service's image,
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
import type { TaskRecord } from "../../api/v1";
import { createTaskStream } from "../task-stream";
import { formatGoDuration } from "../duration";
import { HttpError } from "../http";
import { limitsHostConfig } from "../limits";
import type { ServiceConfig } from "../config-dir";
import { imageRef, taskName } from "../names";
import { secretsMount } from "../rollout/boot";
import type { TaskRequest } from "../validate";
import { runSwarmTask } from "../backend/swarm/task";
import { exitTrailer, plainError, pruneAfterTask, taskArgs, taskEnv, taskLabels, timeoutTrailer } from "../task-common";

/** `onStreamEnd` runs once a 200's stream has ended (not for other answers). */
export async function runTask(server: ServerContext, service: string, task: TaskRequest, request: Request, onStreamEnd: () => void = () => {}): Promise<Response> {
  if (server.shutdown.aborted) return plainError(503, "The server is shutting down.");
  const max = server.config.limits.maxTasks;
  if (server.tasks.size >= max) {
    throw new HttpError(429, `${max} tasks are running already (--max-tasks).  Try again when one has finished.`, { "Retry-After": "5" });
  }
  // The same configuration as the version's instances would get now (a 400 when it does not parse).
  const config = server.configDir?.load(service, task.version);
  const image = imageRef(server.config.imagePrefix, service, task.version);
  const name = taskName(service, task.version, randomBytes(6).toString("hex"));
  server.tasks.add(name);
  let handedOver = false;
  try {
    const response = server.backend.kind === "swarm"
      ? callOnEnd(await runSwarmTask(server, { service, task, request, image, name, config }), onStreamEnd)
      : await startTask({ server, service, task, image, name, config }, request, onStreamEnd);
    handedOver = response.status === 200;
    return response;
  } finally {
    if (!handedOver) server.tasks.delete(name);
  }
}

/** The same response, calling `fn` once its body has been read to the end (a 200 only). */
function callOnEnd(response: Response, fn: () => void): Response {
  if (response.status !== 200 || !response.body) return response;
  const body = response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: () => fn() }));
  return new Response(body, { status: response.status, headers: response.headers });
}

/** One task on one engine: what the steps of startTask share. */
interface TaskStart {
  server: ServerContext;
  service: string;
  task: TaskRequest;
  image: string;
  /** Unique container name, registered in server.tasks by runTask. */
  name: string;
  config: ServiceConfig | undefined;
}

type StopReason = "client" | "shutdown";

/** Ends a task when its client goes away or the server stops, remembering which came first. */
class TaskStop {
  private readonly controller = new AbortController();
  reason: StopReason | undefined;
  readonly clientGone = () => this.stopFor("client");
  private readonly shuttingDown = () => this.stopFor("shutdown");

  constructor(
    private readonly request: Request,
    private readonly shutdown: AbortSignal,
  ) {
    request.signal.addEventListener("abort", this.clientGone, { once: true });
    shutdown.addEventListener("abort", this.shuttingDown, { once: true });
    if (request.signal.aborted) this.clientGone();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private stopFor(reason: StopReason): void {
    this.reason ??= reason;
    this.controller.abort();
  }

  /** Stops listening to the client and the server (the task is over, or never started). */
  detach(): void {
    this.request.signal.removeEventListener("abort", this.clientGone);
    this.shutdown.removeEventListener("abort", this.shuttingDown);
  }
}

/** The answer when the task's image could not be had: 503 on shutdown, else 500, saying why. */
function pullFailure(start: TaskStart, stop: TaskStop, err: unknown): Response {
  const { server, image, name } = start;
  const e = err as Error;
  const why = stop.signal.aborted
    ? stop.reason === "client" ? "the client disconnected during the pull" : "the server is shutting down"
    : e?.name === "TimeoutError" ? `the pull took longer than ${formatGoDuration(server.config.limits.pullTimeoutMs)} (--pull-timeout)` : e.message;
  if (stop.signal.aborted) server.logger.info(`task ${name} ended before it started: ${why}`);
  return plainError(stop.reason === "shutdown" ? 503 : 500, `The image ${image} is not available: ${why}`);
}

/** "Started" = the engine's start event for the task's unique name, or its first output, or its end. */
function watchTaskStart(start: TaskStart) {
  const started = Promise.withResolvers<void>();
  const events = new AbortController();
  streamEvents(
    start.server.docker,
    { filters: { type: ["container"], event: ["start"], container: [start.name] }, since: Math.floor(Date.now() / 1000) - 1, signal: events.signal },
    () => started.resolve(),
  ).catch(() => {});
  return { started: started.promise, markStarted: () => started.resolve(), stopWatching: () => events.abort() };
}

/**
 * Writes the task's secret files and holds them until `release`: they must outlive the task
 * (its container's label also protects them). Throws (holding nothing) when they cannot be written.
 */
function holdTaskSecrets(start: TaskStart): { secretsDir: string | undefined; release: () => void } {
  const { server, service, config } = start;
  const release = config && server.configDir ? server.configDir.hold(service, config.digest) : () => {};
  try {
    return { secretsDir: config ? server.configDir?.writeEngineSecrets(config) : undefined, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Runs the task's container (stopped by `signal`), passing its output to `onOutput` as it comes. */
function launchTask(start: TaskStart, args: string[], secretsDir: string | undefined, signal: AbortSignal, onOutput: (chunk: Uint8Array) => Promise<void> | undefined): Promise<RunResult> {
  const { server, service, task, image, name, config } = start;
  return runContainer(server.docker, {
    image,
    args,
    name,
    env: taskEnv(server, service, task.version, name, config),
    labels: taskLabels(server, service, task.version, config),
    hostConfig: { ...limitsHostConfig(server.config.limits.task), Mounts: secretsMount(secretsDir) },
    timeoutMs: server.config.taskTimeoutMs,
    signal,
    containers: server.containers,
    keepOutput: false,
    onOutput: (_stream, chunk) => onOutput(chunk),
  });
}

/** Once the task has ended: its trailer (none when the client left), the log line, the task log entry. */
function reportTaskEnd(start: TaskStart, run: Promise<RunResult>, stop: TaskStop, entry: TaskRecord, write: (data: string) => Promise<void> | undefined): Promise<unknown> {
  const { server, name } = start;
  return run.then(
    (r) => {
      if (r.timedOut) write(timeoutTrailer(server.config.taskTimeoutMs));
      else if (stop.reason === "shutdown") write(exitTrailer(r.exitCode, "The server is shutting down; the task was killed."));
      else if (stop.reason !== "client") write(exitTrailer(r.exitCode));
      const why = r.timedOut ? "timed out" : stop.reason ? (stop.reason === "client" ? "client disconnected" : "shutdown") : "";
      server.logger.info(`task ${name} exited ${r.exitCode}${why ? ` (${why})` : ""}`);
      server.taskLog.finish(entry, r.exitCode, why || undefined);
    },
    (err: Error) => {
      server.taskLog.finish(entry, null, err.message);
      return write(`\nERROR: ${err.message}\n`);
    },
  );
}

async function startTask(start: TaskStart, request: Request, onStreamEnd: () => void): Promise<Response> {
  const { server, service, task, image, name, config } = start;
  const stop = new TaskStop(request, server.shutdown);
  let info: ImageInspect;
  try {
    // `signal` ends the pull: client gone, shutdown, --pull-timeout.
    info = await ensureImage(server.docker, image, { signal: AbortSignal.any([stop.signal, AbortSignal.timeout(server.config.limits.pullTimeoutMs)]) });
  } catch (err) {
    stop.detach();
    return pullFailure(start, stop, err);
  }
  const args = taskArgs(task.command, info?.Config?.Entrypoint);
  const { stream, write, close } = createTaskStream(stop.clientGone);
  const watch = watchTaskStart(start);
  let secrets: ReturnType<typeof holdTaskSecrets>;
  try {
    secrets = holdTaskSecrets(start);
  } catch (err) {
    stop.detach();
    watch.stopWatching();
    close();
    return plainError(500, `The task could not start: its secrets could not be written: ${(err as Error).message}`);
  }
  const run = launchTask(start, args, secrets.secretsDir, stop.signal, (chunk) => {
    watch.markStarted();
    return write(chunk);
  });
  const cleanup = () => {
    watch.stopWatching();
    stop.detach();
    server.tasks.delete(name);
    secrets.release();
    pruneAfterTask(server, service, config);
  };
  const first = await Promise.race([watch.started.then(() => "started" as const), run.then(() => "done" as const, () => "error" as const)]);
  watch.stopWatching();
  const entry = server.taskLog.start({ service, version: task.version, command: task.command, container: name });
  if (first === "error") {
    cleanup();
    const err = await run.catch((e: Error) => e);
    server.taskLog.finish(entry, null, `could not start: ${(err as Error).message}`);
    return plainError(500, `The task could not start: ${(err as Error).message}`);
  }
  server.logger.debug(`task ${name} started: ${JSON.stringify(args)}`);
  reportTaskEnd(start, run, stop, entry, write).finally(() => {
    cleanup();
    onStreamEnd();
    close();
  });
  return new Response(stream, { status: 200, headers: { "Content-Type": "text/plain", "X-Content-Type-Options": "nosniff" } });
}
