import { UserError, ValidationError } from "../errors";
import { expandPath } from "../paths";
import { buildGraph, findCycle } from "./graph";
import { fixedValidator } from "../schema/fixed-validators";
import { describeSchemaErrors, describeValue } from "./problems";
import { NAME_RE } from "./schema";
import { displayPath, readYamlFile, type YamlFile } from "./yaml";

export interface PlugSpec {
  name: string;
  /** Absolute host path (`~` expanded, relative to the workspace). */
  path: string;
  readOnly: boolean;
  resourceNames: string[];
  resourceTypes: string[];
  /** `file:line:col` where it was declared. */
  source: string;
}

export interface ResourceSpec {
  name: string;
  type: string;
  readonly: boolean;
  /** alias → target resource name. */
  dependencies: Record<string, string>;
  /** Raw, unevaluated: rendered just before the resource's first state query. */
  config: Record<string, unknown>;
  source: string;
}

export interface Manifest {
  files: string[];
  plugs: Record<string, PlugSpec>;
  resources: Record<string, ResourceSpec>;
}

/**
 * What loading needs of the run's context (the context module's Context is one): the
 * variables, how expressions are evaluated, and where relative and `~` paths lead.
 */
export interface ManifestContext {
  vars: Record<string, unknown>;
  workspace: string;
  home: string;
  evaluator: { evaluate(value: unknown, vars: Record<string, unknown>, path?: string): unknown };
}

interface RawEntry {
  name: string;
  value: Record<string, unknown>;
  source: string;
}

/** manifestSchema (./schema.ts), precompiled by scripts/gen-validators.ts. */
const validateSchema = fixedValidator("manifest");

/**
 * Loads, validates and merges manifest files, then evaluates what is evaluated at load
 * (plug specs, `type`, `readonly`, dependency aliases and targets) against the full context.
 * Every problem is collected and reported once; the result has no unknown dependency and
 * no cycle.
 */
export interface LoadManifestsOptions {
  /** Messages name files relative to this directory (the user's cwd). */
  displayBase?: string;
}

export async function loadManifests(files: string[], context: ManifestContext, options: LoadManifestsOptions = {}): Promise<Manifest> {
  const parsed: YamlFile[] = [];
  for (const file of files) parsed.push(await readYamlFile(file, "manifest", options.displayBase ? displayPath(file, options.displayBase) : file));

  const problems: string[] = [];
  const plugs = new Map<string, RawEntry>();
  const resources = new Map<string, RawEntry>();
  for (const doc of parsed) {
    const value = doc.value ?? {};
    if (!validateSchema(value)) {
      problems.push(...describeSchemaErrors(validateSchema.errors ?? [], value, doc.locate));
      continue;
    }
    const body = value as { plugs?: Record<string, Record<string, unknown>>; resources?: Record<string, Record<string, unknown>> };
    mergeInto(plugs, body.plugs, "plug", ["plugs"], doc, problems);
    mergeInto(resources, body.resources, "resource", ["resources"], doc, problems);
  }
  if (problems.length > 0) throw manifestError(problems);

  const manifest: Manifest = { files, plugs: {}, resources: {} };
  for (const raw of plugs.values()) {
    const plug = normalizePlug(raw, context, problems);
    if (plug) manifest.plugs[plug.name] = plug;
  }
  for (const raw of resources.values()) {
    const resource = normalizeResource(raw, context, problems);
    if (resource) manifest.resources[resource.name] = resource;
  }
  for (const r of Object.values(manifest.resources)) {
    for (const target of Object.values(r.dependencies)) {
      if (!resources.has(target)) problems.push(`${r.source}: resource '${r.name}' depends on an unknown resource: ${target}`);
    }
  }
  if (problems.length > 0) throw manifestError(problems);

  const cycle = findCycle(buildGraph(manifest.resources));
  if (cycle) throw new UserError(`dependency cycle: ${cycle.join(" -> ")}`);
  return manifest;
}

function manifestError(problems: string[]): ValidationError {
  return new ValidationError(problems, problems.length === 1 ? "invalid manifest:" : `invalid manifest (${problems.length} problems):`);
}

