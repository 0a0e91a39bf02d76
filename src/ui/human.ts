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
  return new HumanReporter(o);
}

type EventOf<K extends EngineEvent["event"]> = Extract<EngineEvent, { event: K }>;

class HumanReporter implements Reporter {
  /** Invocations running per resource: output is prefixed unless one resource's action runs alone. */
  private readonly active = new Map<string, number>();
  private lastActionResource: string | undefined;

  constructor(private readonly options: HumanReporterOptions) {}

  private out(line = ""): void {
    this.options.out.write(`${line}\n`);
  }

  private err(line = ""): void {
    this.options.err.write(`${line}\n`);
  }

  emit(e: EngineEvent): void {
    switch (e.event) {
      case "run-start":
        this.err(`deployster ${e.command}: ${e.resources} resource${e.resources === 1 ? "" : "s"} (run ${e.runId})`);
        break;
      case "pull":
        this.err(`pulling image ${e.image}...`);
        break;
      case "invocation-start":
      case "invocation-end":
        this.trackInvocation(e);
        break;
      case "output":
        this.printOutput(e);
        break;
      case "warning":
        this.err(`warning: ${e.resource ? `${e.resource}: ` : ""}${e.message}`);
        break;
      case "plan":
        printPlan(e.plan, (line) => this.out(line));
        break;
      case "apply-start":
        if (e.changes > 0) this.out(`\nApplying:`);
        break;
      case "resource-start":
        if (e.status === "PENDING") this.out(`${e.resource}: dependencies converged, querying its state`);
        break;
      case "action-start":
        this.lastActionResource = e.resource;
        this.out(`${e.resource}: ${e.action} (${e.index}/${e.total})${e.description !== e.action ? `: ${e.description}` : ""}`);
        break;
      case "action-end":
        if (this.options.verbose && e.ok) this.err(`${e.resource}: ${e.action} done in ${formatDuration(e.durationMs)}`);
        break;
      case "resource-result":
        this.printResourceResult(e);
        break;
      case "stopped":
        this.err(`apply stopped: ${e.reason}`);
        break;
      case "summary":
        if (e.command === "apply") {
          const counts = e.counts;
          this.out(`Apply ${e.ok ? "complete" : "failed"}: ${counts.changed} changed, ${counts.unchanged} unchanged, ${counts.failed} failed, ${counts.skipped} skipped (${formatDuration(e.durationMs)}).`);
        }
        break;
      default:
        break;
    }
  }

  /** Counts running invocations per resource; with -v, one line as each starts and ends. */
  private trackInvocation(e: EventOf<"invocation-start"> | EventOf<"invocation-end">): void {
    const what = `${e.resource} | ${e.phase}${e.action ? ` ${e.action}` : ""}`;
    if (e.event === "invocation-start") {
      this.active.set(e.resource, (this.active.get(e.resource) ?? 0) + 1);
      if (this.options.verbose) this.err(`${what} started${e.mounts.length ? ` (plugs: ${e.mounts.join(" ")})` : ""}`);
      return;
    }
    const n = (this.active.get(e.resource) ?? 1) - 1;
    if (n <= 0) this.active.delete(e.resource);
    else this.active.set(e.resource, n);
    if (this.options.verbose) this.err(`${what} ${e.ok ? "done" : "failed"} in ${formatDuration(e.durationMs)}`);
  }

  /** An action's output goes to stdout, indented under its header when it runs alone; init/state logs to stderr, prefixed. */
  private printOutput(e: EventOf<"output">): void {
    const alone = this.active.size <= 1 && e.phase === "action" && this.lastActionResource === e.resource;
    const line = alone ? `    ${e.line}` : `${e.resource} | ${e.line}`;
    if (e.phase === "action") this.out(line);
    else this.err(line);
  }

  private printResourceResult(e: EventOf<"resource-result">): void {
    if (e.outcome === "changed") this.out(`${e.resource}: VALID after ${e.actions} action${e.actions === 1 ? "" : "s"}`);
    else if (e.outcome === "unchanged" && e.planned === "PENDING") this.out(`${e.resource}: VALID, nothing to do`);
    else if (e.outcome === "failed" && e.error?.phase === "confirm") this.err(`${e.resource}: declined, not applied`);
    else if (e.outcome === "failed") this.err(`error: ${e.resource}: ${e.error?.phase} failed: ${e.error?.message}`);
    else if (e.outcome === "skipped") this.out(`${e.resource}: skipped (${e.cause === "aborted" ? "apply stopped" : `dependency '${e.cause}' failed`})`);
  }
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
