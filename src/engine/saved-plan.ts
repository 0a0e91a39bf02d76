/**
 * Saved plans: `deployster plan -o FILE` writes what the plan saw, `deployster apply FILE`
 * plans again from the same inputs and applies only if every resource still looks the way the
 * saved plan saw it. Stateless: the file is the only thing kept, and it holds no config or
 * state values, only salted SHA-256 digests of them (enough to notice a change, not to read
 * a secret back). What it does hold in clear: resource names, types, dependencies, the
 * planned actions, manifest paths, variable-file paths and `--var` values as given.
 */
import type { VarSource } from "../context/vars";
import { UserError } from "../errors";
import { VERSION } from "../version";
import { viewAction } from "./document";
import type { PendingResource, Plan, PlannedResource, PlannedStatus, StaleResource, ValidResource } from "./types";

export const SAVED_PLAN_FORMAT = "deployster-plan";
export const SAVED_PLAN_VERSION = 1;
/** A saved plan is small; anything larger is not one of ours. */
export const MAX_SAVED_PLAN_BYTES = 16 * 1024 * 1024;

export type SavedAction = ReturnType<typeof viewAction>;

export interface SavedResource {
  name: string;
  type: string;
  status: "VALID" | "STALE" | "PENDING";
  dependencies: Record<string, string>;
  /** VALID and STALE: digest of the rendered config. */
  config_digest?: string;
  /** STALE: digest of the staleState the type reported; VALID: of its state. */
  state_digest?: string;
  /** STALE: what apply will run. */
  actions?: SavedAction[];
  /** PENDING: the dependencies whose state its config needs. */
  pending_on?: string[];
}

export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  format_version: number;
  deployster_version: string;
  created_at: string;
  run_id: string;
  /** The directory the plan ran in; apply FILE runs there too. */
  cwd: string;
  workspace: string;
  manifests: string[];
  /** `{var, value}` or `{var_file}`, in command-line order. */
  variables: ({ var: string; value: string } | { var_file: string })[];
  salt: string;
  resources: SavedResource[];
}

/** Sorted keys, so that equal values have equal digests. */
function canonical(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

export function digestOf(salt: string, value: unknown): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(salt).update(canonical(value)).digest("hex")}`;
}

/** The saved form of a plan; refuses plans with failed or skipped resources (nothing sensible to apply). */
export function createSavedPlan(plan: Plan, run: { cwd: string; sources: VarSource[] }): SavedPlan {
  const saved: (ValidResource | StaleResource | PendingResource)[] = [];
  const broken: string[] = [];
  for (const r of plan.resources) {
    if (r.status === "FAILED" || r.status === "SKIPPED") broken.push(`'${r.spec.name}'`);
    else saved.push(r);
  }
  if (broken.length > 0) throw new UserError(`the plan was not saved: ${broken.join(", ")} failed or ${broken.length > 1 ? "were" : "was"} skipped`);
  const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  return {
    format: SAVED_PLAN_FORMAT,
    format_version: SAVED_PLAN_VERSION,
    deployster_version: VERSION,
    created_at: plan.createdAt,
    run_id: plan.runId,
    cwd: run.cwd,
    workspace: plan.workspace,
    manifests: plan.manifest.files,
    variables: run.sources.map((s) => (s.kind === "var" ? { var: s.name, value: s.value } : { var_file: s.path })),
    salt,
    resources: saved.map((r) => saveResource(r, salt)),
  };
}

function saveResource(r: ValidResource | StaleResource | PendingResource, salt: string): SavedResource {
  const base = { name: r.spec.name, type: r.spec.type, dependencies: r.spec.dependencies };
  if (r.status === "PENDING") return { ...base, status: "PENDING", pending_on: r.pendingOn };
  if (r.status === "VALID") return { ...base, status: "VALID", config_digest: digestOf(salt, r.config), state_digest: digestOf(salt, r.state) };
  return {
    ...base,
    status: "STALE",
    config_digest: digestOf(salt, r.config),
    state_digest: digestOf(salt, r.staleState),
    actions: r.actions.map(viewAction),
  };
}

/** The variable sources of a saved plan, for prepareRun. */
export function savedSources(saved: SavedPlan): VarSource[] {
  return saved.variables.map((v) => ("var" in v ? { kind: "var" as const, name: v.var, value: v.value } : { kind: "file" as const, path: v.var_file }));
}

function describeStatus(r: PlannedResource): string {
  switch (r.status) {
    case "STALE":
      return `STALE (would run: ${r.actions.map((a) => a.name).join(", ")})`;
    case "FAILED":
      return `FAILED (${r.error.message})`;
    case "PENDING":
      return `pending on ${r.pendingOn.join(", ")}`;
    default:
      return r.status;
  }
}

/**
 * What changed between the saved plan and a fresh one made from the same inputs, one line per
 * resource; empty when the fresh plan would act exactly as the saved one. Compared: the set
 * of resources, their types and dependencies, every status, and for what the plan would act
 * on (STALE) the config, the state the type reported, and the actions.
 */
export function compareWithSaved(saved: SavedPlan, fresh: Plan): string[] {
  const problems: string[] = [];
  const now = new Map(fresh.resources.map((r) => [r.spec.name, r]));
  for (const s of saved.resources) {
    const r = now.get(s.name);
    if (!r) {
      problems.push(`'${s.name}': no longer in the manifests`);
      continue;
    }
    now.delete(s.name);
    const problem = compareResource(saved.salt, s, r);
    if (problem) problems.push(`'${s.name}': ${problem}`);
  }
  for (const name of now.keys()) problems.push(`'${name}': added to the manifests since the plan was made`);
  return problems;
}

/** What changed for one resource, if anything the saved plan's apply depends on. */
function compareResource(salt: string, s: SavedResource, r: PlannedResource): string | undefined {
  const was = s.status === "PENDING" ? `pending on ${(s.pending_on ?? []).join(", ")}` : s.status;
  if (r.spec.type !== s.type) return `its type changed from ${s.type} to ${r.spec.type}`;
  if (canonical(r.spec.dependencies) !== canonical(s.dependencies)) return "its dependencies changed";
  if (r.status !== (s.status as PlannedStatus)) return `was ${was} when planned, now ${describeStatus(r)}`;
  if (r.status === "PENDING" && canonical([...r.pendingOn].sort()) !== canonical([...(s.pending_on ?? [])].sort())) return `was ${was} when planned, now ${describeStatus(r)}`;
  if (r.status !== "STALE") return undefined;
  if (digestOf(salt, r.config) !== s.config_digest) return "its config changed (manifests or variables differ from the plan's)";
  if (digestOf(salt, r.staleState) !== s.state_digest) return "its current state changed since the plan was made";
  if (canonical(r.actions.map(viewAction)) !== canonical(s.actions)) {
    return `its actions changed (planned: ${(s.actions ?? []).map((a) => a.name).join(", ")}; now: ${r.actions.map((a) => a.name).join(", ")})`;
  }
  return undefined;
}
