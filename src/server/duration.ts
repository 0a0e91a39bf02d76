/**
 * Go-style durations ("5m", "10m0s", "1h30m", "500ms", "1.5s"): parsed from flags and
 * formatted for the task-timeout trailer exactly as Go's time.Duration.String() would
 * (`10m0s`: clients match that text).
 */
import { parseDurationParts } from "../duration";

/** Milliseconds of a Go duration string, or undefined when it is not one. A bare "0" is 0. */
export function parseDuration(text: string): number | undefined {
  const s = String(text).trim();
  if (s === "0") return 0;
  return parseDurationParts(s, "go");
}

function trimFraction(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.?0+$/, "");
}

/** Go's Duration.String() for a whole number of milliseconds: 600000 → "10m0s", 1500 → "1.5s". */
export function formatGoDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return "0s";
  if (total < 1000) return `${total}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = trimFraction((total % 60_000) / 1000, 3);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
