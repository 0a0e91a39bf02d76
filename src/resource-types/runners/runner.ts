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
  const base = await ensurePrivateDir(env.workDir, [SCRATCH_FOLDER]);
  const runner = new ContainerRunner(env, await mkdtemp(join(base, "runner-")));
  try {
    await runner.launch(image, mounts);
  } catch (err) {
    await runner.stop();
    throw err;
  }
  return runner;
}

/** A runner's container, its folder (`idle`, `work`) and the invocations in it. */
class ContainerRunner implements Runner {
  private containerId: string | undefined;
  private attachment: Attachment | undefined;
  private stopped = false;
  private retired = false;
  private exited = false;
  private inFlight = 0;
  private stopping: Promise<void> | undefined;
  private readonly scratch: string;
  private readonly idle: string;

  constructor(
    private readonly env: RunnerEnvironment,
    private readonly folder: string,
  ) {
    this.scratch = join(folder, "work");
    this.idle = join(folder, "idle");
  }

  get id(): string {
    return this.containerId ?? "";
  }

  get usable(): boolean {
    return !this.stopped && !this.retired && !this.exited;
  }

  /** Creates the container, attaches its stdin (kept open: its end is the runner's signal to exit), starts it. */
  async launch(image: string, mounts: string[]): Promise<void> {
    const { docker, labels, runId, workspace } = this.env;
    await Promise.all([mkdir(this.scratch, { mode: 0o700 }), writeFile(this.idle, buildIdleProgram(), { mode: 0o555, flag: "wx" })]);
    const body = buildRunCreateBody({
      image,
      entrypoint: [IDLE_PATH],
      binds: [...this.env.baseMounts(this.scratch), `${this.idle}:${IDLE_PATH}:ro`, ...mounts],
      workdir: workspace,
      labels: { ...labels, [LABEL_COMPONENT]: "engine", [LABEL_RUN_ID]: runId, "deployster.phase": RUNNER_PHASE },
      // Stdin stays open (nothing is ever written): its end is the runner's signal to exit.
      stdin: "",
    });
    const id = (await createContainer(docker, body)).Id;
    this.containerId = id;
    this.env.containers?.track(docker, id, this.stop);
    const attaching = attachContainer(docker, id, { stdin: true, onFrame: () => {} });
    attaching.then((a) => (this.attachment = a)).catch(() => {});
    const attachment = await attaching;
    void attachment.done.then(() => (this.exited = true));
    await startContainer(docker, id);
  }

  async exec(o: RunnerExecOptions): Promise<ExecResult> {
    if (!this.usable || !this.containerId) throw new Error("its runner has stopped");
    this.inFlight++;
    let own: string | undefined;
    try {
      own = await mkdtemp(join(this.scratch, "inv-"));
      const { workDir, workspace } = this.env;
      const r = await execInContainer(this.env.docker, this.containerId, { ...o, workdir: workspace, env: { [SCRATCH_ENV]: join(workDir, basename(own)) } });
      // The process may still run: nothing else enters this runner, which stops once the
      // invocations still in it have ended.
      if (r.timedOut || r.stdoutOverflow) this.retire();
      if (r.exitCode === null && !r.timedOut && !r.aborted && !r.stdoutOverflow) throw new Error("its runner stopped before the invocation ended");
      return r;
    } finally {
      this.inFlight--;
      if (own) await rm(own, { recursive: true, force: true }).catch(() => {});
      if (this.retired && this.inFlight === 0) await this.stop();
    }
  }

  retire(): void {
    this.retired = true;
    if (this.inFlight === 0) void this.stop();
  }

  /** Memoized: every caller (end of run, Ctrl-C, retirement) waits for the same removal. */
  stop = (): Promise<void> => {
    this.stopping ??= this.remove();
    return this.stopping;
  };

  private async remove(): Promise<void> {
    this.stopped = true;
    const id = this.containerId;
    if (id) {
      // Removed before the attach connection closes: closing it first would end the idle
      // process and start the engine's own auto-removal, which a DELETE answers with 409
      // ("in progress") before the container is gone. The wait makes "removed" true on return.
      const docker = this.env.docker;
      await removeContainer(docker, id, { force: true }).catch(() => {});
      await docker.call("POST", `/containers/${encodeURIComponent(id)}/wait`, { query: { condition: "removed" }, okStatuses: [404], timeoutMs: 15_000 }).catch(() => {});
      this.env.containers?.untrack(id);
    }
    this.attachment?.close();
    await rm(this.folder, { recursive: true, force: true }).catch(() => {});
  }
}
