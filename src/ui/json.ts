import { FORMAT_VERSION } from "../engine/document";
import type { EngineEvent, Reporter } from "../engine/events";
import { createHumanReporter, type Writer } from "./human";

/**
 * apply --json: one JSON object per line per event (NDJSON). Bookkeeping events
 * (invocation start/end, per-resource planned) are left out: the `plan` event carries the
 * whole plan document. The first line carries `format_version`.
 */
export function createNdjsonReporter(out: Writer): Reporter {
  return {
    emit(e: EngineEvent) {
      if (e.event === "invocation-start" || e.event === "invocation-end" || e.event === "planned") return;
      const line = e.event === "run-start" ? { format_version: FORMAT_VERSION, ...e } : e;
      out.write(`${JSON.stringify(line)}\n`);
    },
  };
}

/**
 * plan --json: the versioned plan document alone on `out`; live output and warnings go to
 * `err` as the human renderer shows them.
 */
export function createPlanDocumentReporter(out: Writer, err: Writer, verbose = false): Reporter {
  const human = createHumanReporter({ out: err, err, verbose });
  return {
    emit(e: EngineEvent) {
      if (e.event === "plan") out.write(`${JSON.stringify(e.plan, null, 2)}\n`);
      else human.emit(e);
    },
  };
}
