import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { attachContainer, type Attachment } from "../../docker/attach";
import type { DockerClient } from "../../docker/client";
import { type CollectedOutput, type CollectOptions, OutputCollector } from "../../docker/collect";
import { createContainer, removeContainer, startContainer } from "../../docker/containers";
import { LABEL_COMPONENT, LABEL_RUN_ID } from "../../docker/labels";
import { buildRunCreateBody } from "../../docker/run";
import type { ContainerTracker } from "../../docker/tracking";
import { ensurePrivateDir, SCRATCH_FOLDER } from "../artefacts";
import { AGENT_PATH, agentProgram } from "./agent-binary";
import { type AgentFrame, AgentFrameReader, encodeFrame, encodeStart, encodeStdin } from "./agent-protocol";

/** The `deployster.phase` label of a runner container. */
export const RUNNER_PHASE = "runner";
/** What an invocation in a runner finds in its environment: its own fresh, empty, writable folder. */
export const SCRATCH_ENV = "DEPLOYSTER_SCRATCH";
/** How long a started runner's agent has to say it is ready. */
const READY_TIMEOUT_MS = 15_000;
/** The last bytes of the agent's own stderr kept for a message. */
const AGENT_STDERR_KEEP = 2048;

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

export interface RunnerExecOptions extends CollectOptions {
  cmd: string[];
  stdin?: string | Uint8Array;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunnerExecResult extends CollectedOutput {
  /** The process's exit code (128 + signal if a signal ended it); null when it did not end (timeout, abort, overflow) or its runner went away. */
  exitCode: number | null;
}

export interface Runner {
  readonly id: string;
  /** Accepts new invocations: running, not stopped. */
  readonly usable: boolean;
  exec(o: RunnerExecOptions): Promise<RunnerExecResult>;
  /** Kills and removes the container, and its scratch folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a runner: one container of `image` with the given plug mounts whose only process is
 * deployster's runner agent, with a fresh private folder `<work>/.scratch/runner-*` holding
 * the agent (`agent`, bind-mounted read-only at AGENT_PATH) and the scratch folder (`work`)
 * mounted at the work dir's path. Every invocation gets its own new sub-folder there (named
 * by DEPLOYSTER_SCRATCH), removed when it ends.
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

/** One invocation in flight: where its output goes and how it ends. */
interface InFlight {
  output: OutputCollector;
  /** Settles with the exit status, or null when it ended without one. */
  end(status: number | null): void;
}

/** A runner's container, its folder (`agent`, `work`), its agent's frames and the invocations in it. */
class ContainerRunner implements Runner {
  private containerId: string | undefined;
  private attachment: Attachment | undefined;
  private stopped = false;
  private exited = false;
  private nextId = 1;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly ready = Promise.withResolvers<void>();
  private readonly reader = new AgentFrameReader((frame) => this.onFrame(frame));
  /** Frames written one after another: a frame's bytes never interleave with another's. */
  private writing: Promise<void> = Promise.resolve();
  private agentStderr = "";
  /** Why the agent is gone, once it is. */
  private goneWhy: string | undefined;
  private stopping: Promise<void> | undefined;
  private readonly scratch: string;
  private readonly agent: string;

  constructor(
    private readonly env: RunnerEnvironment,
    private readonly folder: string,
  ) {
    this.scratch = join(folder, "work");
    this.agent = join(folder, "agent");
    this.ready.promise.catch(() => {});
  }

  get id(): string {
    return this.containerId ?? "";
  }

  get usable(): boolean {
    return !this.stopped && !this.exited;
  }

