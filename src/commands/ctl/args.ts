/**
 * deployctl's argv rules (src/commands/ctl/CTL.md), as a pure function:
 *
 * - options may appear anywhere (before or after the command and its arguments);
 *   `--name value`, `--name=value`, and Go's single-dash spelling `-name value` all work;
 * - `--` ends option parsing: everything after it goes verbatim to `run`'s command;
 * - global options fall back to DEPLOYSTER_URL / _USERNAME / _PASSWORD / _CA_CERT (an empty
 *   variable counts as unset, like the original's) and then to the defaults;
 * - aliases d, r, x, l; `help [command]`, -h/--help, -v/--version;
 * - every mistake is a usage error (exit code 2 with the usage text), never a silent 0.
 */

import { isValidTimestamp } from "../../api/v1";
import { BARE_SECONDS, parseDurationParts } from "../../duration";

export type CtlCommand = "deploy" | "run" | "destroy" | "list" | "status" | "rollback";

export const COMMAND_ALIASES: Record<string, CtlCommand> = {
  deploy: "deploy", d: "deploy",
  run: "run", r: "run",
  destroy: "destroy", x: "destroy",
  list: "list", l: "list",
  status: "status",
  rollback: "rollback",
};

export interface GlobalOptions {
  url: string;
  username: string;
  password: string;
  caCert?: string;
  /** Where each global came from, for error messages ("--url" or "DEPLOYSTER_URL"). */
  sources: { url: string; caCert?: string };
}

export const DEFAULT_URL = "http://localhost:3000";
export const DEFAULT_USERNAME = "deployster";
export const DEFAULT_WAIT_TIMEOUT = "15m";

export type CtlInvocation =
  | { command: "deploy"; service: string; version: string; skipDestroyPrevious: boolean; instances: number; timestamp?: string; wait: boolean; waitTimeoutMs: number }
  | { command: "run"; service: string; version: string; taskCommand: string }
  | { command: "destroy"; service: string; version: string; timestamp?: string }
  | { command: "list"; service: string; json: boolean }
  | { command: "status"; service: string; version?: string; timestamp?: string; json: boolean }
  | { command: "rollback"; service: string; wait: boolean; waitTimeoutMs: number };

export type ParsedCtlArgs =
  | { kind: "help"; command?: CtlCommand }
  | { kind: "version" }
  | { kind: "usage-error"; message: string; command?: CtlCommand }
  | { kind: "invocation"; global: GlobalOptions; invocation: CtlInvocation };

export interface OptionSpec {
  takesValue: boolean;
  /** Commands the option applies to; "global" = all. */
  scope: "global" | CtlCommand[];
}

export const OPTIONS: Record<string, OptionSpec> = {
  url: { takesValue: true, scope: "global" },
  username: { takesValue: true, scope: "global" },
  password: { takesValue: true, scope: "global" },
  "ca-cert": { takesValue: true, scope: "global" },
  help: { takesValue: false, scope: "global" },
  version: { takesValue: false, scope: "global" },
  "skip-destroy-previous": { takesValue: false, scope: ["deploy"] },
  instances: { takesValue: true, scope: ["deploy"] },
  timestamp: { takesValue: true, scope: ["deploy", "destroy", "status"] },
  wait: { takesValue: false, scope: ["deploy", "rollback"] },
  "wait-timeout": { takesValue: true, scope: ["deploy", "rollback"] },
  json: { takesValue: false, scope: ["list", "status"] },
};

const SHORT_OPTIONS: Record<string, string> = { h: "help", v: "version" };

interface Scanned {
  positionals: string[];
  rest?: string[];
  options: Map<string, string | boolean>;
}

class UsageError extends Error {}

function parseBool(name: string, raw: string): boolean {
  if (/^(true|1|t|yes)$/i.test(raw)) return true;
  if (/^(false|0|f|no)$/i.test(raw)) return false;
  throw new UsageError(`invalid value "${raw}" for --${name} (expected true or false)`);
}

