import type { RegExpEngine, RegExpLike } from "ajv/dist/types";
import type { RE2JS } from "re2js";

/**
 * The regular-expression engine for patterns in a resource type's `config_schema`: RE2
 * (the pure-JS `re2js` port), whose matching time is linear in the input, so no pattern a
 * type sends (`^(.+)+#$`) can stall the engine. RE2 has no backreferences or lookaround;
 * such a pattern fails to compile with UnsupportedPatternError.
 *
 * Loaded with `require` on first use (a run whose types send no pattern never pays for it).
 */

export class UnsupportedPatternError extends Error {
  override name = "UnsupportedPatternError";
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`pattern ${JSON.stringify(pattern)} cannot be used: ${reason} (patterns run on RE2, a linear-time engine: no backreferences or lookaround)`);
  }
}

let re2: typeof RE2JS | undefined;

function compileRe2(pattern: string): RE2JS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  re2 ??= (require("re2js") as { RE2JS: typeof RE2JS }).RE2JS;
  try {
    return re2.compile(re2.translateRegExp(pattern));
  } catch (err) {
    throw new UnsupportedPatternError(pattern, (err as Error).message);
  }
}

/** Ajv's `code.regExp`: `pattern`, `patternProperties` and `propertyNames` patterns on RE2. */
export const re2RegExp: RegExpEngine = Object.assign(
  (pattern: string): RegExpLike => {
    const re = compileRe2(pattern);
    // Ajv keys compiled patterns by toString(): it must differ per pattern.
    return { test: (s: string) => re.test(s), toString: () => `re2:${pattern}` } as RegExpLike;
  },
  // Only for Ajv's standalone code generation, which never compiles a type's schema.
  { code: "re2RegExp" },
);
