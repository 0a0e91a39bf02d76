import { BARE_SECONDS, parseDurationParts } from "../../../duration";

/**
 * Durations in configs: a number of seconds, or a string of one or more `<n><unit>` parts
 * (`ms`, `s`, `m`, `h`), e.g. `500ms`, `2s`, `1m30s`; a bare numeric string is seconds.
 * Returns milliseconds; throws on anything else (the schema's pattern rejects it first).
 */
export function parseDurationMs(value: number | string): number {
  if (typeof value === "number") return Math.round(value * 1000);
  const s = value.trim();
  if (BARE_SECONDS.test(s)) return Math.round(Number(s) * 1000);
  if (!s) throw new Error("invalid duration: empty");
  const total = parseDurationParts(s);
  if (total === undefined) throw new Error(`invalid duration: ${JSON.stringify(value)} (use e.g. 500ms, 2s, 1m30s)`);
  return Math.round(total);
}

/** JSON Schema fragment accepted wherever a duration is configured. */
export const DURATION_SCHEMA = {
  type: ["number", "string"],
  minimum: 0,
  pattern: "^(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ms|s|m|h))+)$",
} as const;

/** A container's or a service's healthcheck, compose-style (durations as "1s", "500ms"). */
export const HEALTHCHECK_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    test: { type: ["string", "array"], items: { type: "string" } },
    interval: DURATION_SCHEMA,
    timeout: DURATION_SCHEMA,
    retries: { type: "integer", minimum: 0 },
    start_period: DURATION_SCHEMA,
    disable: { type: "boolean" },
  },
} as const;
