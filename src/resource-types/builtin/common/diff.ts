/**
 * Field-level differences between two plain JSON values (previous and desired normalised
 * configs), shown in plans as `path: from → to`, never as whole objects.
 */
export interface FieldChange {
  path: string;
  /** Display value; undefined = the field was not set. */
  from?: string;
  to?: string;
}

const UNSET = "(unset)";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function joinPath(prefix: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return prefix ? `${prefix}.${key}` : key;
  return `${prefix}[${JSON.stringify(key)}]`;
}

/** Display form of a leaf: strings bare (empty as ""), arrays and the rest as JSON. */
export function formatValue(v: unknown): string {
  if (typeof v === "string") return v === "" ? '""' : v;
  if (v === undefined) return UNSET;
  return JSON.stringify(v);
}

/** Flattens objects into `a.b.c` paths; arrays and scalars are leaves. */
export function flatten(value: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (isPlainObject(value)) {
    for (const k of Object.keys(value).sort()) {
      if (value[k] !== undefined) flatten(value[k], joinPath(prefix, k), out);
    }
  } else if (prefix) {
    out.set(prefix, formatValue(value));
  }
  return out;
}

/** The leaves that differ, in path order. */
export function diffValues(before: unknown, after: unknown): FieldChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes: FieldChange[] = [];
  for (const path of paths) {
    const from = a.get(path);
    const to = b.get(path);
    if (from !== to) changes.push({ path, from, to });
  }
  return changes;
}

/** `image: web:1 → web:2; env.LOG_LEVEL: info → debug` (at most `max`, then "and N more"). */
export function formatChanges(changes: FieldChange[], max = 8): string {
  const shown = changes.slice(0, max).map((c) => `${c.path}: ${c.from ?? UNSET} → ${c.to ?? UNSET}`);
  if (changes.length > max) shown.push(`and ${changes.length - max} more`);
  return shown.join("; ");
}