function mergeInto(
  target: Map<string, RawEntry>,
  entries: Record<string, Record<string, unknown>> | undefined,
  kind: "plug" | "resource",
  path: string[],
  doc: YamlFile,
  problems: string[],
): void {
  for (const [name, value] of Object.entries(entries ?? {})) {
    const source = doc.locate(path, name);
    const previous = target.get(name);
    if (previous) {
      problems.push(`Duplicate ${kind} found: '${name}' (${previous.source} and ${source})`);
      continue;
    }
    target.set(name, { name, value, source });
  }
}

function evaluateAt(context: ManifestContext, value: unknown, path: string, source: string, problems: string[]): unknown {
  try {
    return context.evaluator.evaluate(value, context.vars, path);
  } catch (err) {
    problems.push(`${source}: ${(err as Error).message}`);
    return undefined;
  }
}

function normalizePlug(raw: RawEntry, context: ManifestContext, problems: string[]): PlugSpec | undefined {
  const before = problems.length;
  const spec = evaluateAt(context, raw.value, `plugs.${raw.name}`, raw.source, problems) as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  const path = spec.path;
  const readOnly = spec.read_only ?? false;
  const where = `${raw.source}: plugs.${raw.name}`;
  if (typeof path !== "string" || path === "") problems.push(`${where}.path: must be a non-empty string (got ${describeValue(path)})`);
  if (typeof readOnly !== "boolean") problems.push(`${where}.read_only: must be a boolean (got ${describeValue(readOnly)})`);
  const patterns = (key: "resource_names" | "resource_types") => {
    const list = (spec[key] as unknown[] | undefined) ?? [];
    for (const [i, p] of list.entries()) {
      if (typeof p !== "string") {
        problems.push(`${where}.${key}[${i}]: must be a string (got ${describeValue(p)})`);
        continue;
      }
      try {
        new RegExp(p);
      } catch (err) {
        problems.push(`${where}.${key}[${i}]: invalid regular expression '${p}': ${(err as Error).message}`);
      }
    }
    return list as string[];
  };
  const resourceNames = patterns("resource_names");
  const resourceTypes = patterns("resource_types");
  if (problems.length > before) return undefined;
  return {
    name: raw.name,
    path: expandPath(path as string, context.workspace, context.home),
    readOnly: readOnly as boolean,
    resourceNames,
    resourceTypes,
    source: raw.source,
  };
}

function normalizeResource(raw: RawEntry, context: ManifestContext, problems: string[]): ResourceSpec | undefined {
  const before = problems.length;
  const where = `${raw.source}: resources.${raw.name}`;
  const base = `resources.${raw.name}`;
  const type = evaluateAt(context, raw.value.type, `${base}.type`, raw.source, problems);
  const readonly = evaluateAt(context, raw.value.readonly ?? false, `${base}.readonly`, raw.source, problems);
  if (problems.length === before) {
    if (typeof type !== "string" || type.trim() === "") problems.push(`${where}.type: must be a non-empty string (got ${describeValue(type)})`);
    if (typeof readonly !== "boolean") problems.push(`${where}.readonly: must be a boolean (got ${describeValue(readonly)})`);
  }
  const dependencies: Record<string, string> = {};
  for (const [rawAlias, rawTarget] of Object.entries((raw.value.dependencies as Record<string, string> | undefined) ?? {})) {
    const alias = evaluateAt(context, rawAlias, `${base}.dependencies`, raw.source, problems);
    const target = evaluateAt(context, rawTarget, `${base}.dependencies.${rawAlias}`, raw.source, problems);
    if (alias === undefined || target === undefined) continue;
    if (typeof alias !== "string" || !NAME_RE.test(alias)) {
      problems.push(`${where}.dependencies: invalid alias '${String(alias)}' (must start with a letter and contain only letters, digits, '_' and '-')`);
    } else if (typeof target !== "string" || !NAME_RE.test(target)) {
      problems.push(`${where}.dependencies.${alias}: invalid resource name ${describeValue(target)}`);
    } else if (alias in dependencies) {
      problems.push(`${where}.dependencies: alias '${alias}' given twice`);
    } else {
      dependencies[alias] = target;
    }
  }
  if (problems.length > before) return undefined;
  return {
    name: raw.name,
    type: (type as string).trim(),
    readonly: readonly as boolean,
    dependencies,
    config: (raw.value.config as Record<string, unknown> | undefined) ?? {},
    source: raw.source,
  };
}
