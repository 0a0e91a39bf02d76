/**
 * The one parser of `<number><unit>` duration text ("500ms", "1m30s", "1.5h"), shared by
 * the CLI flags, the server's Go-style flags, ctl and the built-in types. Callers keep
 * their own rules on top (bare numbers as seconds, zero, error wording, rounding).
 */
const SHORT_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ...SHORT_UNITS };
const SHORT_WHOLE = /^(\d+(\.\d+)?(ms|s|m|h))+$/;
const GO_WHOLE = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/**
 * Milliseconds (not rounded) when all of `text` is unit parts, else undefined. `units`:
 * "short" accepts ms, s, m, h; "go" also Go's ns, us and µs.
 */
export function parseDurationParts(text: string, units: "short" | "go" = "short"): number | undefined {
  if (!(units === "go" ? GO_WHOLE : SHORT_WHOLE).test(text)) return undefined;
  const table = units === "go" ? GO_UNITS : SHORT_UNITS;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * table[m[2]!]!;
  return total;
}

/** A plain non-negative number ("90", "1.5"), which some callers read as seconds. */
export const BARE_SECONDS = /^\d+(\.\d+)?$/;
