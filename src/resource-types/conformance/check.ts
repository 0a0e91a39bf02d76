/**
 * `deployster type check`: runs a resource-type image through its whole lifecycle in a
 * throwaway workspace (init, state, the actions, the re-query, a second query) with a fresh
 * directory for every plug it asks for, and checks every rule of the protocol on the way.
 * Invocations go through the engine's own image type and validators, so the checker and
 * plan/apply can never disagree about what conforms.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DockerClient } from "../../docker/client";
import type { ContainerTracker } from "../../docker/tracking";
import { validateConfig, validateInitResult, validateStateResult, withActionDefaults } from "../../engine/protocol";
import { NAME_RE } from "../../manifest/schema";
import { VERSION } from "../../version";
import { safeSegment } from "../artefacts";
import { createImageType } from "../image";
import type { InitResult, InvocationBase, InvocationIO, StateResult } from "../../engine/resource-type";
import { type CheckPhase, type CheckResult, diagnoseStdout, fixFor, ruleOfInvocationError, ruleOfValidationError } from "./rules";

export interface ConformanceOptions {
  image: string;
  config: Record<string, unknown>;
  docker: DockerClient;
  runId: string;
  stateTimeoutMs: number;
  actionTimeoutMs: number;
  verbose?: boolean;
  /** Stops the check: the running container is killed and removed. */
  signal?: AbortSignal;
  /** The check's containers (removed if the process is stopped). */
  containers?: ContainerTracker;
  /** Each result as soon as it is known (the report prints live). */
  onResult?(result: CheckResult): void;
  /** Live output of the type's containers (shown with -v). */
  onOutput?(phase: string, stream: "stdout" | "stderr", line: string): void;
}

/** The resource name the checked type sees; init is run a second time under OTHER_NAME. */
export const CHECK_NAME = "type-check";
const OTHER_NAME = "type-check-other";
const TAIL_LINES = 8;

class Stop extends Error {}

