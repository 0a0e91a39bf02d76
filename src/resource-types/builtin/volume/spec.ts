/** deployster/docker-volume: config schema, normalised spec and engine bodies (pure). */
import { hashSpec } from "../common/hash";
import { buildManagedLabels, checkUserLabels } from "../common/labels";
import { DOCKER_NAME_SCHEMA, normalizeStringMap, STRING_MAP_SCHEMA } from "../common/runtime";
import type { VolumeObject } from "../../docker-objects";

export const VOLUME_TYPE = "deployster/docker-volume";

export const volumeConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { ...DOCKER_NAME_SCHEMA, description: "Volume name (default: the resource name)" },
    driver: { type: "string", minLength: 1, description: "Volume driver (default: local)" },
    labels: STRING_MAP_SCHEMA,
    options: { ...STRING_MAP_SCHEMA, description: "Driver options (DriverOpts)" },
  },
} as const;

export interface VolumeSpec {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export function normalizeVolumeConfig(resourceName: string, config: Record<string, unknown>): VolumeSpec {
  const labels = normalizeStringMap(config.labels);
  checkUserLabels(labels, "config.labels");
  return {
    name: (config.name as string | undefined) ?? resourceName,
    driver: (config.driver as string | undefined) ?? "local",
    labels,
    options: normalizeStringMap(config.options),
  };
}

export function buildVolumeCreateBody(spec: VolumeSpec): Record<string, unknown> {
  return {
    Name: spec.name,
    Driver: spec.driver,
    DriverOpts: spec.options,
    Labels: buildManagedLabels(spec.labels, VOLUME_TYPE, hashSpec(spec), spec),
  };
}

/** What dependents see: `{{ data.state.name }}`, `{{ data.state.mountpoint }}`. */
export function extractVolumeState(inspect: VolumeObject): Record<string, unknown> {
  return { name: inspect.Name, driver: inspect.Driver, mountpoint: inspect.Mountpoint, scope: inspect.Scope ?? "local" };
}
