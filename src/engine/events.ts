/**
 * What the engine tells the outside world. The engine never prints: it emits these events
 * to a Reporter, and the renderers (human, JSON) decide what the user sees.
 */
import type { PlanDocument, PlannedResourceView } from "./document";
import type { PlannedStatus, ResourceError } from "./types";

export type { FailurePhase, ResourceError } from "./types";

export type InvocationPhase = "init" | "state" | "action";

export type ApplyOutcome = "unchanged" | "changed" | "failed" | "skipped";

export type EngineEvent =
  | { event: "run-start"; command: "plan" | "apply"; runId: string; resources: number; parallelism: number }
  | { event: "pull"; image: string }
  | { event: "invocation-start"; resource: string; phase: InvocationPhase; action?: string; /** plug mounts */ mounts: string[] }
  | { event: "invocation-end"; resource: string; phase: InvocationPhase; action?: string; ok: boolean; durationMs: number }
  | { event: "output"; resource: string; phase: InvocationPhase; action?: string; stream: "stdout" | "stderr"; line: string }
  | { event: "warning"; resource?: string; message: string }
  | { event: "planned"; resource: PlannedResourceView }
  | { event: "plan"; plan: PlanDocument }
  | { event: "apply-start"; changes: number }
  | { event: "resource-start"; resource: string; status: "STALE" | "PENDING" }
  | { event: "action-start"; resource: string; action: string; description: string; index: number; total: number }
  | { event: "action-end"; resource: string; action: string; ok: boolean; durationMs: number; error?: string }
  | {
      event: "resource-result";
      resource: string;
      /** What the plan said about it. */
      planned: PlannedStatus;
      outcome: ApplyOutcome;
      actions?: number;
      error?: ResourceError;
      cause?: string;
    }
  | { event: "stopped"; reason: string }
  | {
      event: "summary";
      command: "plan" | "apply";
      ok: boolean;
      durationMs: number;
      counts: Record<string, number>;
    };

export interface Reporter {
  emit(event: EngineEvent): void;
}

/** A reporter that keeps every event (tests, the benchmark). */
export function createMemoryReporter(): Reporter & { events: EngineEvent[] } {
  const events: EngineEvent[] = [];
  return { events, emit: (e) => void events.push(e) };
}