/** Sorted keys, so that two answers compare by content. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
}

export async function checkConformance(o: ConformanceOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (r: CheckResult) => {
    results.push(r);
    o.onResult?.(r);
  };
  const root = await mkdtemp(join(tmpdir(), "deployster-type-check-"));
  const dirs = { workspace: join(root, "workspace"), confDir: join(root, "conf"), workDir: join(root, "work") };
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
  const type = createImageType(o.image, { docker: o.docker, runId: o.runId, ...dirs, stateTimeoutMs: o.stateTimeoutMs, actionTimeoutMs: o.actionTimeoutMs, containers: o.containers });
  const base = (name = CHECK_NAME): InvocationBase => ({ name, type: o.image, version: VERSION, verbose: !!o.verbose, workspace: dirs.workspace });

  /** Runs one invocation; a thrown error becomes a failed rule (with the last output lines) and stops the check. */
  const invoke = async <T>(phase: CheckPhase, label: string, artefact: string, call: (io: InvocationIO) => Promise<T>): Promise<T> => {
    const tail: string[] = [];
    const io: InvocationIO = {
      signal: o.signal ?? new AbortController().signal,
      output: (stream, line) => {
        tail.push(`${stream}: ${line}`);
        if (tail.length > TAIL_LINES) tail.shift();
        o.onOutput?.(label, stream, line);
      },
    };
    try {
      return await call(io);
    } catch (err) {
      const message = (err as Error).message;
      const rule = ruleOfInvocationError(phase, message);
      const details = [...tail];
      if (rule.endsWith(".json")) {
        const hint = diagnoseStdout(await lastArtefact(dirs.workDir, artefact));
        if (hint) details.unshift(hint);
      }
      report({ phase, rule, status: "fail", message, fix: fixFor(rule), details });
      throw new Stop();
    }
  };
  const shapeFailure = (phase: CheckPhase, err: unknown): never => {
    const rule = ruleOfValidationError(phase, (err as Error).message);
    report({ phase, rule, status: "fail", message: (err as Error).message, fix: fixFor(rule) });
    throw new Stop();
  };
  const validState = (phase: CheckPhase, raw: unknown): StateResult => {
    try {
      return validateStateResult(CHECK_NAME, raw);
    } catch (err) {
      return shapeFailure(phase, err);
    }
  };
  const ok = (phase: CheckPhase, rule: string, message: string) => report({ phase, rule, status: "ok", message });

  try {
    try {
      await type.initCacheKey!();
      ok("image", "image.available", `${o.image} is present on the engine`);
    } catch (err) {
      report({ phase: "image", rule: "image.available", status: "fail", message: (err as Error).message, fix: "build or pull the image first" });
      throw new Stop();
    }

    // init: exit code, one JSON document, shape, independent of the resource name.
    const rawInit = await invoke("init", "init", join(CHECK_NAME, "init"), (io) => type.init(base(), io));
    ok("init", "init.exit-code", "exits 0 and prints one JSON document on stdout");
    let init: InitResult;
    try {
      init = validateInitResult(CHECK_NAME, rawInit);
    } catch (err) {
      return shapeFailure("init", err);
    }
    ok("init", "init.shape", `a valid init answer (${Object.keys(init).join(", ")}) with no other keys`);
    const again = await invoke("init", "init (other name)", join(OTHER_NAME, "init"), (io) => type.init(base(OTHER_NAME), io));
    if (canonical(again) === canonical(rawInit)) ok("init", "init.name-independent", "answers the same for another resource name");
    else {
      report({ phase: "init", rule: "init.name-independent", status: "fail", message: `init answered differently for a resource named '${OTHER_NAME}'`, fix: "describe the type, not the resource: deployster caches init once per image" });
    }

    // plugs: names a manifest can define, absolute container paths; each gets a fresh directory.
    const mounts: string[] = [];
    let badPlugs = 0;
    for (const [plug, req] of Object.entries(init.plugs ?? {})) {
      const problems = [
        !NAME_RE.test(plug) && `the name '${plug}' is not a valid plug name (${NAME_RE.source}), so no manifest can provide it`,
        !req.container_path.startsWith("/") && `container_path '${req.container_path}' is not an absolute path`,
      ].filter(Boolean) as string[];
      if (problems.length > 0) {
        report({ phase: "plugs", rule: "plugs.request", status: "fail", message: `plug '${plug}': ${problems.join("; ")}`, fix: "request plugs by valid names at absolute paths" });
        badPlugs++;
        continue;
      }
      const dir = join(root, "plugs", safeSegment(plug));
      await mkdir(dir, { recursive: true });
      const mode = req.writable === false ? "ro" : "rw";
      mounts.push(`${dir}:${req.container_path}:${mode}`);
      ok("plugs", "plugs.request", `plug '${plug}' mounted at ${req.container_path} (${mode}${req.optional ? ", optional" : ""}) from an empty directory`);
    }
    if (Object.keys(init.plugs ?? {}).length === 0) ok("plugs", "plugs.request", "no plugs requested");
    if (badPlugs > 0) throw new Stop();

    // config: the schema compiles and accepts the config under test.
    try {
      validateConfig(CHECK_NAME, o.config, init.config_schema);
      ok("config", "config.accepted", init.config_schema ? "config_schema compiles and accepts the config" : "no config_schema (any config is accepted)");
    } catch (err) {
      const message = (err as Error).message;
      const compiles = !/not a valid JSON Schema/.test(message);
      report({
        phase: "config",
        rule: compiles ? "config.accepted" : "config.schema",
        status: "fail",
        message,
        fix: compiles ? "pass a config the type accepts with --config FILE" : "make config_schema a valid JSON Schema",
      });
      throw new Stop();
    }

    const state = (phase: CheckPhase) =>
      invoke(phase, phase, join(CHECK_NAME, "state"), (io) => type.state({ ...base(), config: o.config }, init, mounts, io)).then((raw) => {
        ok(phase, `${phase}.exit-code`, "exits 0 and prints one JSON document on stdout");
        return validState(phase, raw);
      });

    const first = await state("state");
    ok("state", "state.shape", first.status === "VALID" ? "a valid VALID answer" : `a valid STALE answer: ${first.actions.map((a) => a.name).join(", ")}`);
    let settled: StateResult = first;
    if (first.status === "VALID") {
      report({ phase: "action", rule: "action.exercised", status: "warn", message: "the resource is already VALID with this config: the actions and the re-query were not exercised", fix: "pass a config that is STALE in an empty workspace (--config FILE)" });
    } else {
      for (const raw of first.actions) {
        const action = withActionDefaults(raw, o.image);
        await invoke("action", `action ${action.name}`, join(CHECK_NAME, action.name), (io) =>
          type.action({ ...base(), config: o.config, staleState: first.staleState ?? {} }, action, init, mounts, io),
        );
        ok("action", "action.exit-code", `'${action.name}' exits 0`);
      }
      settled = await state("recheck");
      if (settled.status !== "VALID") {
        report({ phase: "recheck", rule: "recheck.valid", status: "fail", message: `still STALE after the actions (would run: ${settled.actions.map((a) => a.name).join(", ")})`, fix: "make the actions reach what state checks, or state check what the actions do" });
        throw new Stop();
      }
      ok("recheck", "recheck.valid", "VALID after the actions");
    }
    const second = await state("second-state");
    if (second.status !== "VALID") {
      report({ phase: "second-state", rule: "second-state.valid", status: "fail", message: "a second state query with nothing changed is STALE", fix: "the state action must be free of side effects and give the same answer twice" });
    } else if (settled.status === "VALID" && canonical(second.state) !== canonical(settled.state)) {
      report({ phase: "second-state", rule: "second-state.stable", status: "warn", message: "VALID again, but with a different state: dependents would see it change", fix: "report only what describes the resource (no clocks, no counters)" });
    } else ok("second-state", "second-state.valid", "VALID again, with the same state");
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  } finally {
    await rm(root, { recursive: true, force: true }).catch(() => {});
  }
  return results;
}

/** The newest stdout artefact of an invocation (`<work>/<resource>/<action>/stdout-<ts>.json`). */
async function lastArtefact(workDir: string, artefact: string): Promise<string> {
  const dir = join(workDir, ...artefact.split("/").map(safeSegment));
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith("stdout-")).sort();
  const last = names.at(-1);
  return last ? (await readFile(join(dir, last), "utf8").catch(() => "")).slice(0, 64 * 1024) : "";
}