  /** Creates the container, attaches to it (its stdin stays open: its end is the agent's signal to exit), starts it, waits for the agent. */
  async launch(image: string, mounts: string[]): Promise<void> {
    const { docker, labels, runId, workspace } = this.env;
    await Promise.all([mkdir(this.scratch, { mode: 0o700 }), writeFile(this.agent, await agentProgram(), { mode: 0o555, flag: "wx" })]);
    const body = buildRunCreateBody({
      image,
      entrypoint: [AGENT_PATH],
      binds: [...this.env.baseMounts(this.scratch), `${this.agent}:${AGENT_PATH}:ro`, ...mounts],
      workdir: workspace,
      labels: { ...labels, [LABEL_COMPONENT]: "engine", [LABEL_RUN_ID]: runId, "deployster.phase": RUNNER_PHASE },
      stdin: "",
    });
    const id = (await createContainer(docker, body)).Id;
    this.containerId = id;
    this.env.containers?.track(docker, id, this.stop);
    const attaching = attachContainer(docker, id, { stdin: true, onFrame: (stream, data) => this.onOutput(stream, data) });
    attaching.then((a) => (this.attachment = a)).catch(() => {});
    const attachment = await attaching;
    void attachment.done.then(
      () => this.gone(`its agent exited${this.agentStderr ? `: ${this.agentStderr.trim()}` : ""}`),
      () => this.gone("its connection to the engine broke"),
    );
    await startContainer(docker, id);
    const timer = setTimeout(() => this.ready.reject(new Error(`its agent did not answer within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    try {
      await this.ready.promise;
    } finally {
      clearTimeout(timer);
    }
  }

  async exec(o: RunnerExecOptions): Promise<RunnerExecResult> {
    if (!this.usable) throw new Error("its runner has stopped");
    const own = await mkdtemp(join(this.scratch, "inv-"));
    try {
      const r = await this.invoke(o, { [SCRATCH_ENV]: join(this.env.workDir, basename(own)) });
      if (r.exitCode === null && !r.timedOut && !r.aborted && !r.stdoutOverflow) throw new Error(`its runner stopped before the invocation ended (${this.goneWhy ?? "removed"})`);
      return r;
    } finally {
      await rm(own, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Starts the invocation through the agent and waits for its end, its timeout, its abort or its stdout overflow (the last three kill it). */
  private async invoke(o: RunnerExecOptions, env: Record<string, string>): Promise<RunnerExecResult> {
    const id = this.nextId++;
    const ended = Promise.withResolvers<number | null>();
    let stoppedBy: "timeout" | "abort" | "overflow" | undefined;
    const stop = (why: NonNullable<typeof stoppedBy>) => {
      stoppedBy ??= why;
      this.write(encodeFrame("K", id));
      ended.resolve(null);
    };
    const output = new OutputCollector(o, () => stop("overflow"));
    const onAbort = () => stop("abort");
    const timer = o.timeoutMs ? setTimeout(() => stop("timeout"), o.timeoutMs) : undefined;
    this.inFlight.set(id, { output, end: (status) => ended.resolve(status) });
    o.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (o.signal?.aborted) onAbort();
      // Gone while this invocation got ready: nothing will ever answer it.
      else if (!this.usable) ended.resolve(null);
      else this.sendStart(id, o, env);
      const exitCode = await ended.promise;
      const aborted = stoppedBy === "abort" || !!o.signal?.aborted;
      return { exitCode, ...output.finish(), timedOut: stoppedBy === "timeout", aborted, stdoutOverflow: output.stdoutOverflow, dropped: output.dropped };
    } finally {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      this.inFlight.delete(id);
    }
  }

  private sendStart(id: number, o: RunnerExecOptions, env: Record<string, string>): void {
    const stdin = typeof o.stdin === "string" ? new TextEncoder().encode(o.stdin) : (o.stdin ?? new Uint8Array(0));
    this.write(encodeStart(id, { cwd: this.env.workspace, argv: o.cmd, env }));
    for (const frame of encodeStdin(id, stdin)) this.write(frame);
  }

  private write(frame: Uint8Array): void {
    const attachment = this.attachment;
    if (!attachment || !this.usable) return;
    this.writing = this.writing.then(() => attachment.writeStdin(frame)).catch(() => {});
  }

  private onOutput(stream: string, data: Uint8Array): void {
    if (stream === "stderr") {
      this.agentStderr = (this.agentStderr + new TextDecoder().decode(data)).slice(-AGENT_STDERR_KEEP);
      return;
    }
    try {
      this.reader.push(data);
    } catch (err) {
      // A frame the agent never sends: nothing more it says can be trusted.
      this.gone((err as Error).message);
      void this.stop();
    }
  }

  private onFrame(frame: AgentFrame): void {
    if (frame.type === "R") {
      this.ready.resolve();
      return;
    }
    const invocation = this.inFlight.get(frame.id);
    if (!invocation) return; // ended here already (timeout, abort, overflow)
    if (frame.type === "Z") invocation.end(frame.status);
    else invocation.output.push(frame.type === "O" ? "stdout" : "stderr", frame.data);
  }

  /** The agent is gone (or broke the protocol): the invocations in it end without a status. */
  private gone(why: string): void {
    if (this.exited) return;
    this.exited = true;
    this.goneWhy = why;
    this.ready.reject(new Error(why));
    for (const invocation of this.inFlight.values()) invocation.end(null);
  }

  /** Memoized: every caller (end of run, Ctrl-C, a broken agent) waits for the same removal. */
  stop = (): Promise<void> => {
    this.stopping ??= this.remove();
    return this.stopping;
  };

  private async remove(): Promise<void> {
    this.stopped = true;
    this.gone("the runner was removed");
    const id = this.containerId;
    if (id) {
      // Removed before the attach connection closes: closing it first would end the agent
      // and start the engine's own auto-removal, which a DELETE answers with 409
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
