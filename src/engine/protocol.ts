import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2019 from "ajv/dist/2019";
import Ajv2020 from "ajv/dist/2020";
import AjvDraft04 from "ajv-draft-04";
import { ProtocolError, UserError } from "../errors";
import { formatPath, pointerSegments } from "../manifest/problems";
import type { ActionSpec, InitResult, StateResult } from "../resource-types/types";

/**
 * Validation of what resource types answer (resource-protocol.md section 5) and of a
 * resource's rendered config against its type's `config_schema`.
 */

const strings = { type: "array", items: { type: "string" } };
const stateActionSchema = {
  type: "object",
  additionalProperties: false,
  properties: { image: { type: "string" }, entrypoint: { type: "string" }, args: strings },
};
const initSchema = {
  type: "object",
  additionalProperties: false,
  required: ["state_action"],
  properties: {
    state_action: stateActionSchema,
    config_schema: { type: "object" },
    plugs: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["container_path"],
        properties: { container_path: { type: "string", minLength: 1 }, optional: { type: "boolean" }, writable: { type: "boolean" } },
      },
    },
  },
};
const actionSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string", minLength: 1 },
    description: { type: "string" },
    image: { type: "string" },
    entrypoint: { type: "string" },
    args: strings,
  },
};
const validSchema = {
  type: "object",
  additionalProperties: false,
  required: ["status", "state"],
  properties: { status: { const: "VALID" }, state: { type: "object" } },
};
const staleSchema = {
  type: "object",
  additionalProperties: false,
  required: ["status", "actions"],
  properties: { status: { const: "STALE" }, staleState: { type: "object" }, actions: { type: "array", minItems: 1, items: actionSchema } },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validateInit = ajv.compile(initSchema);
const validateValid = ajv.compile(validSchema);
const validateStale = ajv.compile(staleSchema);

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
const drafts = {
  draft04: new AjvDraft04({ allErrors: true, strict: false, validateFormats: false, logger: false }),
  draft07: new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false }),
  draft2019: new Ajv2019({ allErrors: true, strict: false, validateFormats: false, logger: false }),
  draft2020: new Ajv2020({ allErrors: true, strict: false, validateFormats: false, logger: false }),
};

/** Old images were written against Draft 4; a schema naming a later draft gets that one. */
function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = configValidators.get(key);
  if (v) return v;
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  const engine = /2020-12/.test(declared)
    ? drafts.draft2020
    : /2019-09/.test(declared)
      ? drafts.draft2019
      : /draft-0[67]/.test(declared)
        ? drafts.draft07
        : drafts.draft04;
  v = engine.compile(schema);
  configValidators.set(key, v);
  return v;
}

/** Conformance 9: `illegal config for 'a.config.list[1].n': must be integer`. */
export function validateConfig(resource: string, config: unknown, schema: Record<string, unknown> | undefined): void {
  if (!isObject(config)) throw new UserError(`illegal config for '${resource}.config': must be a mapping`);
  if (!schema) return;
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (err) {
    throw new ProtocolError(resource, "init", `protocol error: '${resource}' config_schema is not a valid JSON Schema: ${(err as Error).message}`);
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
