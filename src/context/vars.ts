import { UserError } from "../errors";

/** One command-line variable source, in the order it was given. */
export type VarSource = { kind: "var"; name: string; value: string } | { kind: "file"; path: string };

/**
 * Parses `--var NAME=VALUE`: splits on the first `=`, strips one pair of surrounding double
 * quotes; the value is a string (`--var a=` gives `a: ""`).
 */
export function parseVarAssignment(arg: string): { name: string; value: string } {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new UserError(`invalid --var '${arg}': expected NAME=VALUE`);
  const name = arg.slice(0, eq);
  let value = arg.slice(eq + 1);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return { name, value };
}

/**
 * The `--var` / `--var-file` sources in command-line order. cac hands them over as two
 * separate lists, so the order is recovered from the raw arguments; when those do not
 * account for every value (e.g. a programmatic call), vars come first, then files.
 */
export function orderVarSources(vars: string[], varFiles: string[], rawArgs?: string[]): VarSource[] {
  const fallback: VarSource[] = [
    ...vars.map((v) => ({ kind: "var" as const, ...parseVarAssignment(v) })),
    ...varFiles.map((path) => ({ kind: "file" as const, path })),
  ];
  if (!rawArgs) return fallback;
  const ordered: VarSource[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === "--") break;
    const m = /^--(var|var-file)(?:=(.*))?$/s.exec(arg);
    if (!m) continue;
    const value = m[2] ?? rawArgs[++i];
    if (value === undefined) continue;
    ordered.push(m[1] === "var" ? { kind: "var", ...parseVarAssignment(value) } : { kind: "file", path: value });
  }
  const count = (k: VarSource["kind"], list: VarSource[]) => list.filter((s) => s.kind === k).length;
  if (count("var", ordered) !== vars.length || count("file", ordered) !== varFiles.length) return fallback;
  return ordered;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep merge: objects merge recursively, everything else (lists included) replaces. */
export function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(source)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}