/** Splits argv into positionals, options (last one wins) and the verbatim rest after `--`. */
function scanArgs(args: string[]): Scanned {
  const out: Scanned = { positionals: [], options: new Map() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.rest = args.slice(i + 1);
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      out.positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const rawName = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const name = !arg.startsWith("--") && rawName.length === 1 ? SHORT_OPTIONS[rawName] : rawName;
    const spec = name ? OPTIONS[name] : undefined;
    if (!name || !spec) {
      throw new UsageError(`unknown option ${arg.split("=")[0]}`);
    }
    if (spec.takesValue) {
      if (inline !== undefined) out.options.set(name, inline);
      else if (i + 1 < args.length) out.options.set(name, args[++i]);
      else throw new UsageError(`option --${name} needs a value`);
    } else {
      out.options.set(name, inline === undefined ? true : parseBool(name, inline));
    }
  }
  return out;
}

/** Parses a duration like 90s, 15m, 1h30m, 500ms, or a bare number of seconds; ms or undefined. */
export function parseDuration(raw: string): number | undefined {
  const s = raw.trim();
  if (BARE_SECONDS.test(s)) return Math.round(Number(s) * 1000);
  const total = parseDurationParts(s);
  return total === undefined ? undefined : Math.round(total);
}

function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}

function resolveGlobals(options: Map<string, string | boolean>, env: Record<string, string | undefined>): GlobalOptions {
  const str = (name: string) => options.get(name) as string | undefined;
  const url = str("url") ?? envValue(env, "DEPLOYSTER_URL");
  const caCert = str("ca-cert") ?? envValue(env, "DEPLOYSTER_CA_CERT");
  return {
    url: url ?? DEFAULT_URL,
    username: str("username") ?? envValue(env, "DEPLOYSTER_USERNAME") ?? DEFAULT_USERNAME,
    password: str("password") ?? envValue(env, "DEPLOYSTER_PASSWORD") ?? "",
    ...(caCert !== undefined ? { caCert } : {}),
    sources: {
      url: str("url") !== undefined ? "--url" : url !== undefined ? "DEPLOYSTER_URL" : "default",
      ...(caCert !== undefined ? { caCert: str("ca-cert") !== undefined ? "--ca-cert" : "DEPLOYSTER_CA_CERT" } : {}),
    },
  };
}

function requireArgs(command: CtlCommand, positionals: string[], max: number): void {
  // The original's messages, in its order: service first, then version.
  if (positionals.length < 1 || positionals[0] === "") throw new UsageError("Service required");
  if (max >= 2 && command !== "status" && (positionals.length < 2 || positionals[1] === ""))
    throw new UsageError("Version required");
  if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}"`);
}

function readTimestamp(options: Map<string, string | boolean>): string | undefined {
  const ts = options.get("timestamp") as string | undefined;
  if (ts !== undefined && !isValidTimestamp(ts))
    throw new UsageError(`invalid --timestamp "${ts}" (expected YYYY.MM.DD-hh.mm.ss, e.g. 2015.01.31-23.59.59)`);
  return ts;
}

function readWaitTimeout(options: Map<string, string | boolean>): number {
  const raw = (options.get("wait-timeout") as string | undefined) ?? DEFAULT_WAIT_TIMEOUT;
  const ms = parseDuration(raw);
  if (ms === undefined || ms <= 0) throw new UsageError(`invalid --wait-timeout "${raw}" (e.g. 90s, 15m, 1h)`);
  return ms;
}

