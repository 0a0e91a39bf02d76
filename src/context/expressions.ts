import { readFileSync, realpathSync, statSync } from "node:fs";
import { resolve, sep } from "node:path";
import nunjucks from "nunjucks";
import { UserError } from "../errors";

/**
 * Jinja-compatible evaluation of manifest strings (src/manifest/MANIFEST.md), on nunjucks.
 *
 * - `'{{ x }}'` (starts with `{{`, ends with `}}`, exactly one `{{`): an *expression*, whose
 *   native value is returned (number, bool, list, object, null, string).
 * - any other string containing `{{` or `{%`: a *template*, rendered to a string.
 * - anything else: returned unchanged. Only string values are evaluated, never keys.
 *
 * Undefined variables are errors in both modes (a typo must not render as an empty
 * string into a resource's config). nunjucks only offers
 * `throwOnUndefined` on output, so top-level names are looked up through a globals proxy
 * that throws for names the context lacks; names guarded by `is defined` / `| default` in
 * the same string are let through as undefined, as Jinja's StrictUndefined allows.
 */
export type EvaluationMode = "expression" | "template" | "plain";

export function classifyString(s: string): EvaluationMode {
  if (s.startsWith("{{") && s.endsWith("}}") && s.indexOf("{{") === s.lastIndexOf("{{")) return "expression";
  if (s.includes("{{") || s.includes("{%")) return "template";
  return "plain";
}

/** An evaluation failure; `path` is where in the evaluated value it happened (`config.list[1].n`). */
export class ExpressionError extends UserError {
  override name = "ExpressionError";
  constructor(
    readonly detail: string,
    readonly source: string,
    readonly path: string,
  ) {
    super(`${path ? `${path}: ` : ""}${detail} (in '${source}')`);
  }
}

/**
 * Thrown when an expression touches the state of a dependency that is not known yet
 * (the resource is then *pending on* that dependency: planned after it, never guessed).
 */
export class PendingDependencyError extends UserError {
  override name = "PendingDependencyError";
  constructor(readonly dependency: string, readonly path: string) {
    super(`${path ? `${path}: ` : ""}needs the state of '${dependency}', which is not known yet`);
  }
}

/** What a render noticed before nunjucks wrapped the error it threw. */
interface RenderNotes {
  undefinedName?: string;
  pendingOn?: string;
  captured?: unknown;
  allowUndefined: Set<string>;
}

let notes: RenderNotes | undefined;

const CAPTURE = "__deployster_capture__";
const CAPTURE_PREFIX = `{{ ${CAPTURE}((`;
const CAPTURE_SUFFIX = ")) }}";
const EXTRA_GLOBALS: Record<string, unknown> = { True: true, False: false, None: null };

/**
 * A value standing for a dependency whose state is unknown: `name` and `type` read normally,
 * anything else (its `state`) marks the render as pending on it.
 */
export function createPendingDependency(info: { name: string; type: string }): Record<string, unknown> {
  return new Proxy(info as Record<string, unknown>, {
    get(target, key) {
      if (key === "name" || key === "type") return target[key];
      if (typeof key === "symbol" || key === "toJSON" || key === "then") return undefined;
      if (notes) notes.pendingOn = info.name;
      throw new PendingDependencyError(info.name, "");
    },
  });
}

export interface EvaluatorOptions {
  /** `{% include %}` resolves against this directory (the workspace). */
  workspace: string;
}

export interface Evaluator {
  /** Evaluates every string value in `value` (recursively); `path` prefixes error paths. */
  evaluate(value: unknown, vars: Record<string, unknown>, path?: string): unknown;
  evaluateString(source: string, vars: Record<string, unknown>, path?: string): unknown;
}

/**
 * Resolves `{% include %}` (and import/extends) names inside the workspace by real path: a
 * name that leads outside it, through `..`, an absolute path or a symlink, is refused with
 * an error, and so is anything but a regular file. Nothing is cached (a file may change
 * between renders, and a checked path must be the path read).
 */
export function createWorkspaceLoader(workspace: string): nunjucks.FileSystemLoader {
  const loader = new nunjucks.FileSystemLoader(workspace, { noCache: true });
  let root: string | undefined;
  loader.getSource = (name: string) => {
    root ??= realpathSync(workspace);
    let real: string;
    try {
      real = realpathSync(resolve(workspace, name));
    } catch {
      return null as unknown as nunjucks.LoaderSource; // nunjucks: "template not found"
    }
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
      throw new Error(`include '${name}' resolves to ${real}, outside the workspace ${root}; includes must stay inside the workspace`);
    }
    if (!statSync(real).isFile()) throw new Error(`include '${name}' is not a regular file`);
    return { src: readFileSync(real, "utf8"), path: real, noCache: true };
  };
  return loader;
}

