import type { Context } from "../context/index";
import type { Manifest, ResourceSpec } from "../manifest/index";
import type { ActionSpec, InitResult } from "../resource-types/types";
import type { ResourceError } from "../ui/events";
import type { Graph } from "./graph";
import type { Session } from "./session";

export type PlannedStatus = "VALID" | "STALE" | "PENDING" | "FAILED" | "SKIPPED";

/** An action as it will run: the protocol's defaults applied (description, image, args). */
export type PlannedAction = ActionSpec & { description: string; image: string; args: string[] };

/** One resource in a plan. apply consumes these and does not re-decide them. */
export interface PlannedResource {
  spec: ResourceSpec;
  status: PlannedStatus;
  /** VALID: the state it reported. */
  state?: Record<string, unknown>;
  /** STALE: its current state (`{}` when it reported none) and what would run. */
  staleState?: Record<string, unknown>;
  actions?: PlannedAction[];
  /** PENDING: the dependency whose state its config needs (queried during apply). */
  pendingOn?: string[];
  /** FAILED: where and why. */
  error?: ResourceError;
  /** FAILED because it is readonly and STALE: apply stops before any action at all. */
  readonlyStale?: boolean;
  /** SKIPPED: the failed resource at the root of it. */
  skippedBecause?: string;
  /** What apply needs to act without asking again. */
  init?: InitResult;
  mounts?: string[];
  config?: Record<string, unknown>;
}

/** The plan: a value. createPlan builds it without changing anything; applyPlan consumes it. */
export interface Plan {
  runId: string;
  createdAt: string;
  manifest: Manifest;
  context: Context;
  graph: Graph;
  /** In manifest order. */
  resources: PlannedResource[];
  /** The engine session the plan was made in (init results, limiter, docker); not data. */
  session: Session;
}
