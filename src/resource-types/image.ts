import type { DockerClient } from "../docker/client";
import type { ContainerTracker } from "../docker/tracking";
import { ensureImage } from "../docker/images";
import { LABEL_COMPONENT, LABEL_RUN_ID } from "../docker/labels";
import { runContainer, type RunResult } from "../docker/run";
import { ProtocolError, UserError } from "../errors";
import { formatDuration } from "../duration";
import { ArtefactClock, createArtefactWriter, createScratchDir } from "./artefacts";
import type { Masker } from "./builtin/common/mask";
import { parseTypeOutput } from "./output-limits";
import type { RunnerPool } from "./runners/pool";
import { SCRATCH_ENV } from "./runners/runner";
import { maskSecretConfig } from "./secret-config";
import type { ActionSpec, InitResult, InvocationBase, InvocationIO, Mounts, ResourceType, StateResult } from "../engine/resource-type";

export const LABEL_RESOURCE = "deployster.resource";
export const LABEL_PHASE = "deployster.phase";
export const LABEL_ACTION = "deployster.action";

/** What init and state may answer on stdout; past it the container is killed (a protocol error). */
export const MAX_JSON_STDOUT_BYTES = 16 * 1024 * 1024;
/** Bytes of each output stream kept in an invocation's records (live output is not limited by it). */
export const ARTEFACT_KEEP_BYTES = 1024 * 1024;

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
  /** Default MAX_JSON_STDOUT_BYTES. */
  maxJsonStdoutBytes?: number;
  /** Runs the invocations of reusable images in runners (see runners/pool.ts); none: fresh containers. */
  runners?: RunnerPool;
  /** The run's containers (removed if the process is stopped). */
  containers?: ContainerTracker;
  /** The run's record timestamps (default: one per type). */
  clock?: ArtefactClock;
}

/**
 * Base mounts, at identical paths inside (resource-protocol.md section 5), except that the
 * writable dir a type sees at the work dir's path is its own fresh scratch dir: the work dir
 * itself, where deployster keeps its records, is never mounted.
 */
export function baseMounts(o: Pick<ImageTypeOptions, "confDir" | "workspace" | "workDir">, scratchDir: string): string[] {
  return [`${o.confDir}:${o.confDir}:ro`, `${o.workspace}:${o.workspace}:ro`, `${scratchDir}:${o.workDir}:rw`];
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
  /** The config_schema, which marks secret config values (hidden in records and output). */
  schema?: Record<string, unknown>;
}

/** What the records show of a request, and what hides its secrets in output. */
function maskRequest(inv: Invocation): { record: string; masker?: Masker } {
  const req = inv.req as InvocationBase & { config?: Record<string, unknown> };
  if (!req.config) return { record: JSON.stringify(req) };
  const { config, masker, secretCount } = maskSecretConfig(req.config, inv.schema);
  if (secretCount === 0) return { record: JSON.stringify(req) };
  return { record: masker.mask(JSON.stringify({ ...req, config })), masker };
}

