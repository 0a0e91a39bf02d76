/**
 * The one parser of `<number><unit>` duration text ("500ms", "1m30s", "1.5h"), shared by
 * the CLI flags, the server's Go-style flags, ctl and the built-in types. Callers keep
 * their own rules on top (bare numbers as seconds, zero, error wording, rounding).
 */
import { UserError } from "./errors";

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

/** `"30m"`, `"90s"`, `"1h30m"`, `"500ms"`, or a bare number of seconds → milliseconds (CLI flags). */
export function parseDuration(value: unknown, what = "duration"): number {
  const s = String(value ?? "").trim();
  if (BARE_SECONDS.test(s)) return Math.round(Number(s) * 1000);
  const total = parseDurationParts(s);
  if (total === undefined || total <= 0) throw new UserError(`invalid ${what} '${s}': expected e.g. 30m, 90s, 1h, 500ms`);
  return Math.round(total);
}

/**
 * Milliseconds as people read them (`450ms`, `1.5s`, `2m30s`, `1h5m`): for what the user sees,
 * the reporters' timings and the types' timeout messages alike.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  if (m < 60) return s ? `${m}m${s}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}
