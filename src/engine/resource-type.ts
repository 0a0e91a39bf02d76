/**
 * The resource-type interface shared by image-backed types (protocol over containers,
 * src/resource-types/PROTOCOL.md) and the in-process built-ins under `deployster/`.
 * Shapes mirror the wire JSON exactly, so built-ins and images are interchangeable.
 */

/** Fields every protocol invocation receives on stdin. */
export interface InvocationBase {
  name: string;
  type: string;
  version: string;
  verbose: boolean;
  workspace: string;
}

export interface StateAction {
  image?: string;
  entrypoint?: string;
  args?: string[];
}

export interface PlugRequest {
  container_path: string;
  optional?: boolean;
  writable?: boolean;
}

export interface InitResult {
  state_action: StateAction;
  config_schema?: Record<string, unknown>;
  plugs?: Record<string, PlugRequest>;
}

export interface ActionSpec {
  name: string;
  description?: string;
  image?: string;
  entrypoint?: string;
  args?: string[];
}

export type StateResult =
  | { status: "VALID"; state: Record<string, unknown> }
  | { status: "STALE"; staleState?: Record<string, unknown>; actions: ActionSpec[] };

/** I/O a type may use while it runs; the engine decides where output goes. */
export interface InvocationIO {
  signal: AbortSignal;
  /** Diagnostic / live output (stderr of init+state, all output of actions). */
  output(stream: "stdout" | "stderr", line: string): void;
}

/** Resolved plug mounts (`host:container:ro|rw`), in request order. */
export type Mounts = string[];

export interface ResourceType {
  readonly type: string;
  /**
   * Optional: a content address of what init depends on besides the type and the deployster
   * version (image types: the image ID). When given, the engine caches init results on disk
   * under the conf dir (keyed by it, the type and the deployster version); types without it
   * are initialised once per run.
   */
  initCacheKey?(): Promise<string | undefined>;
  init(req: InvocationBase, io: InvocationIO): Promise<InitResult>;
  /**
   * Optional: told, before a state or action invocation waits for its parallelism slot, that
   * it is coming, so the type can get ready for it meanwhile (image types start the runner
   * it will use). Must not throw; the invocation itself reports any failure.
   */
  prepareInvocation?(init: InitResult, mounts: Mounts, action?: ActionSpec): void;
  state(req: InvocationBase & { config: Record<string, unknown> }, init: InitResult, mounts: Mounts, io: InvocationIO): Promise<StateResult>;
  /** Resolves on success; throws (UserError/ProtocolError) when the action fails. */
  action(
    req: InvocationBase & { config: Record<string, unknown>; staleState: Record<string, unknown> },
    action: ActionSpec,
    init: InitResult,
    mounts: Mounts,
    io: InvocationIO,
  ): Promise<void>;
}
