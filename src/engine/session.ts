import type { Context } from "../context/index";
import type { ResourceSpec } from "../manifest/index";
import type { EngineEvent, Reporter } from "./events";
import { createInits } from "./inits";
import { createInvoker, type Invocation } from "./invoker";
import { createLimiter } from "./limiter";
import { validateStateResult } from "./protocol";
import type { ActionSpec, InitResult, InvocationBase, ResourceType, StateResult } from "./resource-type";
import type { ResourceTypeResolver } from "./resolver";

export const DEFAULT_PARALLELISM = 10;

export interface EngineStats {
  /** Containers run (init, state, action), for the plan benchmark. */
  containersRun: number;
  initCacheHits: number;
}

/** How a Session runs: where events go, how types resolve, how many invocations at once; all injectable. */
export interface EngineOptions {
  reporter: Reporter;
  /** How a manifest's type string becomes a ResourceType (the session closes it). */
  types: ResourceTypeResolver;
  parallelism?: number;
  /** Read and write init results under the conf dir (default true). */
  initCache?: boolean;
  runId?: string;
  signal?: AbortSignal;
  stats?: EngineStats;
}

/** 12 hex digits from Web Crypto (node:crypto would cost ~10 ms to load per CLI start). */
export function newRunId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
}

/**
 * One engine run, shared by plan and apply: the run's identity and reporter, its types (from
 * the resolver, once per type string), init once per type (src/engine/inits.ts), and every
 * invocation under the parallelism limiter (src/engine/invoker.ts). The caller owns it:
 * plan and apply take it, and the caller closes it at the end (the resolver's runners go).
 */
export class Session {
  readonly runId: string;
  readonly parallelism: number;
  readonly stats: EngineStats;
  readonly signal: AbortSignal;
  readonly startedAt = Date.now();
  private readonly types = new Map<string, ResourceType>();
  private readonly initOf: ReturnType<typeof createInits>;
  private readonly invoke: <T>(invocation: Invocation<T>) => Promise<T>;

  constructor(
    readonly context: Context,
    private readonly options: EngineOptions,
  ) {
    this.runId = options.runId ?? newRunId();
    this.parallelism = options.parallelism ?? DEFAULT_PARALLELISM;
    this.stats = options.stats ?? { containersRun: 0, initCacheHits: 0 };
    this.signal = options.signal ?? new AbortController().signal;
    this.initOf = createInits({
      cache: options.initCache !== false,
      confDir: context.confDir,
      version: context.version,
      onCacheHit: () => void this.stats.initCacheHits++,
    });
    this.invoke = createInvoker({ limiter: createLimiter(this.parallelism), signal: this.signal, emit: (e) => this.emit(e), dirs: [context.confDir, context.workDir] });
  }

  emit(event: EngineEvent): void {
    this.options.reporter.emit(event);
  }

  /** Before anything runs: the resolver's own checks of the manifest's types. */
  async checkTypes(specs: ResourceSpec[]): Promise<void> {
    await this.options.types.check?.(specs, this.signal);
  }

  /** Ends what the run started (the resolver's runners). Idempotent. */
  async close(): Promise<void> {
    await this.options.types.close?.();
  }

  private typeOf(type: string): ResourceType {
    let resolved = this.types.get(type);
    if (!resolved) {
      resolved = this.options.types.resolve(type);
      this.types.set(type, resolved);
    }
    return resolved;
  }

  private base(spec: ResourceSpec): InvocationBase {
    const { version, verbose, workspace } = this.context;
    return { name: spec.name, type: spec.type, version, verbose, workspace };
  }

  /** The type's init result (once per type and run; see src/engine/inits.ts). */
  init(spec: ResourceSpec): Promise<InitResult> {
    let type: ResourceType;
    try {
      type = this.typeOf(spec.type);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.initOf(spec.type, spec.name, type, (resource, t) =>
      this.invoke({ resource, phase: "init", mounts: [], call: (io) => t.init(this.base(spec), io) }),
    );
  }

  async state(spec: ResourceSpec, config: Record<string, unknown>, init: InitResult, mounts: string[]): Promise<StateResult> {
    const type = this.typeOf(spec.type);
    type.prepareInvocation?.(init, mounts);
    const raw = await this.invoke({ resource: spec.name, phase: "state", mounts, call: (io) => type.state({ ...this.base(spec), config }, init, mounts, io) });
    return validateStateResult(spec.name, raw);
  }

  async action(spec: ResourceSpec, config: Record<string, unknown>, staleState: Record<string, unknown>, action: ActionSpec, init: InitResult, mounts: string[]): Promise<void> {
    const type = this.typeOf(spec.type);
    type.prepareInvocation?.(init, mounts, action);
    const request = { ...this.base(spec), config, staleState };
    await this.invoke({ resource: spec.name, phase: "action", action: action.name, mounts, call: (io) => type.action(request, action, init, mounts, io) });
  }
}