export function createEvaluator(options: EvaluatorOptions): Evaluator {
  const env = new nunjucks.Environment(createWorkspaceLoader(options.workspace), {
    autoescape: false,
    throwOnUndefined: true,
  });
  env.addFilter("tojson", (v: unknown) => new nunjucks.runtime.SafeString(JSON.stringify(v)));
  installStrictGlobals(env);
  installStrictMemberLookup();

  const evaluateString = (source: string, vars: Record<string, unknown>, path = ""): unknown => {
    const mode = classifyString(source);
    if (mode === "plain") return source;
    const previous = notes;
    notes = { allowUndefined: guardedNames(source) };
    try {
      if (mode === "template") return env.renderString(source, vars);
      notes.captured = undefined;
      env.renderString(`${CAPTURE_PREFIX}${source.slice(2, -2)}${CAPTURE_SUFFIX}`, vars);
      const value = toNative(notes.captured);
      if (value === undefined) throw new ExpressionError("expression yielded an undefined value (is every variable and attribute defined?)", source, path);
      return value;
    } catch (err) {
      if (err instanceof ExpressionError) throw err;
      if (notes.pendingOn) throw new PendingDependencyError(notes.pendingOn, path);
      if (notes.undefinedName) throw new ExpressionError(notes.undefinedName, source, path);
      const shift = mode === "expression" ? CAPTURE_PREFIX.length - 2 : 0;
      throw new ExpressionError(describeNunjucksError(err, shift), source, path);
    } finally {
      notes = previous;
    }
  };

  const evaluate = (value: unknown, vars: Record<string, unknown>, path = ""): unknown => {
    if (typeof value === "string") return evaluateString(value, vars, path);
    if (Array.isArray(value)) return value.map((v, i) => evaluate(v, vars, `${path}[${i}]`));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = evaluate(v, vars, path ? `${path}.${k}` : k);
      return out;
    }
    return value;
  };

  return { evaluate, evaluateString };
}

/** Replaces the environment's globals by a proxy that reports unknown top-level names. */
function installStrictGlobals(env: nunjucks.Environment): void {
  const real = (env as unknown as { globals: Record<string, unknown> }).globals;
  Object.assign(real, EXTRA_GLOBALS);
  (env as unknown as { globals: Record<string, unknown> }).globals = new Proxy(real, {
    // nunjucks asks `name in globals` only after the context lacked the name.
    has: (target, key) => typeof key === "string" || key in target,
    get(target, key) {
      if (typeof key === "symbol" || key in target) return target[key as string];
      if (key === CAPTURE) {
        return (v: unknown) => {
          if (notes) notes.captured = v;
          return "";
        };
      }
      if (notes?.allowUndefined.has(key)) return undefined;
      if (notes) notes.undefinedName = `undefined variable '${key}'`;
      throw new Error(`undefined variable '${key}'`);
    },
  });
}

let memberLookupPatched = false;

/**
 * Makes attribute lookups that yield undefined errors (Jinja's StrictUndefined), but only
 * while one of our renders runs (`notes` set), so other users of nunjucks are unaffected.
 * Compiled templates call `runtime.memberLookup` through the shared runtime module.
 */
function installStrictMemberLookup(): void {
  if (memberLookupPatched) return;
  memberLookupPatched = true;
  // Python-style dict methods (`x.items()`), slices and True/False/None, as Jinja has them.
  nunjucks.installJinjaCompat();
  const runtime = nunjucks.runtime as unknown as { memberLookup: (obj: unknown, key: unknown, ...rest: unknown[]) => unknown };
  const original = runtime.memberLookup;
  runtime.memberLookup = function (this: unknown, obj, key, ...rest) {
    const value = original.call(this, obj, key, ...rest);
    if (rest.length > 1) return value; // a slice

    if (value === undefined && notes && !(typeof key === "string" && notes.allowUndefined.has(key))) {
      notes.undefinedName = obj === undefined || obj === null ? `cannot read attribute '${String(key)}' of an undefined value` : `undefined attribute '${String(key)}'`;
      throw new Error(notes.undefinedName);
    }
    return value;
  };
}

/** Names the string itself guards: `x is defined`, `x is not defined`, `x is undefined`, `x | default`. */
function guardedNames(source: string): Set<string> {
  const names = new Set<string>();
  const re = /\b([A-Za-z_]\w*)\s*(?:is\s+(?:not\s+)?(?:defined|undefined)\b|\|\s*(?:default|d)\b)/g;
  for (const m of source.matchAll(re)) names.add(m[1]);
  return names;
}

function toNative(v: unknown): unknown {
  if (v instanceof nunjucks.runtime.SafeString || v instanceof String) return v.toString();
  return v;
}

/** nunjucks messages look like "(unknown path) [Line 1, Column 3]\n  Error: ..."; keep one line. */
export function describeNunjucksError(err: unknown, columnShift = 0): string {
  const raw = err instanceof Error ? err.message : String(err);
  const pos = /\[Line (\d+), Column (\d+)\]/.exec(raw);
  const body = raw
    .replace(/^\(unknown path\)\s*/, "")
    .replace(/\[Line \d+, Column \d+\]\s*/, "")
    .replace(/^\s*(Template render error:\s*)?/, "")
    .replace(/^(Error|TypeError|Template render error):\s*/, "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join(" ");
  if (!pos) return body;
  const column = pos[1] === "1" ? Math.max(1, Number(pos[2]) - columnShift) : Number(pos[2]);
  return `${body} (line ${pos[1]}, column ${column})`;
}
