import { mkdir } from "node:fs/promises";
import type { Context } from "../context/index";
import { DockerClient } from "../docker/client";
import { UserError } from "../errors";
import type { ResourceSpec } from "../manifest/index";
import { getBuiltinType, isBuiltinType } from "../resource-types/builtin/index";
import { baseMounts, createImageType } from "../resource-types/image";
import { RunnerPool } from "../resource-types/runners/pool";
import type { ActionSpec, InitResult, InvocationBase, InvocationIO, ResourceType, StateResult } from "../resource-types/types";
import type { EngineEvent, InvocationPhase, Reporter } from "../ui/events";
import { readInitCache, writeInitCache } from "./init-cache";
import { createLimiter, type Limiter } from "./limiter";
import { validateInitResult, validateStateResult } from "./protocol";

export const DEFAULT_PARALLELISM = 10;
export const DEFAULT_STATE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_ACTION_TIMEOUT_MS = 30 * 60_000;

export interface EngineStats {
  /** Containers run (init, state, action), for the plan benchmark. */
  containersRun: number;
  initCacheHits: number;
}

/** Everything createPlan / applyPlan need besides the manifest and context; all injectable. */
export interface EngineOptions {
  reporter: Reporter;
  /** Needed for image types; created from the environment when omitted. */
  docker?: DockerClient;
  parallelism?: number;
  /** Read and write init results under the conf dir (default true). */
  initCache?: boolean;
  stateTimeoutMs?: number;
  actionTimeoutMs?: number;
  runId?: string;
  signal?: AbortSignal;
  /** How a type string becomes a ResourceType (default: built-in or image). */
  resolveType?: (type: string, session: Session) => ResourceType;
  stats?: EngineStats;
  /** Extra labels on every container. */
  labels?: Record<string, string>;
  /**
   * Run the invocations of reusable types (images labelled deployster.reusable=true) in one
   * running container per (image, plug mounts) with exec, instead of a container each
   * (default false; the CLI turns it on unless --no-runners). Call Session.close() at the end.
   */
  runners?: boolean;
}

/** 12 hex digits from Web Crypto (node:crypto would cost ~10 ms to load per CLI start). */
export function newRunId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
}

/**
 * The effectful half shared by plan and apply: resolves types, runs init once per type,
 * and runs every invocation under the parallelism limiter, reporting as it goes.
 */
export class Session {
  readonly runId: string;
  readonly limiter: Limiter;
  readonly stats: EngineStats;
  readonly signal: AbortSignal;
  readonly startedAt = Date.now();
  private readonly types = new Map<string, ResourceType>();
  private readonly inits = new Map<string, Promise<InitResult>>();
  private docker?: DockerClient;
  private dirsReady?: Promise<void>;
  private runnerPool?: RunnerPool;

  constructor(
    readonly context: Context,
    readonly options: EngineOptions,
  ) {
    this.runId = options.runId ?? newRunId();
    this.limiter = createLimiter(options.parallelism ?? DEFAULT_PARALLELISM);
    this.stats = options.stats ?? { containersRun: 0, initCacheHits: 0 };
    this.signal = options.signal ?? new AbortController().signal;
    this.docker = options.docker;
  }

  emit(event: EngineEvent): void {
    this.options.reporter.emit(event);
  }

  /** Fails early, before anything runs, on `deployster/...` types nobody provides. */
  checkTypes(specs: ResourceSpec[]): void {
    if (this.options.resolveType) return;
    const unknown = [...new Set(specs.filter((s) => isBuiltinType(s.type) && !getBuiltinType(s.type)).map((s) => s.type))];
    if (unknown.length > 0) {
      const users = (t: string) => specs.filter((s) => s.type === t).map((s) => `'${s.name}'`).join(", ");
      throw new UserError(unknown.map((t) => `unknown built-in resource type '${t}' (used by ${users(t)})`).join("; "));
    }
  }

  /**
   * When image types are involved, makes sure the engine answers before anything runs, so an
   * engine that is down is one clear error instead of one failure per resource.
   */
  async checkEngine(specs: ResourceSpec[]): Promise<void> {
    if (this.options.resolveType || specs.every((s) => isBuiltinType(s.type))) return;
    await this.dockerClient().ping(this.signal);
  }

  typeOf(type: string): ResourceType {
    let t = this.types.get(type);
    if (t) return t;
    if (this.options.resolveType) t = this.options.resolveType(type, this);
    else if (isBuiltinType(type)) {
      t = getBuiltinType(type);
      if (!t) throw new UserError(`unknown built-in resource type '${type}'`);
    } else {
      t = createImageType(type, {
        docker: this.dockerClient(),
        runId: this.runId,
        workspace: this.context.workspace,
        confDir: this.context.confDir,
        workDir: this.context.workDir,
        stateTimeoutMs: this.options.stateTimeoutMs ?? DEFAULT_STATE_TIMEOUT_MS,
        actionTimeoutMs: this.options.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS,
        labels: this.options.labels,
        stats: this.stats,
        onPull: (image) => this.emit({ event: "pull", image }),
        runners: this.runners(),
      });
    }
    this.types.set(type, t);
    return t;
  }

