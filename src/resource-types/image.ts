import type { DockerClient } from "../docker/client";
import type { ContainerTracker } from "../docker/tracking";
import { ensureImage } from "../docker/images";
import { LABEL_COMPONENT, LABEL_RUN_ID } from "../docker/labels";
import { runContainer, type RunOptions, type RunResult } from "../docker/run";
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
 * Base mounts, at identical paths inside (PROTOCOL.md, "How containers are run"), except that the
 * writable dir a type sees at the work dir's path is its own fresh scratch dir: the work dir
 * itself, where deployster keeps its records, is never mounted.
 */
export function baseMounts(options: Pick<ImageTypeOptions, "confDir" | "workspace" | "workDir">, scratchDir: string): string[] {
  return [`${options.confDir}:${options.confDir}:ro`, `${options.workspace}:${options.workspace}:ro`, `${scratchDir}:${options.workDir}:rw`];
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

function invocationLabels(options: ImageTypeOptions, inv: Invocation): Record<string, string> {
  return {
    ...options.labels,
    [LABEL_COMPONENT]: "engine",
    [LABEL_RUN_ID]: options.runId,
    [LABEL_RESOURCE]: inv.req.name,
    [LABEL_PHASE]: inv.phase,
    ...(inv.phase === "action" ? { [LABEL_ACTION]: inv.artefact } : {}),
  };
}

/** How messages name an invocation: `action 'x' of 'r'`, `state of 'r'`. */
function describeInvocation(inv: Invocation): string {
  return inv.phase === "action" ? `action '${inv.artefact}' of '${inv.req.name}'` : `${inv.phase} of '${inv.req.name}'`;
}

/** How an invocation's output is collected: live lines, the JSON cap, the bytes kept for the records. */
type OutputCollection = Pick<RunOptions, "onStderrLine" | "onStdoutLine" | "maxStdoutBytes" | "keepBytes">;

/** Runs the invocation in a runner when the pool has one for it, else in a fresh container with the base mounts. */
async function executeInvocation(options: ImageTypeOptions, inv: Invocation, stdin: string, timeoutMs: number, collect: OutputCollection): Promise<RunResult> {
  const lease = await options.runners?.acquire(inv.image, inv.mounts, inv.entrypoint, inv.args);
  if (lease) {
    const outcome = await lease.runner.exec({ cmd: lease.cmd, stdin, timeoutMs, signal: inv.io.signal, ...collect });
    return { ...outcome, exitCode: outcome.exitCode ?? 137, containerId: lease.runner.id };
  }
  const scratch = await createScratchDir(options.workDir);
  let result: RunResult;
  try {
    result = await runContainer(options.docker, {
      image: inv.image,
      entrypoint: inv.entrypoint ? [inv.entrypoint] : undefined,
      args: inv.args && inv.args.length > 0 ? inv.args : undefined,
      env: { [SCRATCH_ENV]: options.workDir },
      binds: [...baseMounts(options, scratch.path), ...inv.mounts],
      workdir: options.workspace,
      labels: invocationLabels(options, inv),
      stdin,
      timeoutMs,
      signal: inv.io.signal,
      containers: options.containers,
      onPull: options.onPull,
      ...collect,
    });
  } finally {
    await scratch.remove();
  }
  if (options.stats) options.stats.containersRun++;
  return result;
}

/** Throws what a finished invocation did wrong: interrupted, stdout over the cap, timed out, non-zero exit. */
function checkRunResult(inv: Invocation, result: RunResult, timeoutMs: number, maxJson: number): void {
  const what = describeInvocation(inv);
  if (result.aborted) throw new UserError(`${what} was interrupted`);
  if (result.stdoutOverflow) {
    throw new ProtocolError(inv.req.name, inv.phase, `${what} stdout exceeded ${maxJson} bytes (the cap of a JSON answer; container killed and removed)`);
  }
  if (result.timedOut) throw new ProtocolError(inv.req.name, inv.phase, `${what} timed out after ${formatDuration(timeoutMs)} (container killed and removed)`);
  if (result.exitCode !== 0) throw new ProtocolError(inv.req.name, inv.phase, `${what} terminated with exit code ${result.exitCode}`);
}

/** One invocation: the request on stdin, its records in the work dir (secrets masked), the result checked. */
async function runInvocation(options: ImageTypeOptions, inv: Invocation): Promise<RunResult> {
  const maxJson = options.maxJsonStdoutBytes ?? MAX_JSON_STDOUT_BYTES;
  const { record, masker } = maskRequest(inv);
  const artefacts = createArtefactWriter(options.workDir, inv.req.name, inv.artefact, options.clock);
  const pending = [artefacts.write("stdin", record)];
  const json = inv.phase !== "action";
  const timeoutMs = json ? options.stateTimeoutMs : options.actionTimeoutMs;
  const show = (stream: "stdout" | "stderr") => (line: string) => inv.io.output(stream, masker ? masker.mask(line) : line);
  const collect: OutputCollection = {
    onStderrLine: show("stderr"),
    onStdoutLine: json ? undefined : show("stdout"),
    maxStdoutBytes: json ? maxJson : undefined,
    keepBytes: { stdout: json ? maxJson : ARTEFACT_KEEP_BYTES, stderr: ARTEFACT_KEEP_BYTES },
  };
  let result: RunResult;
  try {
    result = await executeInvocation(options, inv, JSON.stringify(inv.req), timeoutMs, collect);
  } catch (err) {
    await Promise.all(pending);
    if (inv.io.signal.aborted) throw new UserError(`${describeInvocation(inv)} was interrupted`);
    throw new UserError(`${describeInvocation(inv)} could not run: ${(err as Error).message}`, 1, { cause: err });
  }
  pending.push(artefacts.write("stdout", recordOf(result.stdout, result.dropped.stdout, masker)), artefacts.write("stderr", recordOf(result.stderr, result.dropped.stderr, masker)));
  await Promise.all(pending);
  checkRunResult(inv, result, timeoutMs, maxJson);
  return result;
}

/** An invocation whose stdout must be one JSON document (init, state). */
async function runJsonInvocation(options: ImageTypeOptions, inv: Invocation): Promise<unknown> {
  const result = await runInvocation(options, inv);
  const parsed = parseTypeOutput(result.stdout.toString("utf8"));
  if (parsed.ok) return parsed.value;
  const problem = parsed.problem === "empty" ? "did not provide any JSON back" : parsed.problem === "deep" ? parsed.message : `provided invalid JSON: ${parsed.message}`;
  throw new ProtocolError(inv.req.name, inv.phase, `${describeInvocation(inv)} ${problem}`);
}

/**
 * A resource type served by a Docker image: every call runs one container that reads one
 * JSON document on stdin (PROTOCOL.md, "How containers are run"). Results are parsed here and
 * validated by the engine (the same checks apply to built-in types).
 */
export function createImageType(type: string, typeOptions: ImageTypeOptions): ResourceType {
  // One clock per type unless the run shares one.
  const options: ImageTypeOptions = { ...typeOptions, clock: typeOptions.clock ?? new ArtefactClock() };
  return {
    type,

    async initCacheKey() {
      let pulling = false;
      const onPull = () => {
        pulling = true;
        options.onPull?.(type);
      };
      const image = await ensureImage(options.docker, type, { onPull }).catch((err) => {
        if (!pulling) throw err;
        throw new UserError(`cannot pull resource type image '${type}': ${(err as Error).message}`, 1, { cause: err });
      });
      options.runners?.primeImage(type, image);
      return image.Id;
    },

    prepareInvocation(init, mounts, action) {
      const spec = action ?? init.state_action;
      options.runners?.prepare(spec.image || type, mounts, spec.entrypoint, spec.args);
    },

    async init(req: InvocationBase, io: InvocationIO): Promise<InitResult> {
      // Default entrypoint and no arguments; no plug mounts yet.
      return (await runJsonInvocation(options, { phase: "init", artefact: "init", req, image: type, mounts: [], io })) as InitResult;
    },

    async state(req, init, mounts, io): Promise<StateResult> {
      const sa = init.state_action;
      const inv: Invocation = { phase: "state", artefact: "state", req, image: sa.image || type, entrypoint: sa.entrypoint, args: sa.args, mounts, io, schema: init.config_schema };
      return (await runJsonInvocation(options, inv)) as StateResult;
    },

    async action(req, action: ActionSpec, init, mounts, io): Promise<void> {
      const schema = init.config_schema;
      await runInvocation(options, { phase: "action", artefact: action.name, req, image: action.image || type, entrypoint: action.entrypoint, args: action.args, mounts, io, schema });
    },
  };
}
