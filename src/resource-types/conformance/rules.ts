/**
 * The rules `deployster type check` reports on, and how a failed invocation maps to one.
 * Each result names the phase it was seen in and a rule id (`<phase>.<rule>`), says what
 * happened, and for failures what to change. The engine's own errors (src/resource-types/
 * image.ts runs the container, src/engine/protocol.ts validates the answers) are the source
 * of truth: this module only sorts their messages into rules and adds the remedy.
 */

export type CheckPhase = "image" | "init" | "plugs" | "config" | "state" | "action" | "recheck" | "second-state";
export type CheckStatus = "ok" | "fail" | "warn" | "skip";

export interface CheckResult {
  phase: CheckPhase;
  /** `<phase>.<rule>`, e.g. `state.shape`. */
  rule: string;
  status: CheckStatus;
  message: string;
  /** What to change (failures and warnings). */
  fix?: string;
  /** Context: the invocation's last stderr/output lines, a stdout excerpt. */
  details?: string[];
}

const FIX: Record<string, string> = {
  "action.exit-code": "exit 0 when the action succeeded (its output is shown to the user; only the exit code counts)",
  "exit-code": "exit 0 whenever you answer on stdout (STALE included); a non-zero exit means 'could not find out'",
  json: "print exactly one JSON document on stdout and nothing else; write logs to stderr",
  timeout: "finish within the timeout (--state-timeout / --action-timeout), or raise it",
  size: "keep the JSON answer under 16 MiB",
  depth: "keep the JSON answer nested at most 64 levels deep",
  run: "make sure the image exists and can start (entrypoint, architecture)",
  "init.shape": 'answer {"state_action": {...}, "config_schema"?: {...}, "plugs"?: {...}} with no other keys',
  "init.state-action": "set at least one of state_action.image, .entrypoint, .args (an empty one would run init again)",
  "state.shape": 'answer {"status":"VALID","state":{...}} or {"status":"STALE","staleState"?:{...},"actions":[{"name":...}, ...]}, with no other keys',
};

/** The remedy for `rule` (`state.json` → the `json` remedy). */
export function fixFor(rule: string): string | undefined {
  return FIX[rule] ?? FIX[rule.slice(rule.indexOf(".") + 1)];
}

/**
 * Sorts an invocation error (thrown by the image type) into a rule of `phase`: exit code,
 * JSON on stdout, timeout, size or depth of the answer, or could-not-run.
 */
export function ruleOfInvocationError(phase: CheckPhase, message: string): string {
  if (/terminated with exit code/.test(message)) return `${phase}.exit-code`;
  if (/did not provide any JSON|provided invalid JSON/.test(message)) return `${phase}.json`;
  if (/timed out/.test(message)) return `${phase}.timeout`;
  if (/stdout exceeded/.test(message)) return `${phase}.size`;
  if (/nested deeper than/.test(message)) return `${phase}.depth`;
  return `${phase}.run`;
}

/** Sorts a validation error of an answer (src/engine/protocol.ts) into a rule. */
export function ruleOfValidationError(phase: CheckPhase, message: string): string {
  if (/empty state_action/.test(message)) return "init.state-action";
  return `${phase === "init" ? "init" : "state"}.shape`;
}

/**
 * When stdout did not parse, whether it looks like a JSON answer mixed with log lines (the
 * usual mistake: logging to stdout). Returns a detail line for the report, or undefined.
 */
export function diagnoseStdout(stdout: string): string | undefined {
  const lines = stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length < 2) return undefined;
  const jsonLines = lines.filter((l) => {
    try {
      const v = JSON.parse(l);
      return v !== null && typeof v === "object";
    } catch {
      return false;
    }
  });
  if (jsonLines.length === 0 || jsonLines.length === lines.length) return undefined;
  return `stdout holds ${lines.length - jsonLines.length} line(s) besides a JSON document: log lines belong on stderr`;
}
