/**
 * Reading untrusted JSON (answers of another process, request bodies): narrowing from
 * `unknown`, never a cast. A leaf, like v1.ts.
 */

export type JsonFields = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonFields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The fields of a JSON object; undefined for anything else. */
export function fieldsOf(v: unknown): JsonFields | undefined {
  return isJsonObject(v) ? v : undefined;
}
