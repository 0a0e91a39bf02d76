import type { Plan, PlannedAction, PlannedResource, PlannedStatus } from "./types";

/** Version of the `plan --json` document and of the apply NDJSON events. */
export const FORMAT_VERSION = 1;

export interface PlannedResourceView {
  name: string;
  type: string;
  readonly: boolean;
  dependencies: Record<string, string>;
  status: PlannedStatus;
  state?: Record<string, unknown>;
  stale_state?: Record<string, unknown>;
  actions?: { name: string; description: string; image: string; entrypoint?: string; args: string[] }[];
  pending_on?: string[];
  error?: { phase: string; message: string };
  skipped_because?: string;
}

export interface PlanDocument {
  format_version: number;
  run_id: string;
  created_at: string;
  manifests: string[];
  resources: PlannedResourceView[];
  summary: PlanSummary;
}

export interface PlanSummary {
  valid: number;
  stale: number;
  pending: number;
  failed: number;
  skipped: number;
  /** Resources apply would act on or re-check (stale + pending). */
  changes: number;
}

export function viewAction(a: PlannedAction) {
  return { name: a.name, description: a.description, image: a.image, ...(a.entrypoint ? { entrypoint: a.entrypoint } : {}), args: a.args };
}

export function viewPlannedResource(r: PlannedResource): PlannedResourceView {
  const v: PlannedResourceView = {
    name: r.spec.name,
    type: r.spec.type,
    readonly: r.spec.readonly,
    dependencies: r.spec.dependencies,
    status: r.status,
  };
  switch (r.status) {
    case "VALID":
      v.state = r.state;
      break;
    case "STALE":
      v.stale_state = r.staleState;
      v.actions = r.actions.map(viewAction);
      break;
    case "PENDING":
      v.pending_on = r.pendingOn;
      break;
    case "FAILED":
      if (r.staleState) v.stale_state = r.staleState;
      if (r.actions) v.actions = r.actions.map(viewAction);
      v.error = r.error;
      break;
    case "SKIPPED":
      v.skipped_because = r.skippedBecause;
      break;
  }
  return v;
}

export function summarizePlan(resources: PlannedResource[]): PlanSummary {
  const count = (s: PlannedStatus) => resources.filter((r) => r.status === s).length;
  const s = { valid: count("VALID"), stale: count("STALE"), pending: count("PENDING"), failed: count("FAILED"), skipped: count("SKIPPED") };
  return { ...s, changes: s.stale + s.pending };
}

export function toPlanDocument(plan: Plan): PlanDocument {
  return {
    format_version: FORMAT_VERSION,
    run_id: plan.runId,
    created_at: plan.createdAt,
    manifests: plan.manifest.files,
    resources: plan.resources.map(viewPlannedResource),
    summary: summarizePlan(plan.resources),
  };
}
