import { applyPlan } from "../engine/apply";
import { resolve } from "node:path";
import { prepareRun, resolveChdir, type EngineCommandOptions } from "./command-options";
import { looksLikeSavedPlan } from "../engine/saved-plan-file";
import { createPlan } from "../engine/plan";
import { UserError } from "../errors";
import { exitCodeOf } from "../exit-codes";
import { createHumanReporter } from "../ui/human";
import { createNdjsonReporter } from "../ui/json";
import { createTerminalPrompt } from "../ui/prompt";
import { openEngineSession } from "./engine-session";
import { quietOnceStopped, runInterruptible } from "./interrupt";

/**
 * `deployster apply [manifest...]`: plan, confirm as -c says, execute, summarize.
 * Confirmation needs a terminal: without one, apply refuses unless --yes or -c NO.
 * `apply FILE` with a file written by `plan -o` applies exactly that saved plan.
 */
export async function runApplyCommand(manifests: string[], options: EngineCommandOptions): Promise<number> {
  const cwd = resolveChdir(options.cwd ?? process.cwd(), options.chdir);
  if (manifests.length === 1 && looksLikeSavedPlan(resolve(cwd, manifests[0]!))) {
    return (await import("./apply-saved")).runSavedPlanApply(resolve(cwd, manifests[0]!), options);
  }
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const stdin = options.stdin ?? process.stdin;
  const run = await prepareRun(manifests, options);
  const isTTY = options.isTTY ?? !!stdin.isTTY;
  if (run.confirm !== "NO" && !isTTY) {
    throw new UserError(`apply asks for confirmation (-c ${run.confirm}) but stdin is not a terminal; pass --yes (or -c NO) to apply without asking`);
  }
  const reporter = options.json ? createNdjsonReporter(stdout) : createHumanReporter({ out: stdout, err: stderr, verbose: !!options.verbose });
  const prompt = run.confirm === "NO" ? undefined : createTerminalPrompt(stdin, stderr);
  const onInterrupt = () => reporter.emit({ event: "stopped", reason: "interrupted: running containers were killed and removed" });
  return runInterruptible({ shutdown: run.shutdown, containers: run.engine.containers, onInterrupt }, async () => {
    const session = openEngineSession(run, quietOnceStopped(reporter, run.shutdown.signal));
    try {
      const plan = await createPlan(session, run.manifest, "apply");
      const result = await applyPlan(session, plan, { confirm: run.confirm, prompt: prompt?.ask });
      return exitCodeOf(result.ok);
    } finally {
      await session.close();
      prompt?.close();
    }
  });
}
