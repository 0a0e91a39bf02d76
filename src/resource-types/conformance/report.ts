/** The human report of `deployster type check`: one line per check, then a verdict. */
import type { CheckPhase, CheckResult } from "./rules";

export const PHASES: CheckPhase[] = ["image", "init", "plugs", "config", "state", "action", "recheck", "second-state"];
const MARK = { ok: "ok  ", fail: "FAIL", warn: "warn", skip: "skip" } as const;

export function formatResult(r: CheckResult): string {
  const head = `  ${MARK[r.status]}  ${r.phase.padEnd(12)}  ${r.status === "ok" || r.status === "skip" ? "" : `[${r.rule}] `}${r.message}`;
  const more = [...(r.fix ? [`fix: ${r.fix}`] : []), ...(r.details ?? [])].map((l) => `${" ".repeat(22)}${l}`);
  return [head, ...more].join("\n");
}

/** Phases after the first failure that never ran: shown so the reader knows what is unchecked. */
export function skippedPhases(results: CheckResult[]): CheckResult[] {
  if (!results.some((r) => r.status === "fail") || results.length === 0) return [];
  const last = PHASES.indexOf(results[results.length - 1]!.phase);
  const alreadyValid = results.some((r) => r.rule === "action.exercised");
  return PHASES.slice(last + 1)
    .filter((p) => !(alreadyValid && (p === "action" || p === "recheck")))
    .map((phase) => ({ phase, rule: `${phase}.skipped`, status: "skip" as const, message: "not run: an earlier check failed" }));
}

export function formatVerdict(image: string, results: CheckResult[]): string {
  const failures = results.filter((r) => r.status === "fail");
  const warnings = results.filter((r) => r.status === "warn").length;
  const checks = results.filter((r) => r.status === "ok" || r.status === "fail").length;
  const w = warnings ? `, ${warnings} warning${warnings > 1 ? "s" : ""}` : "";
  if (failures.length > 0 && failures.every((f) => f.rule === "config.accepted")) {
    return `${image}: checked up to its config only: the config does not satisfy the type's config_schema; pass one it accepts with --config FILE.`;
  }
  if (failures.length === 0) return `${image} conforms to the resource protocol (${checks} checks passed${w}).`;
  const rules = [...new Set(failures.map((f) => f.rule))].join(", ");
  return `${image} does NOT conform: ${failures.length} failure${failures.length > 1 ? "s" : ""} (${rules})${w}.`;
}
