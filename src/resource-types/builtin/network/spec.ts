/** deployster/docker-network: config schema, normalised spec and engine bodies (pure). */
import { hashSpec } from "../common/hash";
import { buildManagedLabels, checkUserLabels } from "../common/labels";
import { DOCKER_NAME_SCHEMA, normalizeStringMap, STRING_MAP_SCHEMA } from "../common/runtime";
import type { NetworkObject } from "../../docker-objects";

export const NETWORK_TYPE = "deployster/docker-network";

export const networkConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { ...DOCKER_NAME_SCHEMA, description: "Network name (default: the resource name)" },
    driver: { type: "string", minLength: 1, description: "Network driver (default: bridge); overlay for Swarm services (the engine must be a Swarm manager)" },
    internal: { type: "boolean", description: "Restrict external access (default: false)" },
    attachable: { type: "boolean", description: "overlay: standalone containers may attach too (default: false)" },
    labels: STRING_MAP_SCHEMA,
    options: { ...STRING_MAP_SCHEMA, description: "Driver options" },
    subnet: { type: "string", pattern: "^[0-9a-fA-F.:]+/[0-9]+$", description: "IPAM subnet, e.g. 10.42.0.0/24" },
    gateway: { type: "string", pattern: "^[0-9a-fA-F.:]+$" },
  },
} as const;

export interface NetworkSpec {
  name: string;
  driver: string;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  subnet?: string;
  gateway?: string;
}

/** Fills defaults so that an omitted field and its default value hash the same. */
export function normalizeNetworkConfig(resourceName: string, config: Record<string, unknown>): NetworkSpec {
  const labels = normalizeStringMap(config.labels);
  checkUserLabels(labels, "config.labels");
  return {
    name: (config.name as string | undefined) ?? resourceName,
    driver: (config.driver as string | undefined) ?? "bridge",
    internal: (config.internal as boolean | undefined) ?? false,
    attachable: (config.attachable as boolean | undefined) ?? false,
    labels,
    options: normalizeStringMap(config.options),
    subnet: config.subnet as string | undefined,
    gateway: config.gateway as string | undefined,
  };
}

export function buildNetworkCreateBody(spec: NetworkSpec): Record<string, unknown> {
  const body: Record<string, unknown> = {
    Name: spec.name,
    Driver: spec.driver,
    Internal: spec.internal,
    Attachable: spec.attachable,
    Options: spec.options,
    Labels: buildManagedLabels(spec.labels, NETWORK_TYPE, hashSpec(spec), spec),
  };
  if (spec.subnet || spec.gateway) {
    body.IPAM = { Driver: "default", Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] };
  }
  return body;
}

/** What dependents see: `{{ net.state.id }}`, `{{ net.state.subnet }}`... */
export function extractNetworkState(inspect: NetworkObject): Record<string, unknown> {
  const ipam = inspect.IPAM?.Config?.[0] ?? {};
  return {
    id: inspect.Id,
    name: inspect.Name,
    driver: inspect.Driver,
    internal: !!inspect.Internal,
    scope: inspect.Scope ?? "local",
    attachable: !!inspect.Attachable,
    subnet: ipam.Subnet ?? null,
    gateway: ipam.Gateway ?? null,
  };
}
