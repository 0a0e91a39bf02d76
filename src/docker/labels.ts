/** Every container, network and volume deployster creates carries this label = "true". */
export const LABEL_MANAGED = "deployster.managed";
export const LABEL_RUN_ID = "deployster.run-id";
export const LABEL_COMPONENT = "deployster.component";

/** Engine `filters` JSON for label matches ("k" or "k=v"). */
export function labelFilters(labels: string[] | undefined, extra: Record<string, string[]> = {}): Record<string, string[]> | undefined {
  const f: Record<string, string[]> = { ...extra };
  if (labels?.length) f.label = labels;
  return Object.keys(f).length ? f : undefined;
}
