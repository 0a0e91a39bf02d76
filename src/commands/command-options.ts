import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { buildContext, parseConfirmMode, type ConfirmMode, type Context } from "../context/index";
import { orderVarSources, type VarSource } from "../context/vars";
import type { DockerClient } from "../docker/client";
import { ContainerTracker } from "../docker/tracking";
import { UserError } from "../errors";
import { loadManifests, type Manifest } from "../manifest/index";
import { Shutdown, type ShutdownScope } from "../shutdown";
import type { Writer } from "../ui/human";
import { parseDuration } from "../duration";
import { DEFAULT_PARALLELISM, type EngineStats } from "../engine/session";

/** The options of `plan` and `apply` as cac hands them over, plus injectable I/O. */
export interface EngineCommandOptions {
  var?: string | string[];
  varFile?: string | string[];
  confirm?: string;
  yes?: boolean;
  verbose?: boolean;
  parallelism?: number | string;
  json?: boolean;
  workDir?: string;
  initCache?: boolean;
  /** false (--no-runners): every invocation in a fresh container, also for reusable types. */
  runners?: boolean;
  actionTimeout?: string;
  stateTimeout?: string;
  detailedExitcode?: boolean;
  /** plan: write the plan to this file (a saved plan, for `apply FILE`). */
  out?: string;
  /** Run as if started in this directory (-C/--chdir). */
  chdir?: string;
  /** The variable sources in order, instead of --var/--var-file (a saved plan's). */
  sources?: VarSource[];
  // --- injectable (tests, benchmark); defaults are the process's own ---
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Raw argv after the command name, to recover the order of --var/--var-file. */
  rawArgs?: string[];
  stdout?: Writer;
  stderr?: Writer;
  stdin?: NodeJS.ReadStream;
  isTTY?: boolean;
  docker?: DockerClient;
  stats?: EngineStats;
  /** The process's shutdown (main.ts's); default: one nothing triggers. */
  shutdown?: ShutdownScope;
}

export interface PreparedRun {
  /** The directory the run behaves as if started in. */
  cwd: string;
  /** --var / --var-file in command-line order. */
  sources: VarSource[];
  context: Context;
  manifest: Manifest;
  confirm: ConfirmMode;
  parallelism: number;
  runId?: string;
  /** Its signal is the run's: SIGINT/SIGTERM stop the engine. */
  shutdown: ShutdownScope;
  engine: EngineRunOptions;
}

/** How the engine and the resource types run, from the flags (see src/commands/engine-session.ts). */
export interface EngineRunOptions {
  docker?: DockerClient;
  parallelism: number;
  initCache: boolean;
  runners: boolean;
  stateTimeoutMs: number;
  actionTimeoutMs: number;
  runId?: string;
  stats?: EngineStats;
  /** Stops the run: nothing new starts, running containers are killed and removed. */
  signal: AbortSignal;
  /** The run's containers, removed by the command when the process is stopped. */
  containers: ContainerTracker;
}

const asList = (v: unknown): string[] => (v === undefined || v === null || v === false ? [] : (Array.isArray(v) ? v : [v]).map(String));

/** Validates flags, builds the context and loads the manifests: everything before any container runs. */
export async function prepareRun(manifestArgs: string[], o: EngineCommandOptions): Promise<PreparedRun> {
  const env = o.env ?? process.env;
  const cwd = resolveChdir(o.cwd ?? process.cwd(), o.chdir);
  const confirm = o.yes ? "NO" : parseConfirmMode(o.confirm);
  const parallelism = Number(o.parallelism ?? DEFAULT_PARALLELISM);
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new UserError(`invalid --parallelism '${String(o.parallelism)}': expected a positive integer`);
  const actionTimeoutMs = parseDuration(o.actionTimeout ?? "30m", "--action-timeout");
  const stateTimeoutMs = parseDuration(o.stateTimeout ?? "5m", "--state-timeout");
  const sources = o.sources ?? orderVarSources(asList(o.var), asList(o.varFile), o.rawArgs ?? process.argv.slice(2));

  const context = await buildContext({ env, cwd, sources, verbose: !!o.verbose, confirm, workDir: o.workDir });
  const files = manifestArgs.length > 0 ? manifestArgs.map((f) => resolve(cwd, f)) : [resolve(context.workspace, "deployster.yaml")];
  if (manifestArgs.length === 0 && !existsSync(files[0])) {
    throw new UserError(`no manifest given and no deployster.yaml in ${context.workspace}`);
  }
  const manifest = await loadManifests(files, context, { displayBase: cwd });
  const runId = env.DEPLOYSTER_RUN_ID || undefined;
  if (runId !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(runId)) throw new UserError(`invalid DEPLOYSTER_RUN_ID '${runId}'`);
  const shutdown = o.shutdown ?? new Shutdown();
  return {
    cwd,
    sources,
    context,
    manifest,
    confirm,
    parallelism,
    runId,
    shutdown,
    engine: {
      docker: o.docker,
      parallelism,
      initCache: o.initCache !== false,
      runners: o.runners !== false,
      stateTimeoutMs,
      actionTimeoutMs,
      runId,
      stats: o.stats,
      signal: shutdown.signal,
      containers: new ContainerTracker(),
    },
  };
}

/** `-C DIR`: relative to the process's directory; it must be an existing directory. */
export function resolveChdir(cwd: string, chdir: string | undefined): string {
  if (chdir === undefined || chdir === "") return cwd;
  const dir = resolve(cwd, String(chdir));
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {}
  if (!ok) throw new UserError(`-C/--chdir: '${chdir}' is not a directory`);
  return dir;
}
