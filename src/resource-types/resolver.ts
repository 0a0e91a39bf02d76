import { DockerClient } from "../docker/client";
import { ContainerTracker } from "../docker/tracking";
import type { ResourceType } from "../engine/resource-type";
import type { ResourceTypeResolver } from "../engine/resolver";
import { UserError } from "../errors";
import { ArtefactClock } from "./artefacts";
import { type BuiltinTypes, createBuiltinTypes, isBuiltinType } from "./builtin/index";
import { baseMounts, createImageType } from "./image";
import { RunnerPool } from "./runners/pool";

export const DEFAULT_STATE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_ACTION_TIMEOUT_MS = 30 * 60_000;

export interface TypeResolverOptions {
  /** Needed for image types; created from the environment on first use when omitted. */
  docker?: DockerClient;
  runId: string;
  workspace: string;
  confDir: string;
  workDir: string;
  stateTimeoutMs?: number;
  actionTimeoutMs?: number;
  /** Extra labels on every container. */
  labels?: Record<string, string>;
  /** Counts containers run (the plan benchmark reads it). */
  stats?: { containersRun: number };
  /**
   * Run the invocations of reusable types (images labelled deployster.reusable=true) in one
   * running container per (image, plug mounts) with exec, instead of a container each
   * (default false; the CLI turns it on unless --no-runners). close() removes them.
   */
  runners?: boolean;
  /** Runners starting at once, at most (the run's parallelism; default 10). */
  maxStartingRunners?: number;
  /** Aborting it (Ctrl-C) removes the runners at once. */
  signal?: AbortSignal;
  /** The run's containers (runners, invocations, built-in containers not yet taken over), for whoever removes them when the process is stopped. */
  containers?: ContainerTracker;
  onPull?(image: string): void;
  /** A one-line notice for the user (e.g. a reusable image that gets no runner). */
  onNotice?(message: string): void;
}

/**
 * The resolver the commands hand the engine: `deployster/...` types are the in-process
 * built-ins, anything else is an image speaking the resource protocol (src/resource-types/PROTOCOL.md).
 */
export function createTypeResolver(o: TypeResolverOptions): ResourceTypeResolver {
  let docker = o.docker;
  // Created on first use, so plans of built-in types only never need an engine here.
  const dockerClient = () => (docker ??= DockerClient.fromEnv());
  const containers = o.containers ?? new ContainerTracker();
  // One per run: record timestamps unique across the run's invocations.
  const clock = new ArtefactClock();
  let builtins: BuiltinTypes | undefined;
  // The run's built-ins, on its Docker client and container tracking (created on first use).
  const builtinTypes = () => (builtins ??= createBuiltinTypes({ docker: dockerClient, containers }));
  let pool: RunnerPool | undefined;
  const runners = (): RunnerPool | undefined => {
    if (!o.runners) return undefined;
    pool ??= openRunnerPool(o, dockerClient(), containers);
    return pool;
  };
  return {
    async check(resources, signal) {
      checkBuiltinTypes(resources, builtinTypes());
      // An engine that is down is one clear error, not one failure per resource.
      if (resources.some((r) => !isBuiltinType(r.type))) await dockerClient().ping(signal);
    },
    resolve(type: string): ResourceType {
      if (isBuiltinType(type)) {
        const builtin = builtinTypes().get(type);
        if (!builtin) throw new UserError(`unknown built-in resource type '${type}'`);
        return builtin;
      }
      return createImageType(type, {
        docker: dockerClient(),
        runId: o.runId,
        workspace: o.workspace,
        confDir: o.confDir,
        workDir: o.workDir,
        stateTimeoutMs: o.stateTimeoutMs ?? DEFAULT_STATE_TIMEOUT_MS,
        actionTimeoutMs: o.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS,
        labels: o.labels,
        stats: o.stats,
        onPull: o.onPull,
        runners: runners(),
        containers,
        clock,
      });
    },
    async close() {
      await pool?.close();
    },
  };
}

/** Fails early, before anything runs, on `deployster/...` types nobody provides. */
function checkBuiltinTypes(resources: { name: string; type: string }[], builtins: BuiltinTypes): void {
  const unknown = [...new Set(resources.filter((r) => isBuiltinType(r.type) && !builtins.get(r.type)).map((r) => r.type))];
  if (unknown.length === 0) return;
  const users = (type: string) =>
    resources
      .filter((r) => r.type === type)
      .map((r) => `'${r.name}'`)
      .join(", ");
  throw new UserError(unknown.map((type) => `unknown built-in resource type '${type}' (used by ${users(type)})`).join("; "));
}

/** The run's runners; Ctrl-C or an aborted run removes them at once (the processes in them die with them). */
function openRunnerPool(o: TypeResolverOptions, docker: DockerClient, containers: ContainerTracker): RunnerPool {
  const { workspace, confDir, workDir } = o;
  const pool = new RunnerPool({
    docker,
    runId: o.runId,
    labels: o.labels,
    workspace,
    workDir,
    baseMounts: (scratch) => baseMounts({ workspace, confDir, workDir }, scratch),
    onNotice: (message) => o.onNotice?.(message),
    maxStarting: o.maxStartingRunners,
    onStart: () => {
      if (o.stats) o.stats.containersRun++;
    },
    containers,
  });
  o.signal?.addEventListener("abort", () => void pool.close(), { once: true });
  return pool;
}
