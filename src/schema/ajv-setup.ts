import type Ajv from "ajv";
import type { Options } from "ajv";
import { re2RegExp } from "./regexp";

/**
 * How deployster sets up Ajv, shared by the engine at run time and by
 * scripts/gen-validators.ts, which precompiles our fixed schemas (manifest, protocol
 * results, built-in config schemas) with these very options into src/schema/generated/.
 *
 * Ajv is loaded with `require` on first use: building an instance compiles its meta-schema
 * (tens of ms in a fresh process), which a run whose schemas are all precompiled never needs.
 */

export type Dialect = "draft04" | "draft07" | "draft2019" | "draft2020";

/** For a resource type's `config_schema` (format validation off, as images expect). */
export const CONFIG_AJV_OPTIONS: Options = { allErrors: true, strict: false, validateFormats: false, logger: false };
/**
 * For compiling a `config_schema` at run time (a type's schema is untrusted input): its
 * patterns run on RE2, which cannot backtrack (src/schema/regexp.ts). Our own schemas are
 * precompiled with CONFIG_AJV_OPTIONS and native RegExps.
 */
export const RUNTIME_CONFIG_AJV_OPTIONS: Options = { ...CONFIG_AJV_OPTIONS, code: { regExp: re2RegExp } };
/** For the init/state results resource types answer. */
export const PROTOCOL_AJV_OPTIONS: Options = { allErrors: true, strict: false };

/** Old images were written against Draft 4; a schema naming a later draft gets that one. */
export function dialectOf(schema: Record<string, unknown>): Dialect {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  if (/2020-12/.test(declared)) return "draft2020";
  if (/2019-09/.test(declared)) return "draft2019";
  if (/draft-0[67]/.test(declared)) return "draft07";
  return "draft04";
}

/** A new Ajv instance of `dialect` (Ajv's classes are required here, on first use). */
export function createAjv(dialect: Dialect, options: Options): Ajv {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const AjvClass: new (o: Options) => Ajv =
    dialect === "draft04"
      ? require("ajv-draft-04").default
      : dialect === "draft2019"
        ? require("ajv/dist/2019").default
        : dialect === "draft2020"
          ? require("ajv/dist/2020").default
          : require("ajv").default;
  return new AjvClass(options);
}
