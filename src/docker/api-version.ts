/** Newest Engine API version this client speaks; the oldest it accepts. */
export const MAX_API_VERSION = "1.45";
export const MIN_API_VERSION = "1.24";

function parts(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  if (!m) throw new Error(`not an API version: ${v}`);
  return [Number(m[1]), Number(m[2])];
}

export function compareApiVersions(a: string, b: string): number {
  const [a1, a2] = parts(a);
  const [b1, b2] = parts(b);
  return a1 - b1 || a2 - b2;
}

/**
 * The version to speak: the engine's (from the `API-Version` header of /_ping), capped at
 * what this client supports. An engine older than MIN_API_VERSION is refused.
 */
export function negotiateApiVersion(engineVersion: string | null | undefined, clientMax = MAX_API_VERSION): string {
  if (!engineVersion) return clientMax;
  if (compareApiVersions(engineVersion, MIN_API_VERSION) < 0) {
    throw new Error(`Docker engine API ${engineVersion} is too old (need ${MIN_API_VERSION} or newer)`);
  }
  return compareApiVersions(engineVersion, clientMax) < 0 ? engineVersion : clientMax;
}