function buildInvocation(command: CtlCommand, s: Scanned): CtlInvocation {
  const p = s.positionals;
  const flag = (name: string) => s.options.get(name) === true;
  if (s.rest !== undefined && command !== "run") throw new UsageError(`"--" is only meaningful for run`);
  switch (command) {
    case "deploy": {
      requireArgs(command, p, 2);
      const timestamp = readTimestamp(s.options);
      const rawInstances = (s.options.get("instances") as string | undefined) ?? "0";
      if (!/^\d+$/.test(rawInstances)) throw new UsageError(`invalid --instances "${rawInstances}" (expected a whole number ≥ 0)`);
      return {
        command, service: p[0], version: p[1],
        skipDestroyPrevious: flag("skip-destroy-previous"),
        instances: Number.parseInt(rawInstances, 10),
        ...(timestamp !== undefined ? { timestamp } : {}),
        wait: flag("wait"),
        waitTimeoutMs: readWaitTimeout(s.options),
      };
    }
    case "run": {
      const words = [...p, ...(s.rest ?? [])];
      requireArgs(command, words, Number.POSITIVE_INFINITY);
      if (words.length < 3) throw new UsageError("Command required");
      return { command, service: words[0], version: words[1], taskCommand: words.slice(2).join(" ") };
    }
    case "destroy": {
      requireArgs(command, p, 2);
      const timestamp = readTimestamp(s.options);
      return { command, service: p[0], version: p[1], ...(timestamp !== undefined ? { timestamp } : {}) };
    }
    case "list":
      requireArgs(command, p, 1);
      return { command, service: p[0], json: flag("json") };
    case "status": {
      requireArgs(command, p, 2);
      const timestamp = readTimestamp(s.options);
      if (timestamp !== undefined && p.length < 2) throw new UsageError("--timestamp needs a version: status <service> <version> --timestamp TS");
      return {
        command, service: p[0], json: flag("json"),
        ...(p[1] !== undefined ? { version: p[1] } : {}),
        ...(timestamp !== undefined ? { timestamp } : {}),
      };
    }
    case "rollback":
      requireArgs(command, p, 1);
      return { command, service: p[0], wait: flag("wait"), waitTimeoutMs: readWaitTimeout(s.options) };
  }
}

export function parseCtlArgs(args: string[], env: Record<string, string | undefined>): ParsedCtlArgs {
  let scanned: Scanned;
  try {
    scanned = scanArgs(args);
  } catch (err) {
    // Still try to name the command so the usage shown is the right one.
    const first = args.find((a) => !a.startsWith("-"));
    const command = first !== undefined ? COMMAND_ALIASES[first] : undefined;
    const hint = command === "run" ? " (to pass options to the task, put them after --: run <service> <version> -- <command...>)" : "";
    return { kind: "usage-error", message: (err as Error).message + hint, ...(command ? { command } : {}) };
  }
  const [word, ...positionals] = scanned.positionals;
  if (word === "help" || word === "h") {
    const topic = positionals[0] !== undefined ? COMMAND_ALIASES[positionals[0]] : undefined;
    if (positionals[0] !== undefined && !topic) return { kind: "usage-error", message: `unknown command "${positionals[0]}"` };
    return { kind: "help", ...(topic ? { command: topic } : {}) };
  }
  const command = word !== undefined ? COMMAND_ALIASES[word] : undefined;
  if (scanned.options.get("help") === true) return { kind: "help", ...(command ? { command } : {}) };
  if (scanned.options.get("version") === true) return { kind: "version" };
  if (word === undefined) return { kind: "usage-error", message: "a command is required" };
  if (!command) return { kind: "usage-error", message: `unknown command "${word}"` };
  for (const name of scanned.options.keys()) {
    const scope = OPTIONS[name].scope;
    if (scope !== "global" && !scope.includes(command))
      return { kind: "usage-error", message: `option --${name} does not apply to ${command}`, command };
  }
  try {
    const invocation = buildInvocation(command, { ...scanned, positionals });
    return { kind: "invocation", global: resolveGlobals(scanned.options, env), invocation };
  } catch (err) {
    if (err instanceof UsageError) return { kind: "usage-error", message: err.message, command };
    throw err;
  }
}
