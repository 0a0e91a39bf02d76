import type { ValidateFunction } from "ajv";
import { fixedValidators } from "./generated/validators";

/**
 * A validator of one of our fixed schemas, precompiled by scripts/gen-validators.ts, so no
 * Ajv instance is built for it. Its module body is evaluated on the first call; `errors`
 * is set after every call as Ajv's own validators do.
 */
export function fixedValidator(name: keyof typeof fixedValidators): ValidateFunction {
  let fn: ValidateFunction | undefined;
  const validate = ((data: unknown) => {
    fn ??= fixedValidators[name]() as ValidateFunction;
    const ok = fn(data);
    validate.errors = fn.errors;
    return ok;
  }) as ValidateFunction;
  return validate;
}