  /** The run's runners (created on first use), or undefined when they are off. */
  private runners(): RunnerPool | undefined {
    if (!this.options.runners) return undefined;
    if (!this.runnerPool) {
      const { workspace, confDir, workDir } = this.context;
      const pool = new RunnerPool({
        docker: this.dockerClient(),
        runId: this.runId,
        labels: this.options.labels,
        workspace,
        workDir,
        baseMounts: (scratch) => baseMounts({ workspace, confDir, workDir }, scratch),
        onNotice: (message) => this.emit({ event: "warning", message }),
        maxStarting: this.options.parallelism ?? DEFAULT_PARALLELISM,
        onStart: () => void this.stats.containersRun++,
      });
      // Ctrl-C or an aborted run: runners go at once (exec'd processes die with them).
      this.signal.addEventListener("abort", () => void pool.close(), { once: true });
      this.runnerPool = pool;
    }
    return this.runnerPool;
  }

  /** Ends the run's shared resources: stops and removes every runner. Idempotent. */
  async close(): Promise<void> {
    await this.runnerPool?.close();
  }

  dockerClient(): DockerClient {
    // Created on first use, so plans of built-in or fake types never need an engine.
    this.docker ??= DockerClient.fromEnv();
    return this.docker;
  }

  base(spec: ResourceSpec): InvocationBase {
    return { name: spec.name, type: spec.type, version: this.context.version, verbose: this.context.verbose, workspace: this.context.workspace };
  }

  /**
   * The conf dir and work dir exist before the first container mounts the conf dir (and a
   * scratch dir at the work dir's path); folders created here are private (0700).
   */
  private ensureDirs(): Promise<void> {
    this.dirsReady ??= Promise.all([
      mkdir(this.context.confDir, { recursive: true, mode: 0o700 }).catch(() => {}),
      mkdir(this.context.workDir, { recursive: true, mode: 0o700 }).catch(() => {}),
    ]).then(() => {});
    return this.dirsReady;
  }

  /**
   * Init results, once per type and run (init must not depend on the resource name), and
   * on disk per (image ID, type, version) unless the init cache is off (decision 9.4).
   */
  init(spec: ResourceSpec): Promise<InitResult> {
    let p = this.inits.get(spec.type);
    if (!p) {
      p = this.runInit(spec);
      p.catch(() => {}); // awaited by every resource of this type; never unhandled
      this.inits.set(spec.type, p);
    }
    return p;
  }

  private async runInit(spec: ResourceSpec): Promise<InitResult> {
    const type = this.typeOf(spec.type);
    const useCache = this.options.initCache !== false && type.initCacheKey !== undefined;
    const key = useCache ? await type.initCacheKey!() : undefined;
    const cacheArgs = key ? { confDir: this.context.confDir, key, type: spec.type, version: this.context.version } : undefined;
    if (cacheArgs) {
      const cached = await readInitCache(cacheArgs);
      if (cached !== undefined) {
        this.stats.initCacheHits++;
        return validateInitResult(spec.name, cached);
      }
    }
    const raw = await this.invoke(spec, "init", undefined, [], (io) => type.init(this.base(spec), io));
    const result = validateInitResult(spec.name, raw);
    if (cacheArgs) await writeInitCache(cacheArgs, result);
    return result;
  }

  async state(spec: ResourceSpec, config: Record<string, unknown>, init: InitResult, mounts: string[]): Promise<StateResult> {
    const type = this.typeOf(spec.type);
    type.prepareInvocation?.(init, mounts);
    const raw = await this.invoke(spec, "state", undefined, mounts, (io) => type.state({ ...this.base(spec), config }, init, mounts, io));
    return validateStateResult(spec.name, raw);
  }

  async action(
    spec: ResourceSpec,
    config: Record<string, unknown>,
    staleState: Record<string, unknown>,
    action: ActionSpec,
    init: InitResult,
    mounts: string[],
  ): Promise<void> {
    const type = this.typeOf(spec.type);
    type.prepareInvocation?.(init, mounts, action);
    await this.invoke(spec, "action", action.name, mounts, (io) => type.action({ ...this.base(spec), config, staleState }, action, init, mounts, io));
  }

  /** One invocation under the limiter, with its live output and start/end events. */
  private async invoke<T>(
    spec: ResourceSpec,
    phase: InvocationPhase,
    action: string | undefined,
    mounts: string[],
    call: (io: InvocationIO) => Promise<T>,
  ): Promise<T> {
    await this.ensureDirs();
    return this.limiter.run(async () => {
      this.signal.throwIfAborted();
      const started = Date.now();
      const resource = spec.name;
      this.emit({ event: "invocation-start", resource, phase, action, mounts });
      const io: InvocationIO = {
        signal: this.signal,
        output: (stream, line) => this.emit({ event: "output", resource, phase, action, stream, line }),
      };
      let ok = false;
      try {
        const result = await call(io);
        ok = true;
        return result;
      } finally {
        this.emit({ event: "invocation-end", resource, phase, action, ok, durationMs: Date.now() - started });
      }
    });
  }
}
