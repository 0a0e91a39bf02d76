import { readInitCache, writeInitCache } from "./init-cache";
import { validateInitResult } from "./protocol";
import type { InitResult, ResourceType } from "./resource-type";

export interface InitsOptions {
  /** Read and write init results under the conf dir. */
  cache: boolean;
  confDir: string;
  version: string;
  /** Counts init results read from the cache. */
  onCacheHit(): void;
}

/** Runs a type's init as an invocation of the resource that needs it first. */
export type RunInit = (resource: string, type: ResourceType) => Promise<unknown>;

/**
 * Init results, once per type string and run (init must not depend on the resource name), and on
 * disk per (content address, type, deployster version) when the type gives a content address
 * and the cache is on. Every result is validated, cached or not.
 */
export function createInits(o: InitsOptions): (typeName: string, resource: string, type: ResourceType, run: RunInit) => Promise<InitResult> {
  const inits = new Map<string, Promise<InitResult>>();
  const initOnce = async (typeName: string, resource: string, type: ResourceType, run: RunInit): Promise<InitResult> => {
    const key = o.cache && type.initCacheKey ? await type.initCacheKey() : undefined;
    const cacheKey = key ? { confDir: o.confDir, key, type: typeName, version: o.version } : undefined;
    if (cacheKey) {
      const cached = await readInitCache(cacheKey);
      if (cached !== undefined) {
        o.onCacheHit();
        return validateInitResult(resource, cached);
      }
    }
    const result = validateInitResult(resource, await run(resource, type));
    if (cacheKey) await writeInitCache(cacheKey, result);
    return result;
  };
  return (typeName, resource, type, run) => {
    let init = inits.get(typeName);
    if (!init) {
      init = initOnce(typeName, resource, type, run);
      init.catch(() => {}); // awaited by every resource of this type; never unhandled
      inits.set(typeName, init);
    }
    return init;
  };
}
