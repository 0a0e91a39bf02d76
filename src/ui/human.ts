import type { PlanDocument, PlannedResourceView } from "../engine/document";
import { formatDuration } from "../duration";
import type { EngineEvent, Reporter } from "../engine/events";

export interface Writer {
  write(text: string): unknown;
}

export interface HumanReporterOptions {
  out: Writer;
  err: Writer;
  verbose?: boolean;
  /** plan --json: the document goes to `out`; everything else human goes to `err`. */
}

/**
 * The readable renderer: one line per resource in the plan, actions listed,
 * live output of invocations (prefixed by the resource name when several run at once, and
 * always for init/state logs, which have no header), a summary line.
 */
export function createHumanReporter(o: HumanReporterOptions): Reporter {
  const active = new Map<string, number>();
  const out = (line = "") => o.out.write(`${line}\n`);
  const err = (line = "") => o.err.write(`${line}\n`);
  let lastActionResource: string | undefined;

  return {
    emit(e: EngineEvent) {
      switch (e.event) {
        case "run-start":
          err(`deployster ${e.command}: ${e.resources} resource${e.resources === 1 ? "" : "s"} (run ${e.runId})`);
          break;
        case "pull":
          err(`pulling image ${e.image}...`);
          break;
        case "invocation-start":
          active.set(e.resource, (active.get(e.resource) ?? 0) + 1);
          if (o.verbose) err(`${e.resource} | ${e.phase}${e.action ? ` ${e.action}` : ""} started${e.mounts.length ? ` (plugs: ${e.mounts.join(" ")})` : ""}`);
          break;
        case "invocation-end": {
          const n = (active.get(e.resource) ?? 1) - 1;
          if (n <= 0) active.delete(e.resource);
          else active.set(e.resource, n);
          if (o.verbose) err(`${e.resource} | ${e.phase}${e.action ? ` ${e.action}` : ""} ${e.ok ? "done" : "failed"} in ${formatDuration(e.durationMs)}`);
          break;
        }
        case "output": {
          const alone = active.size <= 1 && e.phase === "action" && lastActionResource === e.resource;
          const line = alone ? `    ${e.line}` : `${e.resource} | ${e.line}`;
          if (e.phase === "action") out(line);
          else err(line);
          break;
        }
        case "warning":
          err(`warning: ${e.resource ? `${e.resource}: ` : ""}${e.message}`);
          break;
        case "plan":
          printPlan(e.plan, out);
          break;
        case "apply-start":
          if (e.changes > 0) out(`\nApplying:`);
          break;
        case "resource-start":
          if (e.status === "PENDING") out(`${e.resource}: dependencies converged, querying its state`);
          break;
        case "action-start":
          lastActionResource = e.resource;
          out(`${e.resource}: ${e.action} (${e.index}/${e.total})${e.description !== e.action ? `: ${e.description}` : ""}`);
          break;
        case "action-end":
          if (o.verbose && e.ok) err(`${e.resource}: ${e.action} done in ${formatDuration(e.durationMs)}`);
          break;
        case "resource-result":
          if (e.outcome === "changed") out(`${e.resource}: VALID after ${e.actions} action${e.actions === 1 ? "" : "s"}`);
          else if (e.outcome === "unchanged" && e.planned === "PENDING") out(`${e.resource}: VALID, nothing to do`);
          else if (e.outcome === "failed" && e.error?.phase === "confirm") err(`${e.resource}: declined, not applied`);
          else if (e.outcome === "failed") err(`error: ${e.resource}: ${e.error?.phase} failed: ${e.error?.message}`);
          else if (e.outcome === "skipped") out(`${e.resource}: skipped (${e.cause === "aborted" ? "apply stopped" : `dependency '${e.cause}' failed`})`);
          break;
        case "stopped":
          err(`apply stopped: ${e.reason}`);
          break;
        case "summary":
          if (e.command === "apply") {
            const c = e.counts;
            out(`Apply ${e.ok ? "complete" : "failed"}: ${c.changed} changed, ${c.unchanged} unchanged, ${c.failed} failed, ${c.skipped} skipped (${formatDuration(e.durationMs)}).`);
          }
          break;
        default:
          break;
      }
    },
  };
}

const MARK: Record<string, string> = { VALID: "=", STALE: "~", PENDING: "?", FAILED: "!", SKIPPED: "-" };

function describeResource(r: PlannedResourceView): string[] {
  switch (r.status) {
    case "VALID":
      return ["VALID"];
    case "STALE": {
      const n = r.actions?.length ?? 0;
      return [`STALE, ${n} action${n === 1 ? "" : "s"}:`, ...(r.actions ?? []).map((a) => `  - ${a.name}${a.description !== a.name ? `: ${a.description}` : ""}`)];
    }
    case "PENDING":
      return [`PENDING on ${r.pending_on?.join(", ")} (its state is queried during apply, after that converges)`];
    case "FAILED":
      return [`FAILED in ${r.error?.phase}: ${r.error?.message}`];
    case "SKIPPED":
      return [`SKIPPED (${r.skipped_because === "aborted" ? "interrupted" : `dependency '${r.skipped_because}' failed`})`];
  }
}

export function printPlan(plan: PlanDocument, out: (line?: string) => void): void {
  const width = Math.max(0, ...plan.resources.map((r) => r.name.length));
  out(`Plan (run ${plan.run_id}):`);
  if (plan.resources.length === 0) out("  (no resources)");
  for (const r of plan.resources) {
    const [first, ...rest] = describeResource(r);
    out(`  ${MARK[r.status]} ${r.name.padEnd(width)}  ${first}`);
    for (const line of rest) out(`    ${" ".repeat(width)}  ${line}`);
  }
  const s = plan.summary;
  if (s.changes === 0 && s.failed === 0 && s.skipped === 0) {
    out(`Plan: nothing to do (${s.valid} VALID).`);
  } else {
    out(`Plan: ${s.stale} to change, ${s.pending} pending, ${s.valid} unchanged, ${s.failed} failed, ${s.skipped} skipped.`);
  }
}
