import type Ajv from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import { ProtocolError, UserError } from "../errors";
import { formatPath, pointerSegments } from "../manifest/problems";
import type { ActionSpec, InitResult, StateResult } from "./resource-type";
import { createAjv, dialectOf, RUNTIME_CONFIG_AJV_OPTIONS, type Dialect } from "../schema/ajv-setup";
import { fixedValidator } from "../schema/fixed-validators";
import { UnsupportedPatternError } from "../schema/regexp";
import { builtinConfigValidators } from "../schema/generated/validators";

/**
 * Validation of what resource types answer (resource-protocol.md section 5) and of a
 * resource's rendered config against its type's `config_schema`. Our own schemas are
 * precompiled (src/schema/generated/validators.ts); an image's config_schema is compiled by
 * Ajv at run time, with an instance of its dialect built on first need.
 */

const validateInit = fixedValidator("initResult");
const validateValid = fixedValidator("validResult");
const validateStale = fixedValidator("staleResult");

function describe(errors: ErrorObject[] | null | undefined, root: unknown): string {
  return (errors ?? [])
    .map((e) => {
      const path = formatPath(pointerSegments(e.instancePath, root));
      const where = path ? `'${path}' ` : "";
      if (e.keyword === "additionalProperties") return `${where}has unknown key '${(e.params as { additionalProperty: string }).additionalProperty}'`;
      return `${where}${e.message ?? e.keyword}`.trim();
    })
    .join("; ");
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function validateInitResult(resource: string, value: unknown): InitResult {
  if (!validateInit(value)) {
    throw new ProtocolError(resource, "init", `protocol error: '${resource}' init result failed validation: ${describe(validateInit.errors, value)}`);
  }
  const result = value as unknown as InitResult;
  const sa = result.state_action;
  if (!sa.image && !sa.entrypoint && !(sa.args && sa.args.length > 0)) {
    throw new ProtocolError(
      resource,
      "init",
      `protocol error: '${resource}' init result has an empty state_action (it needs at least one of image, entrypoint, args; an empty one would just run init again)`,
    );
  }
  return result;
}

export function validateStateResult(resource: string, value: unknown): StateResult {
  const fail = (msg: string) => new ProtocolError(resource, "state", `protocol error: '${resource}' state result failed validation: ${msg}`);
  if (!isObject(value)) throw fail("must be a JSON object");
  if (value.status === "VALID") {
    if ("actions" in value) throw fail("a VALID result must not list actions");
    if ("staleState" in value) throw fail("a VALID result must not have a staleState");
    if (!validateValid(value)) throw fail(describe(validateValid.errors, value));
  } else if (value.status === "STALE") {
    if (!Array.isArray(value.actions) || value.actions.length === 0) throw fail("a STALE result must list at least one action");
    if (!validateStale(value)) throw fail(describe(validateStale.errors, value));
  } else {
    throw fail(`'status' must be "VALID" or "STALE" (got ${JSON.stringify(value.status ?? null)})`);
  }
  return value as unknown as StateResult;
}

/** An action with the spec's defaults applied: description = name, image = the resource type, args = []. */
export function withActionDefaults(action: ActionSpec, type: string): Required<Pick<ActionSpec, "name" | "description" | "image" | "args">> & ActionSpec {
  return { ...action, description: action.description ?? action.name, image: action.image || type, args: action.args ?? [] };
}

const configValidators = new Map<string, ValidateFunction>();
/** By schema object: built-in types answer the same object every time. */
const configValidatorsBySchema = new WeakMap<object, ValidateFunction>();
const precompiledConfig = new Map<string, () => unknown>(builtinConfigValidators as [string, () => unknown][]);
const drafts: Partial<Record<Dialect, Ajv>> = {};

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let v = configValidatorsBySchema.get(schema);
  if (v) return v;
  const key = JSON.stringify(schema);
  v = configValidators.get(key);
  if (!v) {
    const precompiled = precompiledConfig.get(key);
    if (precompiled) v = precompiled() as ValidateFunction;
    else {
      const dialect = dialectOf(schema);
      const ajv = drafts[dialect] ?? createAjv(dialect, RUNTIME_CONFIG_AJV_OPTIONS);
      drafts[dialect] = ajv;
      v = ajv.compile(schema);
    }
    configValidators.set(key, v);
  }
  configValidatorsBySchema.set(schema, v);
  return v;
}

/**
 * Conformance 9: `illegal config for 'a.config.list[1].n': must be integer`. A schema that
 * cannot be compiled (not JSON Schema, or a pattern RE2 cannot run) is a protocol error of
 * the type (`type` names it in the message).
 */
export function validateConfig(resource: string, config: unknown, schema: Record<string, unknown> | undefined, type?: string): void {
  if (!isObject(config)) throw new UserError(`illegal config for '${resource}.config': must be a mapping`);
  if (!schema) return;
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (err) {
    const whose = type ? `the config_schema of type '${type}' (resource '${resource}')` : `'${resource}' config_schema`;
    const why = err instanceof UnsupportedPatternError ? `: ${err.message}` : ` is not a valid JSON Schema: ${(err as Error).message}`;
    throw new ProtocolError(resource, "init", `protocol error: ${whose}${why}`);
  }
  if (validate(config)) return;
  const problems = (validate.errors ?? []).map((e) => {
    const path = formatPath(pointerSegments(e.instancePath, config));
    const at = `${resource}.config${path ? (path.startsWith("[") ? path : `.${path}`) : ""}`;
    const extra = e.keyword === "additionalProperties" ? ` ('${(e.params as { additionalProperty: string }).additionalProperty}')` : "";
    return `illegal config for '${at}': ${e.message ?? e.keyword}${extra}`;
  });
  throw new UserError([...new Set(problems)].join("; "));
}
