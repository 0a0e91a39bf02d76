import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface InitCacheKey {
  confDir: string;
  /** Content address of the type (image ID): a cached entry never goes stale. */
  key: string;
  type: string;
  version: string;
}

export function initCachePath(k: InitCacheKey): string {
  // Bun's native hasher, not node:crypto (loading that costs ~10 ms per CLI start).
  const digest = new Bun.CryptoHasher("sha256").update(`${k.key}\0${k.type}\0${k.version}`).digest("hex");
  return join(k.confDir, "init-cache", `${digest}.json`);
}

/** The cached init result, or undefined (missing or unreadable entries are misses). */
export async function readInitCache(k: InitCacheKey): Promise<unknown | undefined> {
  try {
    const entry = JSON.parse(await readFile(initCachePath(k), "utf8")) as { key?: string; type?: string; version?: string; result?: unknown };
    if (entry.key !== k.key || entry.type !== k.type || entry.version !== k.version) return undefined;
    return entry.result;
  } catch {
    return undefined;
  }
}

/** Best effort: a read-only conf dir just means no cache. Written atomically (rename). */
export async function writeInitCache(k: InitCacheKey, result: unknown): Promise<void> {
  const path = initCachePath(k);
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await mkdir(join(k.confDir, "init-cache"), { recursive: true });
    await writeFile(tmp, JSON.stringify({ key: k.key, type: k.type, version: k.version, result }));
    await rename(tmp, path);
  } catch {
    /* no cache this time */
  }
}
