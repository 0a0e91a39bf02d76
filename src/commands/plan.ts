import { resolve } from "node:path";
import { summarizePlan } from "../engine/document";
import { createPlan } from "../engine/plan";
import type { Plan } from "../engine/types";
import type { Writer } from "../ui/human";
import { type EngineCommandOptions, type PreparedRun, prepareRun } from "./command-options";
import { openEngineSession } from "./engine-session";
import { exitCodeOfPlan } from "../exit-codes";
import { quietOnceStopped, runInterruptible } from "./interrupt";
import { createHumanReporter } from "../ui/human";
import { createPlanDocumentReporter } from "../ui/json";

/**
 * `deployster plan [manifest...]`: discovers the state of every resource and shows what
 * apply would do, changing nothing. Exit 1 when a resource failed; with
 * --detailed-exitcode, 2 when changes are pending and 0 when there is nothing to do.
 * With -o FILE the plan is also saved, for `deployster apply FILE`.
 */
export async function runPlanCommand(manifests: string[], options: EngineCommandOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const run = await prepareRun(manifests, options);
  const reporter = options.json
    ? createPlanDocumentReporter(stdout, stderr, !!options.verbose)
    : createHumanReporter({ out: stdout, err: stderr, verbose: !!options.verbose });
  const onInterrupt = () => stderr.write("plan interrupted: containers removed\n");
  return runInterruptible({ shutdown: run.shutdown, containers: run.engine.containers, onInterrupt }, async () => {
    const session = openEngineSession(run, quietOnceStopped(reporter, run.shutdown.signal));
    try {
      const plan = await createPlan(session, run.manifest, "plan");
      const summary = summarizePlan(plan.resources);
      if (options.out !== undefined) await savePlan(plan, run, resolve(run.cwd, String(options.out)), stderr);
      return exitCodeOfPlan(summary, !!options.detailedExitcode);
    } finally {
      await session.close();
    }
  });
}

/** `plan -o FILE`: the saved plan (see src/engine/saved-plan.ts); refused when the plan has failures. */
async function savePlan(plan: Plan, run: PreparedRun, file: string, stderr: Writer): Promise<void> {
  const { createSavedPlan } = await import("../engine/saved-plan");
  const { writeSavedPlan } = await import("../engine/saved-plan-file");
  writeSavedPlan(file, createSavedPlan(plan, run));
  stderr.write(`Saved the plan to ${file}; apply exactly it with: deployster apply ${file}\n`);
}
