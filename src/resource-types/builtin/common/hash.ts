/**
 * JSON with object keys sorted and `undefined` members dropped, so that two equal values
 * always serialise identically (the basis of the config-hash label).
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : stableStringify(v))).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const parts = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`);
  return `{${parts.join(",")}}`;
}

/** Bun's native hasher: node:crypto costs ~13 ms to load in the compiled binary, this nothing. */
export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/**
 * Bumped when the normalised spec of a type changes shape, so that the old hash labels
 * stop matching (deliberately: one recreate after such an upgrade, never a silent drift).
 */
export const SPEC_VERSION = 1;

/** Hash of a normalised desired config: what the `deployster.config-hash` label holds. */
export function hashSpec(spec: unknown): string {
  return sha256Hex(`${SPEC_VERSION}:${stableStringify(spec)}`);
}

/** Docker's short id: 12 hex characters without the `sha256:` prefix. */
export function shortId(id: string | undefined | null): string {
  return (id ?? "").replace(/^sha256:/, "").slice(0, 12) || "?";
}
