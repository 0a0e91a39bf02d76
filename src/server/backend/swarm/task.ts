/**
 * Tasks on Swarm: a one-off job (`replicated-job`, restart none) that runs on whichever node
 * Swarm picks. Same contract as on one engine: 200 once the task has started (image and
 * start failures are a 500 `ERROR: <why>`), its output streamed as it comes (service logs),
 * then the trailer with the real exit code, 124 on timeout; the service is removed
 * afterwards, also when the client disconnects or the server shuts down.
 */
import { registryAuthHeader } from "../../../docker/auth";
import { createService, listTasks, removeService, serviceLogs } from "../../../docker/swarm";
import { ensureImage } from "../../../docker/images";
import type { ImageInspect, SwarmTask } from "../../../docker/types";
import type { ServerContext } from "../../context";
import type { ServiceConfig } from "../../config-dir";
import { exitTrailer, plainError, pruneAfterTask, taskArgs, taskEnv, taskLabels, timeoutTrailer } from "../../handlers/tasks";
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

async function jobTask(ctx: ServerContext, id: string): Promise<SwarmTask | undefined> {
  const tasks = (await listTasks(ctx.docker, [id])) ?? [];
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
  /** Unique task name, registered in ctx.tasks by the caller; removed from it when the task ends. */
  name: string;
  /** The version's configuration (--config-dir). */
  config?: ServiceConfig;
}

export async function runSwarmTask(ctx: ServerContext, o: SwarmTaskOptions): Promise<Response> {
  const { service, task, request, image, name, config } = o;
  let info: ImageInspect;
  try {
    // The manager pulls it too: its ENTRYPOINT decides how the command is passed.
    const signal = AbortSignal.any([request.signal, ctx.shutdown, AbortSignal.timeout(ctx.config.limits.pullTimeoutMs)]);
    info = await ensureImage(ctx.docker, image, { signal });
  } catch (err) {
    return plainError(500, `The image ${image} is not available: ${(err as Error).message}`);
  }
  const args = taskArgs(task.command, info?.Config?.Entrypoint);
  const labels = taskLabels(ctx, service, task.version, config);
  const env = taskEnv(ctx, service, task.version, name, config);
  const releases = (config?.secrets ?? []).map((s) => ctx.configDir?.hold(service, s.digest) ?? (() => {}));
  let id: string;
  try {
    const secrets = config ? await ensureSwarmSecrets(ctx.docker, config, ctx.config.scopeLabels) : undefined;
    ({ ID: id } = await createService(ctx.docker, buildTaskSpec({ name, image, args, labels, limits: ctx.config.limits.task, env, secrets }), registryAuthHeader(image)));
  } catch (err) {
    return plainError(500, `The task could not start: ${(err as Error).message}`);
  } finally {
    // The job service references its secrets from here on.
    for (const release of releases) release();
  }
  const remove = () =>
    removeService(ctx.docker, id)
      .then(() => pruneAfterTask(ctx, service, config))
      .catch((err) => ctx.logger.warn(`task ${name}: removing its service failed: ${(err as Error).message}`));

  // Started = the task runs or has already ended; rejected before running = a start failure.
  const startDeadline = Date.now() + ctx.config.healthTimeoutMs;
  let t: SwarmTask | undefined;
  for (;;) {
    t = await jobTask(ctx, id).catch(() => undefined);
    const state = t?.Status?.State;
    if (state === "running" || state === "complete" || (state === "failed" && t?.Status?.ContainerStatus?.ContainerID)) break;
    if (state === "rejected" || state === "failed" || request.signal.aborted || ctx.shutdown.aborted || Date.now() > startDeadline) {
      await remove();
      const why = t?.Status?.Err ?? (request.signal.aborted ? "the client disconnected" : ctx.shutdown.aborted ? "the server is shutting down" : `its task is still ${state ?? "unscheduled"}`);
      return plainError(500, `The task could not start: ${why}`);
    }
    await sleep(POLL_MS);
  }

  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  const write = (data: Uint8Array | string) => {
    if (!open) return;
    try {
      controller.enqueue(typeof data === "string" ? new TextEncoder().encode(data) : data.slice());
    } catch {
      open = false;
    }
  };
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
  const waitForRoom = () =>
    !open || (controller.desiredSize ?? 1) > 0
      ? Promise.resolve()
      : new Promise<void>((r) => {
          roomWaiter = r;
        });

  const follow = new AbortController();
  let lastDataAt = Date.now();
  let followEnded = false;
  const followed = serviceLogs(ctx.docker, id, {
    follow: true,
    signal: follow.signal,
    waitForRoom,
    onChunk: (_s, data) => {
      lastDataAt = Date.now();
      write(data);
    },
  })
    .catch(() => {})
    .finally(() => (followEnded = true));

  const timeoutMs = ctx.config.taskTimeoutMs;
  const deadline = Date.now() + timeoutMs;
  (async () => {
    let ending: "done" | "timeout" | "client" | "shutdown" = "done";
    for (;;) {
      if (TERMINAL.has(t?.Status?.State ?? "")) break;
      if (request.signal.aborted || !open) ending = "client";
      else if (ctx.shutdown.aborted) ending = "shutdown";
      else if (Date.now() > deadline) ending = "timeout";
      if (ending !== "done") break;
      await sleep(POLL_MS);
      t = (await jobTask(ctx, id).catch(() => t)) ?? t;
    }
    if (ending === "done") {
      // The log reaches the manager a little after the task's end: follow it until quiet.
      const endAt = Date.now();
      while (!followEnded && open && Date.now() - endAt < TAIL_MAX_MS && (Date.now() - lastDataAt < TAIL_QUIET_MS || Date.now() - endAt < TAIL_QUIET_MS)) {
        await sleep(50);
      }
    }
    follow.abort();
    wake();
    await followed;
    await remove();
    const code = Number(t?.Status?.ContainerStatus?.ExitCode ?? (t?.Status?.State === "complete" ? 0 : 1));
    if (ending === "timeout") write(timeoutTrailer(timeoutMs));
    else if (ending === "shutdown") write(exitTrailer(137, "The server is shutting down; the task was killed."));
    else if (ending === "done") write(exitTrailer(code, t?.Status?.State === "failed" && code === 0 ? String(t?.Status?.Err ?? "") : ""));
    ctx.logger.info(`task ${name} (Swarm) ${ending === "done" ? `exited ${code}` : ending}`);
  })()
    .finally(() => ctx.tasks.delete(name))
    .catch((err: Error) => write(`\nERROR: ${err.message}\n`))
    .finally(() => {
      if (!open) return;
      open = false;
      try {
        controller.close();
      } catch {}
    });
  return new Response(stream, { status: 200, headers: { "Content-Type": "text/plain", "X-Content-Type-Options": "nosniff" } });
}
