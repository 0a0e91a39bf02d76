/** The pure half of `deployster type check`: error messages sorted into rules, and the report. */
import { describe, expect, test } from "bun:test";
import { formatResult, formatVerdict, skippedPhases } from "../../../src/resource-types/conformance/report";
import { type CheckResult, diagnoseStdout, fixFor, ruleOfInvocationError, ruleOfValidationError } from "../../../src/resource-types/conformance/rules";

describe("rules", () => {
  test("invocation errors of the image type map to exit-code, json, timeout, size, depth or run", () => {
    expect(ruleOfInvocationError("state", "state of 'r' terminated with exit code 5")).toBe("state.exit-code");
    expect(ruleOfInvocationError("init", "init of 'r' did not provide any JSON back")).toBe("init.json");
    expect(ruleOfInvocationError("recheck", "state of 'r' provided invalid JSON: x")).toBe("recheck.json");
    expect(ruleOfInvocationError("action", "action 'a' of 'r' timed out after 2s (container killed and removed)")).toBe("action.timeout");
    expect(ruleOfInvocationError("init", "init of 'r' could not run: no such image")).toBe("init.run");
    expect(ruleOfInvocationError("state", "state of 'r' stdout exceeded 16777216 bytes (the cap of a JSON answer; container killed and removed)")).toBe("state.size");
    expect(ruleOfInvocationError("state", "state of 'r' answered JSON nested deeper than 64 levels (the limit of a type's answer)")).toBe("state.depth");
  });

  test("validation errors map to the shape rules; an empty state_action has its own", () => {
    expect(ruleOfValidationError("init", "protocol error: 'r' init result has an empty state_action (...)")).toBe("init.state-action");
    expect(ruleOfValidationError("init", "protocol error: 'r' init result failed validation: has unknown key 'x'")).toBe("init.shape");
    expect(ruleOfValidationError("recheck", "protocol error: 'r' state result failed validation: x")).toBe("state.shape");
  });

  test("fixes: specific first, then by rule kind", () => {
    expect(fixFor("action.exit-code")).toContain("exit 0 when the action succeeded");
    expect(fixFor("state.exit-code")).toContain("STALE included");
    expect(fixFor("recheck.json")).toContain("write logs to stderr");
  });

  test("stdout with a log line before the JSON answer is diagnosed; plain garbage or a lone document is not", () => {
    expect(diagnoseStdout('checking...\n{"status":"VALID","state":{}}\n')).toContain("1 line(s) besides a JSON document");
    expect(diagnoseStdout("this is { not json")).toBeUndefined();
    expect(diagnoseStdout('{"a":1}')).toBeUndefined();
    expect(diagnoseStdout("a\nb")).toBeUndefined();
  });
});

describe("report", () => {
  const ok = (phase: CheckResult["phase"]): CheckResult => ({ phase, rule: `${phase}.x`, status: "ok", message: "fine" });
  const fail: CheckResult = { phase: "state", rule: "state.shape", status: "fail", message: "bad", fix: "do this", details: ["stderr: boom"] };

  test("a failure names the phase and the rule, then the fix and details", () => {
    expect(formatResult(fail).split("\n")).toEqual([
      "  FAIL  state         [state.shape] bad",
      `${" ".repeat(22)}fix: do this`,
      `${" ".repeat(22)}stderr: boom`,
    ]);
    expect(formatResult(ok("init"))).toBe("  ok    init          fine");
  });

  test("phases after a failure are listed as not run; none when all passed", () => {
    expect(skippedPhases([ok("image"), ok("init"), fail]).map((s) => s.phase)).toEqual(["action", "recheck", "second-state"]);
    expect(skippedPhases([ok("image"), ok("init")])).toEqual([]);
  });

  test("verdicts", () => {
    expect(formatVerdict("img", [ok("init"), ok("state")])).toBe("img conforms to the resource protocol (2 checks passed).");
    expect(formatVerdict("img", [ok("init"), fail])).toBe("img does NOT conform: 1 failure (state.shape).");
    expect(formatVerdict("img", [{ phase: "config", rule: "config.accepted", status: "fail", message: "x" }])).toContain("checked up to its config only");
  });
});
