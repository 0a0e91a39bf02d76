/**
 * Tasks on Swarm: a one-off job (`replicated-job`, restart none) that runs on whichever node
 * Swarm picks. Same contract as on one engine: 200 once the task has started (image and
 * start failures are a 500 `ERROR: <why>`), its output streamed as it comes (service logs),
 * then the trailer with the real exit code, 124 on timeout; the service is removed
 * afterwards, also when the client disconnects or the server shuts down.
 */
import { registryAuthHeader } from "../../../docker/auth";
import { createService, listTasks, removeService, serviceLogs } from "../../../docker/swarm";
import type { ServerContext } from "../../context";
import type { ServiceConfig } from "../../config-dir";
import { ensureImage } from "../../../docker/images";
import type { ImageInspect, SwarmTask } from "../../../docker/types";
import { exitTrailer, plainError, pruneAfterTask, taskArgs, taskEnv, taskLabels, timeoutTrailer } from "../../task-common";
import type { TaskRequest } from "../../validate";
import type { ContainerLimits } from "../../limits";
import { ensureSwarmSecrets } from "./secrets";
import { swarmResources, swarmServiceName } from "./spec";

const POLL_MS = 250;
/** Bytes queued for the client before reading the task's log pauses (back-pressure). */
const STREAM_HIGH_WATER = 256 * 1024;
/** After the task ended, its log is followed until it has been quiet this long (at most TAIL_MAX_MS). */
const TAIL_QUIET_MS = 500;
const TAIL_MAX_MS = 5000;
const TERMINAL = new Set(["complete", "failed", "shutdown", "rejected", "orphaned", "remove"]);

/** The job's service spec (pure). Args keep the image's ENTRYPOINT, as on one engine. */
export function buildTaskSpec(o: {
  name: string;
  image: string;
  args: string[];
  labels: Record<string, string>;
  limits?: ContainerLimits;
  env?: Record<string, string>;
  secrets?: Record<string, unknown>[];
}): Record<string, unknown> {
  const env = o.env ? Object.entries(o.env).map(([k, v]) => `${k}=${v}`) : undefined;
  return {
    Name: swarmServiceName(o.name),
    Labels: o.labels,
    TaskTemplate: {
      ContainerSpec: { Image: o.image, Args: o.args, Env: env, Secrets: o.secrets },
      RestartPolicy: { Condition: "none" },
      Resources: swarmResources(o.limits),
      LogDriver: { Name: "json-file", Options: { "max-size": "10m", "max-file": "3" } },
    },
    Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
  };
}

async function jobTask(server: ServerContext, id: string): Promise<SwarmTask | undefined> {
  const tasks = (await listTasks(server.docker, [id])) ?? [];
  return tasks.sort((a, b) => String(b.CreatedAt ?? "").localeCompare(String(a.CreatedAt ?? "")))[0];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface SwarmTaskOptions {
  service: string;
  task: TaskRequest;
  request: Request;
  image: string;
  /** Unique task name, registered in server.tasks by the caller; removed from it when the task ends. */
  name: string;
  /** The version's configuration (--config-dir). */
  config?: ServiceConfig;
}

/** Creates the job's service (its secrets first); the answer to give when that fails. */
async function createJobService(server: ServerContext, o: SwarmTaskOptions, args: string[]): Promise<{ id: string } | { failure: Response }> {
  const { service, task, image, name, config } = o;
  const labels = taskLabels(server, service, task.version, config);
  const env = taskEnv(server, service, task.version, name, config);
  const releases = (config?.secrets ?? []).map((s) => server.configDir?.hold(service, s.digest) ?? (() => {}));
  try {
    const secrets = config ? await ensureSwarmSecrets(server.docker, config, server.config.scopeLabels) : undefined;
    const { ID } = await createService(server.docker, buildTaskSpec({ name, image, args, labels, limits: server.config.limits.task, env, secrets }), registryAuthHeader(image));
    return { id: ID };
  } catch (err) {
    return { failure: plainError(500, `The task could not start: ${(err as Error).message}`) };
  } finally {
    // The job service references its secrets from here on.
    for (const release of releases) release();
  }
}

/** The job's (newest) Swarm task as the engine reports it. */
type JobTask = Awaited<ReturnType<typeof jobTask>>;

type JobStart = { started: true; task: JobTask } | { started: false; task: JobTask; state: string | undefined };

/**
 * Started = the task runs or has already ended. Rejected or failed before running, the client
 * gone, the server stopping, or --health-timeout passed: a start failure.
 */
async function waitForJobStart(server: ServerContext, id: string, request: Request): Promise<JobStart> {
  const startDeadline = Date.now() + server.config.healthTimeoutMs;
  for (;;) {
    const task = await jobTask(server, id).catch(() => undefined);
    const state = task?.Status?.State;
    if (state === "running" || state === "complete" || (state === "failed" && task?.Status?.ContainerStatus?.ContainerID)) return { started: true, task };
    if (state === "rejected" || state === "failed" || request.signal.aborted || server.shutdown.aborted || Date.now() > startDeadline) return { started: false, task, state };
    await sleep(POLL_MS);
  }
}

function startFailureReason(server: ServerContext, request: Request, start: JobStart & { started: false }): string {
  return start.task?.Status?.Err ?? (request.signal.aborted ? "the client disconnected" : server.shutdown.aborted ? "the server is shutting down" : `its task is still ${start.state ?? "unscheduled"}`);
}

/** The response body: output queued up to STREAM_HIGH_WATER bytes, `waitForRoom` for the log follower past that. */
function createJobStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let roomWaiter: (() => void) | undefined;
  const wake = () => {
    roomWaiter?.();
    roomWaiter = undefined;
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: wake,
      cancel: () => {
        open = false;
        wake();
      },
    },
    { highWaterMark: STREAM_HIGH_WATER, size: (chunk) => chunk?.byteLength ?? 0 },
  );
  return {
    stream,
    /** False once the client cancelled the stream (or it was closed). */
    isOpen: () => open,
    wake,
    write(data: Uint8Array | string): void {
      if (!open) return;
      try {
        controller.enqueue(typeof data === "string" ? new TextEncoder().encode(data) : data.slice());
      } catch {
        open = false;
      }
    },
    waitForRoom: () =>
      !open || (controller.desiredSize ?? 1) > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            roomWaiter = resolve;
          }),
    close(): void {
      if (!open) return;
      open = false;
      try {
        controller.close();
      } catch {}
    },
  };
}

