import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { attachContainer, type Attachment } from "../../docker/attach";
import type { DockerClient } from "../../docker/client";
import { createContainer, removeContainer, startContainer } from "../../docker/containers";
import { execInContainer, type ExecOptions, type ExecResult } from "../../docker/exec";
import { LABEL_COMPONENT, LABEL_RUN_ID } from "../../docker/labels";
import { buildRunCreateBody } from "../../docker/run";
import type { ContainerTracker } from "../../docker/tracking";
import { ensurePrivateDir, SCRATCH_FOLDER } from "../artefacts";
import { buildIdleProgram, IDLE_PATH } from "./idle-program";

/** The `deployster.phase` label of a runner container. */
export const RUNNER_PHASE = "runner";
/** What an exec'd invocation finds in its environment: its own fresh, empty, writable folder. */
export const SCRATCH_ENV = "DEPLOYSTER_SCRATCH";

export interface RunnerEnvironment {
  docker: DockerClient;
  runId: string;
  labels?: Record<string, string>;
  workspace: string;
  workDir: string;
  /** The binds every container of a type gets, given the folder mounted at the work dir's path. */
  baseMounts(scratchDir: string): string[];
  /** The run's containers: a runner is in it (removed with its scratch folder) until it stops. */
  containers?: ContainerTracker;
}

export type RunnerExecOptions = Omit<ExecOptions, "env" | "workdir" | "user">;

export interface Runner {
  readonly id: string;
  /** Accepts new invocations: running, not retired, not stopped. */
  readonly usable: boolean;
  exec(o: RunnerExecOptions): Promise<ExecResult>;
  /** Takes no new invocation; stops once the invocations in it have ended. */
  retire(): void;
  /** Kills and removes the container, and its scratch folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a runner: one container of `image` with the given plug mounts whose only process is
 * deployster's idle program, with a fresh private folder `<work>/.scratch/runner-*` holding
 * the idle program (`idle`, bind-mounted read-only at IDLE_PATH: no copy into the container,
 * which would cost the engine a mount of its file system before start) and the scratch
 * folder (`work`) mounted at the work dir's path. Every invocation exec'd into it gets its
 * own new sub-folder there (named by DEPLOYSTER_SCRATCH), removed when it ends.
 * Throws when the runner cannot start; nothing is left behind then.
 */
export async function startRunner(env: RunnerEnvironment, image: string, mounts: string[]): Promise<Runner> {
  const d = env.docker;
  const base = await ensurePrivateDir(env.workDir, [SCRATCH_FOLDER]);
  const folder = await mkdtemp(join(base, "runner-"));
  const scratch = join(folder, "work");
  const idle = join(folder, "idle");
  let id: string | undefined;
  let attachment: Attachment | undefined;
  let stopped = false;
  let retired = false;
  let exited = false;
  let inFlight = 0;
  let stopping: Promise<void> | undefined;

  // Memoized: every caller (end of run, Ctrl-C, retirement) waits for the same removal.
  const stop = (): Promise<void> => (stopping ??= removeRunner());
  const removeRunner = async () => {
    stopped = true;
    if (id) {
      // Removed before the attach connection closes: closing it first would end the idle
      // process and start the engine's own auto-removal, which a DELETE answers with 409
      // ("in progress") before the container is gone. The wait makes "removed" true on return.
      await removeContainer(d, id, { force: true }).catch(() => {});
      await d.call("POST", `/containers/${encodeURIComponent(id)}/wait`, { query: { condition: "removed" }, okStatuses: [404], timeoutMs: 15_000 }).catch(() => {});
      env.containers?.untrack(id);
    }
    attachment?.close();
    await rm(folder, { recursive: true, force: true }).catch(() => {});
  };

  try {
    await Promise.all([mkdir(scratch, { mode: 0o700 }), writeFile(idle, buildIdleProgram(), { mode: 0o555, flag: "wx" })]);
    const body = buildRunCreateBody({
      image,
      entrypoint: [IDLE_PATH],
      binds: [...env.baseMounts(scratch), `${idle}:${IDLE_PATH}:ro`, ...mounts],
      workdir: env.workspace,
      labels: { ...env.labels, [LABEL_COMPONENT]: "engine", [LABEL_RUN_ID]: env.runId, "deployster.phase": RUNNER_PHASE },
      // Stdin stays open (nothing is ever written): its end is the runner's signal to exit.
      stdin: "",
    });
    id = (await createContainer(d, body)).Id;
    env.containers?.track(d, id, stop);
    const attaching = attachContainer(d, id, { stdin: true, onFrame: () => {} });
    attaching.then((a) => (attachment = a)).catch(() => {});
    await attaching;
    void attachment!.done.then(() => (exited = true));
    await startContainer(d, id);
  } catch (err) {
    await stop();
    throw err;
  }
  const containerId = id;

  const runner: Runner = {
    id: containerId,
    get usable() {
      return !stopped && !retired && !exited;
    },
    async exec(o) {
      if (!runner.usable) throw new Error("its runner has stopped");
      inFlight++;
      let own: string | undefined;
      try {
        own = await mkdtemp(join(scratch, "inv-"));
        const r = await execInContainer(d, containerId, { ...o, workdir: env.workspace, env: { [SCRATCH_ENV]: join(env.workDir, basename(own)) } });
        // The process may still run: nothing else enters this runner, which stops once the
        // invocations still in it have ended.
        if (r.timedOut || r.stdoutOverflow) runner.retire();
        if (r.exitCode === null && !r.timedOut && !r.aborted && !r.stdoutOverflow) throw new Error("its runner stopped before the invocation ended");
        return r;
      } finally {
        inFlight--;
        if (own) await rm(own, { recursive: true, force: true }).catch(() => {});
        if (retired && inFlight === 0) await stop();
      }
    },
    retire() {
      retired = true;
      if (inFlight === 0) void stop();
    },
    stop,
  };
  return runner;
}
