/** The container's drift check: desired spec + live facts → VALID or STALE with actions. Pure. */
import { UserError } from "../../../errors";
import type { ActionSpec, StateResult } from "../../../engine/resource-type";
import { diffValues, formatChanges, type FieldChange } from "../common/diff";
import { hashSpec, shortId } from "../common/hash";
import { isManaged, LABEL_CONFIG_HASH, readStoredConfig } from "../common/labels";
import { SECRET_PLACEHOLDER } from "../common/mask";
import { formatPort, SECRET_MARK, toDisplaySpec, type ContainerOptions, type ContainerSpec } from "./spec";
import { extractContainerState } from "./state";
import type { ContainerObject, ImageObject } from "../../docker-objects";

export type ReplaceOrder = "start-first" | "stop-first";

export interface ContainerFacts {
  /** Inspect of the container named spec.name, or null. */
  container: ContainerObject | null;
  /** Inspect of spec.image, or null when it is not present locally. */
  image: ImageObject | null;
  /** Names of containers left under a temporary name by an interrupted replacement. */
  leftovers?: string[];
}

/** Start-first unless something forbids two copies running at once; the reason is shown. */
export function decideReplaceOrder(spec: ContainerSpec, options: ContainerOptions): { order: ReplaceOrder; reason?: string } {
  if (options.update_order === "stop-first") return { order: "stop-first", reason: "update_order: stop-first" };
  const fixed = spec.ports.filter((p) => p.host_port !== null);
  if (fixed.length) return { order: "stop-first", reason: `fixed host port ${fixed.map(formatPort).join(", ")}` };
  return { order: "start-first" };
}

/** Secret values never reach a plan: both sides show `***` (and "changed" when they differ). */
function maskSecretChanges(changes: FieldChange[]): FieldChange[] {
  const isSecret = (v?: string) => v?.startsWith(SECRET_MARK) ?? false;
  return changes.map((c) => {
    if (!isSecret(c.from) && !isSecret(c.to)) return c;
    const from = c.from === undefined ? undefined : isSecret(c.from) ? SECRET_PLACEHOLDER : c.from;
    const to = c.to === undefined ? undefined : isSecret(c.to) ? SECRET_PLACEHOLDER : c.to;
    return { path: from === to ? `${c.path} (changed)` : c.path, from, to };
  });
}

/** Field changes between what created the container (its label) and the desired spec. */
export function describeConfigChanges(labels: Record<string, string> | undefined, spec: ContainerSpec): FieldChange[] {
  const stored = readStoredConfig(labels);
  if (!stored) return [];
  return maskSecretChanges(diffValues(stored, toDisplaySpec(spec)));
}

/** Why the existing container must be replaced ([] = it need not be). */
export function findRecreateReasons(spec: ContainerSpec, facts: ContainerFacts): string[] {
  // Only asked of an existing container.
  const c = facts.container!;
  const reasons: string[] = [];
  const configChanged = c.Config?.Labels?.[LABEL_CONFIG_HASH] !== hashSpec(spec);
  if (configChanged) {
    const changes = describeConfigChanges(c.Config?.Labels ?? undefined, spec);
    reasons.push(changes.length ? formatChanges(changes) : "configuration changed");
  }
  const imageRefChanged = configChanged && c.Config?.Image !== spec.image;
  if (facts.image && facts.image.Id !== c.Image && !imageRefChanged) {
    reasons.push(`image changed ${shortId(c.Image)}→${shortId(facts.image.Id)}`);
  }
  const status = c.State?.Status;
  if (status === "dead" || status === "removing") reasons.push(`container is ${status}`);
  const attached = Object.keys(c.NetworkSettings?.Networks ?? {});
  for (const n of spec.networks) {
    if (!attached.includes(n.name)) reasons.push(`network ${n.name} not connected`);
  }
  return reasons;
}

export function planContainer(spec: ContainerSpec, options: ContainerOptions, facts: ContainerFacts): StateResult {
  const c = facts.container;
  if (!c) {
    const pull = facts.image ? "" : ", image will be pulled";
    return { status: "STALE", actions: [{ name: "create", description: `create and start container ${spec.name} (image ${spec.image}${pull})` }] };
  }
  if (!isManaged(c.Config?.Labels)) {
    throw new UserError(`container '${spec.name}' exists but is not managed by deployster (no deployster.managed=true label); remove it or choose another name`);
  }
  const state = extractContainerState(c, spec.networks[0]?.name);
  const reasons = findRecreateReasons(spec, facts);
  if (reasons.length) {
    const { order, reason } = decideReplaceOrder(spec, options);
    const how = reason ? `${order}, ${reason}` : order;
    const action: ActionSpec = { name: "recreate", description: `recreate (${how}): ${reasons.join("; ")}`, args: [order] };
    return { status: "STALE", staleState: state, actions: [action] };
  }
  const cleanup: ActionSpec[] = facts.leftovers?.length
    ? [{ name: "cleanup", description: `remove ${facts.leftovers.join(", ")} (left by an interrupted replacement)` }]
    : [];
  if (c.State?.Paused) {
    return { status: "STALE", staleState: state, actions: [...cleanup, { name: "unpause", description: `unpause container ${spec.name}` }] };
  }
  if (!c.State?.Running) {
    const exit = c.State?.Status === "exited" ? ` (exited with code ${c.State.ExitCode})` : ` (${c.State?.Status ?? "not running"})`;
    return { status: "STALE", staleState: state, actions: [...cleanup, { name: "start", description: `start container ${spec.name}${exit}` }] };
  }
  if (cleanup.length) return { status: "STALE", staleState: state, actions: cleanup };
  return { status: "VALID", state };
}