type JobStream = ReturnType<typeof createJobStream>;

/** Follows the job's service log into the body; `quiet()` tells whether the log has been silent long enough to end. */
function followJobLog(server: ServerContext, id: string, body: JobStream) {
  const follow = new AbortController();
  let lastDataAt = Date.now();
  let ended = false;
  const followed = serviceLogs(server.docker, id, {
    follow: true,
    signal: follow.signal,
    waitForRoom: body.waitForRoom,
    onChunk: (_s, data) => {
      lastDataAt = Date.now();
      body.write(data);
    },
  })
    .catch(() => {})
    .finally(() => {
      ended = true;
    });
  return {
    followed,
    stop: () => follow.abort(),
    /** The log reaches the manager a little after the task's end: follow it until quiet (TAIL_QUIET_MS, at most TAIL_MAX_MS). */
    async drain(): Promise<void> {
      const endAt = Date.now();
      while (!ended && body.isOpen() && Date.now() - endAt < TAIL_MAX_MS && (Date.now() - lastDataAt < TAIL_QUIET_MS || Date.now() - endAt < TAIL_QUIET_MS)) {
        await sleep(50);
      }
    },
  };
}

type JobEnding = "done" | "timeout" | "client" | "shutdown";

/** Polls the job until its task ends, the client leaves, the server stops or the task's time is up. */
async function waitForJobEnd(server: ServerContext, id: string, request: Request, body: JobStream, task: JobTask, deadline: number): Promise<{ ending: JobEnding; task: JobTask }> {
  let ending: JobEnding = "done";
  for (;;) {
    if (TERMINAL.has(task?.Status?.State ?? "")) break;
    if (request.signal.aborted || !body.isOpen()) ending = "client";
    else if (server.shutdown.aborted) ending = "shutdown";
    else if (Date.now() > deadline) ending = "timeout";
    if (ending !== "done") break;
    await sleep(POLL_MS);
    task = (await jobTask(server, id).catch(() => task)) ?? task;
  }
  return { ending, task };
}

/** The trailer for how the job ended (none when the client left), and the log line. */
function writeJobTrailer(server: ServerContext, name: string, body: JobStream, ending: JobEnding, task: JobTask): void {
  const code = Number(task?.Status?.ContainerStatus?.ExitCode ?? (task?.Status?.State === "complete" ? 0 : 1));
  if (ending === "timeout") body.write(timeoutTrailer(server.config.taskTimeoutMs));
  else if (ending === "shutdown") body.write(exitTrailer(137, "The server is shutting down; the task was killed."));
  else if (ending === "done") body.write(exitTrailer(code, task?.Status?.State === "failed" && code === 0 ? String(task?.Status?.Err ?? "") : ""));
  server.logger.info(`task ${name} (Swarm) ${ending === "done" ? `exited ${code}` : ending}`);
}

export async function runSwarmTask(server: ServerContext, o: SwarmTaskOptions): Promise<Response> {
  const { service, task, request, image, name, config } = o;
  let info: ImageInspect;
  try {
    // The manager pulls it too: its ENTRYPOINT decides how the command is passed.
    const signal = AbortSignal.any([request.signal, server.shutdown, AbortSignal.timeout(server.config.limits.pullTimeoutMs)]);
    info = await ensureImage(server.docker, image, { signal });
  } catch (err) {
    return plainError(500, `The image ${image} is not available: ${(err as Error).message}`);
  }
  const created = await createJobService(server, o, taskArgs(task.command, info?.Config?.Entrypoint));
  if ("failure" in created) return created.failure;
  const { id } = created;
  const remove = () =>
    removeService(server.docker, id)
      .then(() => pruneAfterTask(server, service, config))
      .catch((err) => server.logger.warn(`task ${name}: removing its service failed: ${(err as Error).message}`));

  const start = await waitForJobStart(server, id, request);
  if (!start.started) {
    await remove();
    return plainError(500, `The task could not start: ${startFailureReason(server, request, start)}`);
  }
  const body = createJobStream();
  const log = followJobLog(server, id, body);
  const deadline = Date.now() + server.config.taskTimeoutMs;
  (async () => {
    const end = await waitForJobEnd(server, id, request, body, start.task, deadline);
    if (end.ending === "done") await log.drain();
    log.stop();
    body.wake();
    await log.followed;
    await remove();
    writeJobTrailer(server, name, body, end.ending, end.task);
  })()
    .finally(() => server.tasks.delete(name))
    .catch((err: Error) => body.write(`\nERROR: ${err.message}\n`))
    .finally(() => body.close());
  return new Response(body.stream, { status: 200, headers: { "Content-Type": "text/plain", "X-Content-Type-Options": "nosniff" } });
}
