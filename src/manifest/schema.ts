/**
 * The manifest's JSON Schema (src/manifest/MANIFEST.md), checked with ajv. Precompiled
 * into src/schema/generated/validators.ts: after a change, run `bun scripts/gen-validators.ts`.
 */
export const NAME_PATTERN = "^[a-zA-Z][a-zA-Z0-9_\\-]*$";
export const NAME_RE = new RegExp(NAME_PATTERN);

const stringList = { type: "array", items: { type: "string" } };
// `readonly` / `read_only` may be an expression evaluated at load, hence the string.
const boolOrExpression = { type: ["boolean", "string"] };

/** The Ajv options the manifest schema is compiled with. */
export const MANIFEST_AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const;

export const manifestSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    plugs: {
      type: "object",
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["path"],
        properties: {
          path: { type: "string" },
          read_only: boolOrExpression,
          resource_names: stringList,
          resource_types: stringList,
        },
      },
    },
    resources: {
      type: "object",
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["type"],
        properties: {
          type: { type: "string" },
          readonly: boolOrExpression,
          // alias names are checked after evaluation (aliases may be expressions)
          dependencies: { type: "object", additionalProperties: { type: "string" } },
          config: { type: "object" },
        },
      },
    },
  },
} as const;
