import type { Graph } from "../manifest/graph";
import type { Manifest, ResourceSpec } from "../manifest/index";
import type { ActionSpec, InitResult } from "./resource-type";

/** Where a resource failed: an invocation phase or an engine step around them. */
export type FailurePhase = "init" | "plugs" | "config" | "state" | "action" | "recheck" | "confirm";

export interface ResourceError {
  phase: FailurePhase;
  message: string;
}

export type PlannedStatus = "VALID" | "STALE" | "PENDING" | "FAILED" | "SKIPPED";

/** An action as it will run: the protocol's defaults applied (description, image, args). */
export type PlannedAction = ActionSpec & { description: string; image: string; args: string[] };

/** What apply needs to act on a resource without asking its type again. */
export interface Initialized {
  init: InitResult;
  /** Resolved plug mounts (`host:container:ro|rw`). */
  mounts: string[];
}

/** Reported VALID: nothing to do. */
export interface ValidResource extends Initialized {
  status: "VALID";
  spec: ResourceSpec;
  config: Record<string, unknown>;
  /** The state it reported. */
  state: Record<string, unknown>;
}

/** Reported STALE: apply runs these actions, then it must report VALID. */
export interface StaleResource extends Initialized {
  status: "STALE";
  spec: ResourceSpec;
  config: Record<string, unknown>;
  /** Its current state (`{}` when it reported none). */
  staleState: Record<string, unknown>;
  actions: PlannedAction[];
}

/** Its config needs the state of a dependency that will change: queried during apply. */
export interface PendingResource extends Initialized {
  status: "PENDING";
  spec: ResourceSpec;
  pendingOn: string[];
}

/** Failed while planning: where and why. */
export interface FailedResource {
  status: "FAILED";
  spec: ResourceSpec;
  error: ResourceError;
  /** Readonly and STALE: apply stops before any action at all. Shows what would have run. */
  readonlyStale?: true;
  staleState?: Record<string, unknown>;
  actions?: PlannedAction[];
}

/** Not planned: behind a failed dependency (or the run was interrupted). */
export interface SkippedResource {
  status: "SKIPPED";
  spec: ResourceSpec;
  /** The failed resource at the root of it, or "aborted". */
  skippedBecause: string;
}

/** One resource in a plan. apply consumes these and does not re-decide them. */
export type PlannedResource = ValidResource | StaleResource | PendingResource | FailedResource | SkippedResource;

/**
 * The plan: a value. createPlan builds it without changing anything; applyPlan consumes it.
 * It holds no live session: the caller that made the session closes it.
 */
export interface Plan {
  runId: string;
  createdAt: string;
  manifest: Manifest;
  /** The workspace it was made in (a saved plan is applied only there). */
  workspace: string;
  graph: Graph;
  /** In manifest order. */
  resources: PlannedResource[];
}
