/**
 * JSON Schemas of what resource types answer (src/resource-types/PROTOCOL.md). Precompiled
 * into src/schema/generated/validators.ts by scripts/gen-validators.ts; edit here, then run
 * `bun scripts/gen-validators.ts`.
 */

const strings = { type: "array", items: { type: "string" } };
const stateActionSchema = {
  type: "object",
  additionalProperties: false,
  properties: { image: { type: "string" }, entrypoint: { type: "string" }, args: strings },
};
export const initSchema = {
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
export const validSchema = {
  type: "object",
  additionalProperties: false,
  required: ["status", "state"],
  properties: { status: { const: "VALID" }, state: { type: "object" } },
};
export const staleSchema = {
  type: "object",
  additionalProperties: false,
  required: ["status", "actions"],
  properties: { status: { const: "STALE" }, staleState: { type: "object" }, actions: { type: "array", minItems: 1, items: actionSchema } },
};
