/**
 * `deployster apply FILE` with a saved plan (`deployster plan -o FILE`): plans again from the
 * plan's own manifests and variables, in its directory, and applies only when every resource
 * looks the way the saved plan saw it (fresh state queries, made by this run, just before any
 * action). Otherwise it refuses, naming each resource that changed, and changes nothing.
 * Without -c or --yes it does not ask: reviewing the saved plan was the confirmation.
 */
import { applyPlan } from "../engine/apply";
import { prepareRun, type EngineCommandOptions } from "./command-options";
import { createPlan } from "../engine/plan";
import { compareWithSaved, savedSources } from "../engine/saved-plan";
import { readSavedPlan } from "../engine/saved-plan-file";
import { parseConfirmMode } from "../context/index";
import { UserError } from "../errors";
import { EXIT_FAILURE, exitCodeOf } from "../exit-codes";
import { quietOnceStopped, runInterruptible } from "./interrupt";
import { createHumanReporter } from "../ui/human";
import { createNdjsonReporter } from "../ui/json";
import { createTerminalPrompt } from "../ui/prompt";
import { openEngineSession } from "./engine-session";

export async function runSavedPlanApply(file: string, options: EngineCommandOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const stdin = options.stdin ?? process.stdin;
  if (options.var !== undefined || options.varFile !== undefined) {
    throw new UserError("a saved plan carries its own variables: apply it without --var/--var-file (or plan again)");
  }
  const saved = readSavedPlan(file);
  const confirm = options.yes ? "NO" : options.confirm === undefined ? "NO" : parseConfirmMode(options.confirm);
  const run = await prepareRun(saved.manifests, { ...options, yes: false, confirm, cwd: saved.cwd, chdir: undefined, sources: savedSources(saved) });
  if (run.context.workspace !== saved.workspace) {
    throw new UserError(`the saved plan was made for workspace ${saved.workspace}, this run's workspace is ${run.context.workspace} (check WORKSPACE_DIR)`);
  }
  const isTTY = options.isTTY ?? !!stdin.isTTY;
  if (confirm !== "NO" && !isTTY) throw new UserError(`apply asks for confirmation (-c ${confirm}) but stdin is not a terminal; pass --yes (or -c NO) to apply without asking`);
  const reporter = options.json ? createNdjsonReporter(stdout) : createHumanReporter({ out: stdout, err: stderr, verbose: !!options.verbose });
  const prompt = confirm === "NO" ? undefined : createTerminalPrompt(stdin, stderr);
  const onInterrupt = () => reporter.emit({ event: "stopped", reason: "interrupted: running containers were killed and removed" });
  return runInterruptible({ shutdown: run.shutdown, containers: run.engine.containers, onInterrupt }, async () => {
    const session = openEngineSession(run, quietOnceStopped(reporter, run.shutdown.signal));
    try {
      if (!options.json) stderr.write(`Applying the saved plan ${file} (made ${saved.created_at}); checking that nothing changed since.\n`);
      const plan = await createPlan(session, run.manifest, "apply");
      const changed = compareWithSaved(saved, plan);
      if (changed.length > 0) {
        const reason = `the world changed since the plan was made, so it was not applied (nothing was changed):\n${changed.map((c) => `  - ${c}`).join("\n")}\nRun plan again and review it.`;
        reporter.emit({ event: "stopped", reason });
        return EXIT_FAILURE;
      }
      const result = await applyPlan(session, plan, { confirm, prompt: prompt?.ask });
      return exitCodeOf(result.ok);
    } finally {
      await session.close();
      prompt?.close();
    }
  });
}
