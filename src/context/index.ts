import { readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors";
import { displayPath, readYamlFile } from "../manifest/yaml";
import { VERSION } from "../version";
import { createEvaluator, type Evaluator } from "./expressions";
import { expandPath } from "../paths";
import { deepMerge, isPlainObject, type VarSource } from "./vars";

export type ConfirmMode = "NO" | "ONCE" | "RESOURCE" | "ACTION";
export const CONFIRM_MODES: readonly ConfirmMode[] = ["NO", "ONCE", "RESOURCE", "ACTION"];

/** The evaluated variables plus the directories every invocation sees. */
export interface Context {
  vars: Record<string, unknown>;
  workspace: string;
  confDir: string;
  workDir: string;
  /** The home directory `~` expands to. */
  home: string;
  verbose: boolean;
  confirm: ConfirmMode;
  version: string;
  evaluator: Evaluator;
}

export interface ContextOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  home?: string;
  /** `--var` / `--var-file` in command-line order. */
  sources?: VarSource[];
  verbose?: boolean;
  confirm?: ConfirmMode;
  /** `--work-dir` (wins over WORK_DIR). */
  workDir?: string;
  version?: string;
}

const AUTO_FILE = /^vars\.(.*\.)?auto\.yaml$/;

/**
 * Builds the context (resource-protocol.md section 3). Later wins: built-ins → auto files
 * (conf dir, then workspace, each sorted by name) → --var/--var-file in order → -v/-c.
 * A variables file's string values are evaluated against the context as it was before it.
 */
export async function buildContext(options: ContextOptions = {}): Promise<Context> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const home = options.home ?? env.HOME ?? homedir();
  const workspace = env.WORKSPACE_DIR ? expandPath(env.WORKSPACE_DIR, cwd, home) : cwd;
  const confDir = expandPath(env.CONF_DIR || "~/.deployster", cwd, home);
  const workDir = options.workDir
    ? expandPath(options.workDir, cwd, home)
    : env.WORK_DIR
      ? expandPath(env.WORK_DIR, cwd, home)
      : join(workspace, ".deployster", "work");
  const confirm = options.confirm ?? "ACTION";
  const verbose = options.verbose ?? false;
  const version = options.version ?? VERSION;
  const evaluator = createEvaluator({ workspace });

  let vars: Record<string, unknown> = {
    _version: version,
    _verbose: verbose,
    _conf: confDir,
    _workspace: workspace,
    _work: workDir,
    _confirm: confirm,
  };

  const addFile = async (path: string) => {
    const shown = displayPath(path, cwd);
    const parsed = await readYamlFile(path, "variables file", shown);
    if (parsed.value === null || parsed.value === undefined) return;
    if (!isPlainObject(parsed.value)) throw new UserError(`variables file '${shown}' must contain a mapping of names to values`);
    let evaluated: unknown;
    try {
      evaluated = evaluator.evaluate(parsed.value, vars);
    } catch (err) {
      throw new UserError(`variables file '${shown}': ${(err as Error).message}`);
    }
    vars = deepMerge(vars, evaluated as Record<string, unknown>);
  };

  const autoFiles = [...(await listAutoFiles(confDir)), ...(await listAutoFiles(workspace))];
  for (const file of [...new Set(autoFiles)]) await addFile(file);

  for (const source of options.sources ?? []) {
    if (source.kind === "var") vars = { ...vars, [source.name]: source.value };
    else await addFile(expandPath(source.path, cwd, home));
  }

  if (verbose) vars._verbose = true;
  vars._confirm = confirm;
  return { vars, workspace, confDir, workDir, home, verbose, confirm, version, evaluator };
}

/** Auto variables files in `dir`, sorted by name; a missing directory has none. */
export async function listAutoFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.filter((n) => AUTO_FILE.test(n)).sort().map((n) => join(dir, n));
}

export function parseConfirmMode(value: unknown): ConfirmMode {
  const mode = String(value ?? "ACTION").toUpperCase();
  if (!(CONFIRM_MODES as readonly string[]).includes(mode)) {
    throw new UserError(`invalid confirmation mode '${String(value)}': expected one of ${CONFIRM_MODES.join(", ")}`);
  }
  return mode as ConfirmMode;
}