/** A stream as recorded: secrets masked, and a note of what was not kept. */
function recordOf(bytes: Buffer, dropped: number, masker: Masker | undefined): string | Uint8Array {
  const note = dropped > 0 ? `\n[deployster: ${dropped} more bytes not kept]\n` : "";
  if (!masker && !note) return bytes;
  const text = bytes.toString("utf8");
  return (masker ? masker.mask(text) : text) + note;
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

  const maxJson = o.maxJsonStdoutBytes ?? MAX_JSON_STDOUT_BYTES;
  const clock = o.clock ?? new ArtefactClock();

  const run = async (inv: Invocation): Promise<RunResult> => {
    const stdin = JSON.stringify(inv.req);
    const { record, masker } = maskRequest(inv);
    const art = createArtefactWriter(o.workDir, inv.req.name, inv.artefact, clock);
    const pending = [art.write("stdin", record)];
    const json = inv.phase !== "action";
    const timeoutMs = json ? o.stateTimeoutMs : o.actionTimeoutMs;
    const show = (stream: "stdout" | "stderr") => (line: string) => inv.io.output(stream, masker ? masker.mask(line) : line);
    let result: RunResult;
    const collect = {
      onStderrLine: show("stderr"),
      onStdoutLine: json ? undefined : show("stdout"),
      maxStdoutBytes: json ? maxJson : undefined,
      keepBytes: { stdout: json ? maxJson : ARTEFACT_KEEP_BYTES, stderr: ARTEFACT_KEEP_BYTES },
    };
    try {
      const lease = await o.runners?.acquire(inv.image, inv.mounts, inv.entrypoint, inv.args);
      if (lease) {
        const r = await lease.runner.exec({ cmd: lease.cmd, stdin, timeoutMs, signal: inv.io.signal, ...collect });
        result = { ...r, exitCode: r.exitCode ?? 137, containerId: lease.runner.id };
      } else {
        const scratch = await createScratchDir(o.workDir);
        try {
          result = await runContainer(o.docker, {
            image: inv.image,
            entrypoint: inv.entrypoint ? [inv.entrypoint] : undefined,
            args: inv.args && inv.args.length > 0 ? inv.args : undefined,
            env: { [SCRATCH_ENV]: o.workDir },
            binds: [...baseMounts(o, scratch.path), ...inv.mounts],
            workdir: o.workspace,
            labels: label(inv, inv.phase === "action" ? inv.artefact : undefined),
            stdin,
            timeoutMs,
            signal: inv.io.signal,
            containers: o.containers,
            onPull: o.onPull,
            ...collect,
          });
        } finally {
          await scratch.remove();
        }
        if (o.stats) o.stats.containersRun++;
      }
    } catch (err) {
      await Promise.all(pending);
      if (inv.io.signal.aborted) throw new UserError(`${what(inv)} was interrupted`);
      throw new UserError(`${what(inv)} could not run: ${(err as Error).message}`, 1, { cause: err });
    }
    pending.push(art.write("stdout", recordOf(result.stdout, result.dropped.stdout, masker)), art.write("stderr", recordOf(result.stderr, result.dropped.stderr, masker)));
    await Promise.all(pending);
    if (result.aborted) throw new UserError(`${what(inv)} was interrupted`);
    if (result.stdoutOverflow) {
      throw new ProtocolError(inv.req.name, inv.phase, `${what(inv)} stdout exceeded ${maxJson} bytes (the cap of a JSON answer; container killed and removed)`);
    }
    if (result.timedOut) throw new ProtocolError(inv.req.name, inv.phase, `${what(inv)} timed out after ${formatDuration(timeoutMs)} (container killed and removed)`);
    if (result.exitCode !== 0) throw new ProtocolError(inv.req.name, inv.phase, `${what(inv)} terminated with exit code ${result.exitCode}`);
    return result;
  };

  const runJson = async (inv: Invocation): Promise<unknown> => {
    const result = await run(inv);
    const parsed = parseTypeOutput(result.stdout.toString("utf8"));
    if (parsed.ok) return parsed.value;
    const problem = parsed.problem === "empty" ? "did not provide any JSON back" : parsed.problem === "deep" ? parsed.message : `provided invalid JSON: ${parsed.message}`;
    throw new ProtocolError(inv.req.name, inv.phase, `${what(inv)} ${problem}`);
  };

  return {
    type,

    async initCacheKey() {
      let pulling = false;
      const onPull = () => {
        pulling = true;
        o.onPull?.(type);
      };
      const image = await ensureImage(o.docker, type, { onPull }).catch((err) => {
        if (!pulling) throw err;
        throw new UserError(`cannot pull resource type image '${type}': ${(err as Error).message}`, 1, { cause: err });
      });
      o.runners?.primeImage(type, image);
      return image.Id;
    },

    prepareInvocation(init, mounts, action) {
      const spec = action ?? init.state_action;
      o.runners?.prepare(spec.image || type, mounts, spec.entrypoint, spec.args);
    },

    async init(req: InvocationBase, io: InvocationIO): Promise<InitResult> {
      // Default entrypoint and no arguments; no plug mounts yet.
      return (await runJson({ phase: "init", artefact: "init", req, image: type, mounts: [], io })) as InitResult;
    },

    async state(req, init, mounts, io): Promise<StateResult> {
      const sa = init.state_action;
      const inv: Invocation = { phase: "state", artefact: "state", req, image: sa.image || type, entrypoint: sa.entrypoint, args: sa.args, mounts, io, schema: init.config_schema };
      return (await runJson(inv)) as StateResult;
    },

    async action(req, action: ActionSpec, init, mounts, io): Promise<void> {
      const schema = init.config_schema;
      await run({ phase: "action", artefact: action.name, req, image: action.image || type, entrypoint: action.entrypoint, args: action.args, mounts, io, schema });
    },
  };
}
