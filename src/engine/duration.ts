import { BARE_SECONDS, parseDurationParts } from "../duration";
import { UserError } from "../errors";

/** `"30m"`, `"90s"`, `"1h30m"`, `"500ms"`, or a bare number of seconds → milliseconds. */
export function parseDuration(value: unknown, what = "duration"): number {
  const s = String(value ?? "").trim();
  if (BARE_SECONDS.test(s)) return Math.round(Number(s) * 1000);
  const total = parseDurationParts(s);
  if (total === undefined || total <= 0) throw new UserError(`invalid ${what} '${s}': expected e.g. 30m, 90s, 1h, 500ms`);
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  if (m < 60) return s ? `${m}m${s}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}
