import type { Reporter } from "../engine/events";
import { newRunId, Session } from "../engine/session";
import { createTypeResolver } from "../resource-types/resolver";
import type { PreparedRun } from "./command-options";

/**
 * The engine session of a plan/apply/graph command, wired to the concrete resource types
 * (built-ins, images, runners). The command owns it: it closes it when done, which removes
 * the run's runners.
 */
export function openEngineSession(run: PreparedRun, reporter: Reporter): Session {
  const { engine, context } = run;
  const runId = engine.runId ?? newRunId();
  const types = createTypeResolver({
    docker: engine.docker,
    runId,
    workspace: context.workspace,
    confDir: context.confDir,
    workDir: context.workDir,
    stateTimeoutMs: engine.stateTimeoutMs,
    actionTimeoutMs: engine.actionTimeoutMs,
    stats: engine.stats,
    runners: engine.runners,
    maxStartingRunners: engine.parallelism,
    signal: engine.signal,
    containers: engine.containers,
    onPull: (image) => reporter.emit({ event: "pull", image }),
    onNotice: (message) => reporter.emit({ event: "warning", message }),
  });
  return new Session(context, { reporter, types, runId, parallelism: engine.parallelism, initCache: engine.initCache, signal: engine.signal, stats: engine.stats });
}
