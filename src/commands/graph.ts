/**
 * `deployster graph [manifest...]`: the resource graph as Graphviz DOT (default) or a
 * Mermaid flowchart (--format mermaid), on stdout. With --plan, every resource's state is
 * discovered as `plan` does (changing nothing) and each node is coloured by its planned
 * status: VALID, STALE, PENDING, FAILED (SKIPPED: behind a failed one). Why a resource
 * failed goes to stderr, one line each; the exit code is 0 once the graph is printed.
 */
import { prepareRun, type EngineCommandOptions } from "./command-options";
import { openEngineSession } from "./engine-session";
import { buildGraph } from "../manifest/graph";
import { createMemoryReporter } from "../engine/events";
import { createPlan } from "../engine/plan";
import type { PlannedStatus } from "../engine/types";
import { UserError } from "../errors";
import { EXIT_INTERRUPTED, EXIT_OK } from "../exit-codes";
import { runInterruptible } from "./interrupt";
import { type GraphFormat, renderDot, renderMermaid } from "../ui/graph";

export interface GraphCommandOptions extends EngineCommandOptions {
  format?: string;
  plan?: boolean;
}

export function parseGraphFormat(v: unknown): GraphFormat {
  const f = String(v ?? "dot").toLowerCase();
  if (f === "dot" || f === "mermaid") return f;
  throw new UserError(`invalid --format '${String(v)}': expected dot or mermaid`);
}

export async function runGraphCommand(manifests: string[], options: GraphCommandOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const format = parseGraphFormat(options.format);
  const run = await prepareRun(manifests, options);
  const specs = Object.values(run.manifest.resources);
  const graph = buildGraph(run.manifest.resources);
  let statuses: Map<string, PlannedStatus> | undefined;
  if (options.plan) {
    const onInterrupt = () => stderr.write("graph interrupted: containers removed\n");
    await runInterruptible({ shutdown: run.shutdown, containers: run.engine.containers, onInterrupt }, async () => {
      const session = openEngineSession(run, createMemoryReporter());
      try {
        const plan = await createPlan(session, run.manifest, "plan");
        statuses = new Map(plan.resources.map((r) => [r.spec.name, r.status]));
        if (run.shutdown.signal.aborted) return EXIT_INTERRUPTED;
        for (const r of plan.resources) {
          if (r.status === "FAILED" && r.error) stderr.write(`${r.spec.name}: FAILED (${r.error.phase}): ${r.error.message.split("\n")[0]}\n`);
        }
        return EXIT_OK;
      } finally {
        // The session holds the run's resource-type runners: removed before printing.
        await session.close();
      }
    });
    // Stopped: the shutdown decides the exit, and a half-discovered graph is not printed.
    if (run.shutdown.signal.aborted) return EXIT_INTERRUPTED;
  }
  const render = format === "dot" ? renderDot : renderMermaid;
  stdout.write(render(graph, specs, { statuses }));
  return EXIT_OK;
}
