export interface ImageReference {
  /** Registry host (with port) or undefined for Docker Hub. */
  registry?: string;
  /** Repository including the registry host, as the engine wants it in fromImage. */
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * Splits an image reference. The first path component is a registry host when it contains
 * a dot or a colon or is `localhost` (Docker's own rule).
 */
export function parseImageReference(ref: string): ImageReference {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  const first = rest.split("/")[0] ?? "";
  const hasRegistry = rest.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return { registry: hasRegistry ? first : undefined, repository: rest, tag, digest };
}

/** The reference with an explicit tag (`latest` when none and no digest). */
export function normalizeImageReference(ref: string): string {
  const r = parseImageReference(ref);
  if (r.digest) return `${r.repository}@${r.digest}`;
  return `${r.repository}:${r.tag ?? "latest"}`;
}
