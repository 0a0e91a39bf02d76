import type { DockerClient } from "../docker/client";
import { inspectImage, pullImage } from "../docker/images";
import { LABEL_COMPONENT, LABEL_RUN_ID } from "../docker/labels";
import { runContainer, type RunResult } from "../docker/run";
import { ProtocolError, UserError } from "../errors";
import { formatDuration } from "../engine/duration";
import { createArtefactWriter } from "./artefacts";
import type { ActionSpec, InitResult, InvocationBase, InvocationIO, Mounts, ResourceType, StateResult } from "./types";

export const LABEL_RESOURCE = "deployster.resource";
export const LABEL_PHASE = "deployster.phase";
export const LABEL_ACTION = "deployster.action";

export interface ImageTypeOptions {
  docker: DockerClient;
  runId: string;
  workspace: string;
  confDir: string;
  workDir: string;
  stateTimeoutMs: number;
  actionTimeoutMs: number;
  /** Added to every container's labels (e.g. a test's own label). */
  labels?: Record<string, string>;
  /** Counts containers run (the plan benchmark reads it). */
  stats?: { containersRun: number };
  onPull?(image: string): void;
}

/** Base mounts, at identical paths inside (resource-protocol.md section 5). */
export function baseMounts(o: Pick<ImageTypeOptions, "confDir" | "workspace" | "workDir">): string[] {
  return [`${o.confDir}:${o.confDir}:ro`, `${o.workspace}:${o.workspace}:ro`, `${o.workDir}:${o.workDir}:rw`];
}

interface Invocation {
  phase: "init" | "state" | "action";
  /** Work-dir folder: init, state or the action's name. */
  artefact: string;
  req: InvocationBase;
  image: string;
  entrypoint?: string;
  args?: string[];
  mounts: Mounts;
  io: InvocationIO;
}

/**
 * A resource type served by a Docker image: every call runs one container that reads one
 * JSON document on stdin (resource-protocol.md section 5). Results are parsed here and
 * validated by the engine (the same checks apply to built-in types).
 */
export function createImageType(type: string, o: ImageTypeOptions): ResourceType {
  const label = (inv: Invocation, action?: string): Record<string, string> => ({
    ...o.labels,
    [LABEL_COMPONENT]: "engine",
    [LABEL_RUN_ID]: o.runId,
    [LABEL_RESOURCE]: inv.req.name,
    [LABEL_PHASE]: inv.phase,
    ...(action ? { [LABEL_ACTION]: action } : {}),
  });
  const what = (inv: Invocation) => (inv.phase === "action" ? `action '${inv.artefact}' of '${inv.req.name}'` : `${inv.phase} of '${inv.req.name}'`);

  const run = async (inv: Invocation): Promise<RunResult> => {
    const stdin = JSON.stringify(inv.req);
    const art = createArtefactWriter(o.workDir, inv.req.name, inv.artefact);
    const pending = [art.write("stdin", stdin)];
    const timeoutMs = inv.phase === "action" ? o.actionTimeoutMs : o.stateTimeoutMs;
    let result: RunResult;
    try {
      result = await runContainer(o.docker, {
        image: inv.image,
        entrypoint: inv.entrypoint ? [inv.entrypoint] : undefined,
        args: inv.args && inv.args.length > 0 ? inv.args : undefined,
        binds: [...baseMounts(o), ...inv.mounts],
        workdir: o.workspace,
        labels: label(inv, inv.phase === "action" ? inv.artefact : undefined),
        stdin,
        timeoutMs,
        signal: inv.io.signal,
        onStderrLine: (line) => inv.io.output("stderr", line),
        onStdoutLine: inv.phase === "action" ? (line) => inv.io.output("stdout", line) : undefined,
        onPull: o.onPull,
      });
    } catch (err) {
      if (inv.io.signal.aborted) throw new UserError(`${what(inv)} was interrupted`);
      throw new UserError(`${what(inv)} could not run: ${(err as Error).message}`, 1, { cause: err });
    }
    if (o.stats) o.stats.containersRun++;
    pending.push(art.write("stdout", result.stdout), art.write("stderr", result.stderr));
    await Promise.all(pending);
    if (result.aborted) throw new UserError(`${what(inv)} was interrupted`);
    if (result.timedOut) throw new ProtocolError(inv.req.name, inv.phase, `${what(inv)} timed out after ${formatDuration(timeoutMs)} (container killed and removed)`);
    if (result.exitCode !== 0) throw new ProtocolError(inv.req.name, inv.phase, `${what(inv)} terminated with exit code ${result.exitCode}`);
    return result;
  };

  const runJson = async (inv: Invocation): Promise<unknown> => {
    const result = await run(inv);
    const text = result.stdout.toString("utf8").trim();
    if (text === "") throw new ProtocolError(inv.req.name, inv.phase, `${what(inv)} did not provide any JSON back`);
    try {
      return JSON.parse(text);
    } catch (err) {
      const head = text.length > 120 ? `${text.slice(0, 120)}...` : text;
      throw new ProtocolError(inv.req.name, inv.phase, `${what(inv)} provided invalid JSON: ${(err as Error).message} (stdout: ${JSON.stringify(head)})`);
    }
  };

  return {
    type,

    async initCacheKey() {
      let image = await inspectImage(o.docker, type);
      if (!image) {
        o.onPull?.(type);
        await pullImage(o.docker, type).catch((err) => {
          throw new UserError(`cannot pull resource type image '${type}': ${(err as Error).message}`, 1, { cause: err });
        });
        image = await inspectImage(o.docker, type);
      }
      return image?.Id as string | undefined;
    },

    async init(req: InvocationBase, io: InvocationIO): Promise<InitResult> {
      // Default entrypoint and no arguments; no plug mounts yet.
      return (await runJson({ phase: "init", artefact: "init", req, image: type, mounts: [], io })) as InitResult;
    },

    async state(req, init, mounts, io): Promise<StateResult> {
      const sa = init.state_action;
      const inv: Invocation = { phase: "state", artefact: "state", req, image: sa.image || type, entrypoint: sa.entrypoint, args: sa.args, mounts, io };
      return (await runJson(inv)) as StateResult;
    },

    async action(req, action: ActionSpec, _init, mounts, io): Promise<void> {
      await run({ phase: "action", artefact: action.name, req, image: action.image || type, entrypoint: action.entrypoint, args: action.args, mounts, io });
    },
  };
}
