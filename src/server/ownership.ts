/**
 * Whether a container found by name is one this server created. A name says nothing
 * about who made the container: anyone with access to the engine can create one named like
 * an instance. serve acts (start, adopt, route, remove) only on containers that carry its
 * marker, the instance component, its scope labels, and the identity it expects.
 */
import { LABEL_COMPONENT, LABEL_MANAGED } from "../docker/labels";
import { COMPONENT_INSTANCE, LABEL_INSTANCE, LABEL_SERVICE, LABEL_TIMESTAMP, LABEL_VERSION } from "./labels";

export interface ExpectedInstance {
  service: string;
  version: string;
  timestamp: string;
  instance: number;
}

/** Why `labels` do not make the container instance `expected` of this server; undefined when they do. */
export function foreignReason(labels: Record<string, string> | null | undefined, scope: Record<string, string>, expected: ExpectedInstance): string | undefined {
  const l = labels ?? {};
  const want: Record<string, string> = {
    [LABEL_MANAGED]: "true",
    [LABEL_COMPONENT]: COMPONENT_INSTANCE,
    ...scope,
    [LABEL_SERVICE]: expected.service,
    [LABEL_VERSION]: expected.version,
    [LABEL_TIMESTAMP]: expected.timestamp,
    [LABEL_INSTANCE]: String(expected.instance),
  };
  const wrong = Object.keys(want).filter((k) => l[k] !== want[k]);
  if (wrong.length === 0) return undefined;
  return `it lacks ${wrong.slice(0, 3).map((k) => `${k}=${want[k]}`).join(", ")}${wrong.length > 3 ? ", ..." : ""}`;
}

/** Thrown when a container named like an instance was not created by this server. */
export class ForeignContainerError extends Error {
  override name = "ForeignContainerError";
  constructor(readonly containerName: string, why: string) {
    super(`A container named ${containerName} exists that this server did not create (${why}); it is left alone.  Remove or rename it, or deploy with another timestamp.`);
  }
}
