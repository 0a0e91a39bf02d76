import { describe, expect, test } from "bun:test";
import type { PlanDocument } from "../../../src/engine/document";
import type { EngineEvent } from "../../../src/engine/events";
import { createHumanReporter } from "../../../src/ui/human";
import { createNdjsonReporter, createPlanDocumentReporter } from "../../../src/ui/json";

function sink() {
  let text = "";
  return { write: (s: string) => void (text += s), get text() { return text; } };
}

const doc: PlanDocument = {
  format_version: 1,
  run_id: "abc",
  created_at: "2025-01-01T00:00:00.000Z",
  manifests: ["m.yaml"],
  resources: [
    { name: "db", type: "t", readonly: false, dependencies: {}, status: "VALID", state: {} },
    { name: "web", type: "t", readonly: false, dependencies: {}, status: "STALE", actions: [{ name: "create", description: "Create it", image: "t", args: [] }] },
    { name: "app", type: "t", readonly: false, dependencies: { w: "web" }, status: "PENDING", pending_on: ["web"] },
    { name: "bad", type: "t", readonly: false, dependencies: {}, status: "FAILED", error: { phase: "state", message: "boom" } },
    { name: "kid", type: "t", readonly: false, dependencies: { b: "bad" }, status: "SKIPPED", skipped_because: "bad" },
  ],
  summary: { valid: 1, stale: 1, pending: 1, failed: 1, skipped: 1, changes: 2 },
};

describe("human renderer", () => {
  test("one line per resource, actions listed, a summary line", () => {
    const out = sink();
    const err = sink();
    createHumanReporter({ out, err }).emit({ event: "plan", plan: doc });
    expect(out.text).toBe(
      [
        "Plan (run abc):",
        "  = db   VALID",
        "  ~ web  STALE, 1 action:",
        "           - create: Create it",
        "  ? app  PENDING on web (its state is queried during apply, after that converges)",
        "  ! bad  FAILED in state: boom",
        "  - kid  SKIPPED (dependency 'bad' failed)",
        "Plan: 1 to change, 1 pending, 1 unchanged, 1 failed, 1 skipped.",
        "",
      ].join("\n"),
    );
  });

  test("live output is prefixed by the resource name when several run at once", () => {
    const out = sink();
    const err = sink();
    const r = createHumanReporter({ out, err });
    const events: EngineEvent[] = [
      { event: "action-start", resource: "a", action: "x", description: "x", index: 1, total: 1 },
      { event: "invocation-start", resource: "a", phase: "action", action: "x", mounts: [] },
      { event: "output", resource: "a", phase: "action", action: "x", stream: "stdout", line: "alone" },
      { event: "invocation-start", resource: "b", phase: "action", action: "y", mounts: [] },
      { event: "output", resource: "a", phase: "action", action: "x", stream: "stdout", line: "together" },
      { event: "output", resource: "b", phase: "action", action: "y", stream: "stderr", line: "also" },
      { event: "output", resource: "c", phase: "state", stream: "stderr", line: "state log" },
    ];
    for (const e of events) r.emit(e);
    expect(out.text).toBe("a: x (1/1)\n    alone\na | together\nb | also\n");
    expect(err.text).toBe("c | state log\n");
  });

  test("apply results and summary", () => {
    const out = sink();
    const err = sink();
    const r = createHumanReporter({ out, err });
    r.emit({ event: "resource-result", resource: "a", planned: "STALE", outcome: "changed", actions: 2 });
    r.emit({ event: "resource-result", resource: "b", planned: "STALE", outcome: "failed", error: { phase: "action", message: "exit 3" } });
    r.emit({ event: "resource-result", resource: "c", planned: "PENDING", outcome: "skipped", cause: "b" });
    r.emit({ event: "summary", command: "apply", ok: false, durationMs: 1500, counts: { changed: 1, unchanged: 0, failed: 1, skipped: 1 } });
    expect(out.text).toBe("a: VALID after 2 actions\nc: skipped (dependency 'b' failed)\nApply failed: 1 changed, 0 unchanged, 1 failed, 1 skipped (1.5s).\n");
    expect(err.text).toBe("error: b: action failed: exit 3\n");
  });
});

describe("JSON renderers", () => {
  test("apply: NDJSON, versioned first line, no bookkeeping events", () => {
    const out = sink();
    const r = createNdjsonReporter(out);
    r.emit({ event: "run-start", command: "apply", runId: "abc", resources: 1, parallelism: 10 });
    r.emit({ event: "invocation-start", resource: "a", phase: "state", mounts: [] });
    r.emit({ event: "plan", plan: doc });
    const lines = out.text.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(["run-start", "plan"]);
    expect(lines[0].format_version).toBe(1);
    expect(lines[1].plan.format_version).toBe(1);
  });

  test("plan: the document alone on stdout", () => {
    const out = sink();
    const err = sink();
    const r = createPlanDocumentReporter(out, err);
    r.emit({ event: "run-start", command: "plan", runId: "abc", resources: 1, parallelism: 10 });
    r.emit({ event: "output", resource: "a", phase: "state", stream: "stderr", line: "log" });
    r.emit({ event: "plan", plan: doc });
    expect(JSON.parse(out.text)).toEqual(doc);
    expect(err.text).toContain("a | log");
  });
});
