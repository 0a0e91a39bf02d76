/**
 * What shell completion knows, read from the cac definitions (src/cli.ts) and the ctl option
 * table, so that completions can never drift from the real commands and flags.
 */
import type { CAC } from "cac";
import { COMMAND_ALIASES, OPTIONS as CTL_OPTIONS } from "../ctl/args";

/** What an option's value completes to. */
export type ValueKind = { kind: "none" } | { kind: "file" } | { kind: "dir" } | { kind: "word" } | { kind: "choice"; values: string[] };

export interface CompletionOption {
  /** `-c`, `--confirm` */
  flags: string[];
  description: string;
  value: ValueKind;
}

export interface CompletionCommand {
  name: string;
  description: string;
  options: CompletionOption[];
  /** What positional arguments complete to. */
  args: { kind: "files" } | { kind: "none" } | { kind: "choice"; values: string[] };
}

const FILE_VALUES = new Set(["var-file", "out", "config", "cert", "key", "ca-cert"]);
const DIR_VALUES = new Set(["chdir", "work-dir"]);
const CHOICES: Record<string, string[]> = { confirm: ["NO", "ONCE", "RESOURCE", "ACTION"] };

function valueKind(name: string, takesValue: boolean): ValueKind {
  if (!takesValue) return { kind: "none" };
  if (FILE_VALUES.has(name)) return { kind: "file" };
  if (DIR_VALUES.has(name)) return { kind: "dir" };
  if (CHOICES[name]) return { kind: "choice", values: CHOICES[name]! };
  return { kind: "word" };
}

const ARGS: Record<string, CompletionCommand["args"]> = {
  plan: { kind: "files" },
  apply: { kind: "files" },
  type: { kind: "choice", values: ["check"] },
  completion: { kind: "choice", values: ["bash", "zsh", "fish"] },
  ctl: { kind: "choice", values: Object.keys(COMMAND_ALIASES).filter((c) => c.length > 1) },
};

/** The deployster commands with their options (help included); `ctl` with the ctl options. */
export function completionModel(cli: CAC): CompletionCommand[] {
  return cli.commands
    .filter((c) => c.name !== "")
    .map((c) => {
      // ctl parses its own flags (deployctl's rules): complete those, not cac's.
      const cacOptions = c.name === "ctl" ? [] : [...c.options, ...cli.globalCommand.options];
      const options = cacOptions.map((o) => ({
        flags: o.rawName.split(",").map((f) => f.trim().split(/[ <[]/)[0]!),
        description: o.description.replace(/\s*\(default:[^)]*\)/, ""),
        value: valueKind(o.name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`), /[<[]/.test(o.rawName)),
      }));
      if (c.name === "ctl") options.push(...ctlOptions());
      return { name: c.name, description: c.description, options, args: ARGS[c.name] ?? { kind: "none" as const } };
    });
}

/** deployctl's own flags (`deployster ctl ...` and `deployctl ...`). */
export function ctlOptions(): CompletionOption[] {
  return Object.entries(CTL_OPTIONS).map(([name, spec]) => ({
    flags: [`--${name}`],
    description: spec.scope === "global" ? "global option" : `option of ${spec.scope.join(", ")}`,
    value: valueKind(name, spec.takesValue),
  }));
}
