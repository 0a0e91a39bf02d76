import { UserError } from "../../../errors";
import { LABEL_MANAGED } from "../../../docker/labels";
import { stableStringify } from "./hash";

export { LABEL_MANAGED };
/** sha256 of the normalised desired config (secrets included): the drift check. */
export const LABEL_CONFIG_HASH = "deployster.config-hash";
/** The normalised desired config for plan diffs, secret values replaced by their hashes. */
export const LABEL_CONFIG = "deployster.config";
/** The built-in type that created the object. */
export const LABEL_TYPE = "deployster.type";
/** A container's canonical name (it keeps it while it runs under a temporary name). */
export const LABEL_NAME = "deployster.name";

const RESERVED = [LABEL_MANAGED, LABEL_CONFIG_HASH, LABEL_CONFIG, LABEL_TYPE, LABEL_NAME];

/** Rejects user labels that would overwrite deployster's own. */
export function checkUserLabels(labels: Record<string, string>, path: string): void {
  for (const k of Object.keys(labels)) {
    if (RESERVED.includes(k)) throw new UserError(`${path}.${k}: the label ${k} is reserved for deployster`);
  }
}

/** User labels plus deployster's bookkeeping labels. */
export function buildManagedLabels(
  userLabels: Record<string, string>,
  type: string,
  hash: string,
  display: unknown,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...userLabels,
    ...extra,
    [LABEL_MANAGED]: "true",
    [LABEL_TYPE]: type,
    [LABEL_CONFIG_HASH]: hash,
    [LABEL_CONFIG]: stableStringify(display),
  };
}

/** The stored display config of an object, or undefined when absent or unreadable. */
export function readStoredConfig(labels: Record<string, string> | null | undefined): unknown {
  const raw = labels?.[LABEL_CONFIG];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function isManaged(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[LABEL_MANAGED] === "true";
}
