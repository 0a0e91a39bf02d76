/** JSON-schema pieces and normalisers shared by the built-in types' config schemas. */

/** Scalars allowed as label/option/env values; normalised to strings. */
export const SCALAR_SCHEMA = { type: ["string", "number", "boolean"] } as const;

export const STRING_MAP_SCHEMA = { type: "object", additionalProperties: SCALAR_SCHEMA } as const;

/** A string map with sorted keys and string values (key order never causes a diff). */
export function normalizeStringMap(map: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!map || typeof map !== "object") return out;
  const entries = map as Record<string, unknown>;
  for (const k of Object.keys(entries).sort()) {
    const v = entries[k];
    if (v === undefined || v === null) continue;
    out[k] = String(v);
  }
  return out;
}

/** Names Docker accepts for containers, networks and volumes. */
export const DOCKER_NAME_SCHEMA = { type: "string", pattern: "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$" } as const;

/** A container's or service's networks: a list of names, or a map name → {aliases} (null: none). */
export function networksSchema(description: string) {
  return {
    type: ["array", "object"],
    items: { type: "string", minLength: 1 },
    additionalProperties: {
      type: ["null", "object"],
      additionalProperties: false,
      properties: { aliases: { type: "array", items: { type: "string", minLength: 1 } } },
    },
    description,
  } as const;
}
