import { Masker, SECRET_PLACEHOLDER } from "./builtin/common/mask";

/**
 * Secret values in a rendered config, as its type's `config_schema` marks them: a
 * (sub)schema with `secret: true` (deployster's annotation) or `writeOnly: true` (JSON
 * Schema's); and, as for the built-in container type, the values of `env` keys listed in a
 * top-level `secret_env`. Followed: `properties`, `additionalProperties`, `items` / `prefixItems`, and
 * the branches of `allOf` / `anyOf` / `oneOf`; `$ref` and `patternProperties` are not (a
 * type's patterns are never run on a backtracking engine). Deeper than MAX_SCHEMA_DEPTH
 * nothing more is marked.
 */

const MAX_SCHEMA_DEPTH = 64;

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The schema and its combinator branches, flattened. */
function branches(schema: unknown, depth: number): Schema[] {
  if (!isObject(schema) || depth > MAX_SCHEMA_DEPTH) return [];
  const out: Schema[] = [schema];
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const list = schema[key];
    if (Array.isArray(list)) for (const s of list) out.push(...branches(s, depth + 1));
  }
  return out;
}

function propertySchemas(schemas: Schema[], key: string): Schema[] {
  const out: Schema[] = [];
  for (const s of schemas) {
    const props = s.properties;
    if (isObject(props) && Object.hasOwn(props, key) && isObject(props[key])) out.push(props[key] as Schema);
    else if (isObject(s.additionalProperties)) out.push(s.additionalProperties);
  }
  return out;
}

function itemSchemas(schemas: Schema[], index: number): Schema[] {
  const out: Schema[] = [];
  for (const s of schemas) {
    const tuple = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : undefined;
    if (tuple) {
      if (isObject(tuple[index])) out.push(tuple[index] as Schema);
      else if (isObject(s.additionalItems)) out.push(s.additionalItems);
      else if (Array.isArray(s.prefixItems) && isObject(s.items)) out.push(s.items);
    } else if (isObject(s.items)) out.push(s.items);
  }
  return out;
}

function collectLeaves(value: unknown, into: string[], depth = 0): void {
  if (depth > MAX_SCHEMA_DEPTH) return;
  if (typeof value === "string") into.push(value);
  else if (typeof value === "number" || typeof value === "boolean") into.push(String(value));
  else if (Array.isArray(value)) for (const v of value) collectLeaves(v, into, depth + 1);
  else if (isObject(value)) for (const v of Object.values(value)) collectLeaves(v, into, depth + 1);
}

function walk(value: unknown, schemas: Schema[], secrets: string[], depth: number): unknown {
  const all = schemas.flatMap((s) => branches(s, depth));
  if (all.some((s) => s.secret === true || s.writeOnly === true)) {
    collectLeaves(value, secrets);
    return SECRET_PLACEHOLDER;
  }
  if (depth > MAX_SCHEMA_DEPTH || all.length === 0) return value;
  if (Array.isArray(value)) return value.map((v, i) => walk(v, itemSchemas(all, i), secrets, depth + 1));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, propertySchemas(all, k), secrets, depth + 1);
    return out;
  }
  return value;
}

export interface MaskedConfig {
  /** The config with every secret value replaced by `***`. */
  config: Record<string, unknown>;
  /** Hides the secret values in free text (output lines, records). */
  masker: Masker;
  /** How many secret values were found (0: nothing to hide). */
  secretCount: number;
}

/** The config as records show it, and a masker of its secret values. The input is not changed. */
export function maskSecretConfig(config: Record<string, unknown>, schema: Record<string, unknown> | undefined): MaskedConfig {
  const secrets: string[] = [];
  const walked = schema ? walk(config, [schema], secrets, 0) : config;
  const masked = walked === config ? { ...config } : isObject(walked) ? walked : {};
  const env = masked.env;
  if (Array.isArray(config.secret_env) && isObject(env)) {
    const hidden: Record<string, unknown> = { ...env };
    for (const key of config.secret_env) {
      if (typeof key !== "string" || !Object.hasOwn(env, key) || env[key] === SECRET_PLACEHOLDER) continue;
      collectLeaves(env[key], secrets);
      hidden[key] = SECRET_PLACEHOLDER;
    }
    masked.env = hidden;
  }
  return { config: masked, masker: new Masker(secrets), secretCount: secrets.length };
}
