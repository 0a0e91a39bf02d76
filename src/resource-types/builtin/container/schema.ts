/** deployster/docker-container: the config schema (Draft-4 compatible, unknown keys rejected). */
import { DURATION_SCHEMA, HEALTHCHECK_SCHEMA } from "../common/duration";
import { DOCKER_NAME_SCHEMA, networksSchema, SCALAR_SCHEMA, STRING_MAP_SCHEMA } from "../common/config-schema";

const PORT_NUMBER = { type: ["integer", "string"], minimum: 1, maximum: 65535, pattern: "^[0-9]+$" } as const;

/** `80`, `80/udp`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80` (empty host port = ephemeral). */
export const PORT_STRING_PATTERN =
  "^(?:(\\d{1,3}(?:\\.\\d{1,3}){3}|\\[[0-9a-fA-F:]+\\]):)?(?:(\\d*):)?(\\d{1,5})(?:/(tcp|udp|sctp))?$";

/** `volume:/path[:ro|rw]` or `/host/path:/path[:ro|rw]` (`./rel` is relative to the workspace). */
export const MOUNT_STRING_PATTERN = "^([^:]+):(/[^:]*)(?::(ro|rw))?$";

/*
 * Alternatives are written as one schema with a union `type` rather than `oneOf`: keywords
 * only apply to their own type (pattern to strings, required to objects...), so a mistake
 * yields the one relevant error instead of one per branch.
 */
const STRING_OR_LIST = { type: ["string", "array"], items: { type: "string" } } as const;

export const containerConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["image"],
  properties: {
    name: { ...DOCKER_NAME_SCHEMA, description: "Container name (default: the resource name)" },
    image: { type: "string", minLength: 1, pattern: "^[^\\s]+$" },
    command: STRING_OR_LIST,
    entrypoint: STRING_OR_LIST,
    env: {
      type: ["object", "array"],
      additionalProperties: SCALAR_SCHEMA,
      items: { type: "string", pattern: "^[^=]+=" },
      description: "KEY: value map, or a list of KEY=value",
    },
    secret_env: {
      type: "array",
      items: { type: "string", minLength: 1 },
      description: "env keys whose values are masked in all output",
    },
    ports: {
      type: "array",
      items: {
        type: ["string", "integer", "object"],
        pattern: PORT_STRING_PATTERN,
        minimum: 1,
        maximum: 65535,
        additionalProperties: false,
        required: ["target"],
        properties: {
          target: PORT_NUMBER,
          published: { type: ["integer", "string"], pattern: "^[0-9]*$", minimum: 0, maximum: 65535 },
          host_ip: { type: "string" },
          protocol: { enum: ["tcp", "udp", "sctp"] },
        },
      },
    },
    mounts: {
      type: "array",
      items: {
        type: ["string", "object"],
        pattern: MOUNT_STRING_PATTERN,
        additionalProperties: false,
        required: ["type", "target"],
        properties: {
          type: { enum: ["volume", "bind", "tmpfs"] },
          source: { type: "string", minLength: 1 },
          target: { type: "string", pattern: "^/" },
          read_only: { type: "boolean" },
        },
      },
    },
    networks: networksSchema("network names, or a map name → {aliases} (the first network gives state.ip)"),
    labels: STRING_MAP_SCHEMA,
    restart: { type: "string", pattern: "^(no|always|unless-stopped|on-failure(:[0-9]+)?)$" },
    healthcheck: HEALTHCHECK_SCHEMA,
    user: { type: "string" },
    working_dir: { type: "string" },
    stop_timeout: { type: "integer", minimum: 0, description: "Seconds between SIGTERM and SIGKILL on stop" },
    health_timeout: { ...DURATION_SCHEMA, description: "How long apply waits for a new container to be healthy (default 60s)" },
    min_running: {
      ...DURATION_SCHEMA,
      description: "Without a healthcheck, how long a new container must keep running to count as ready (default 1s when replacing, 0 for a first create)",
    },
    update_order: {
      enum: ["start-first", "stop-first"],
      description: "How a changed container is replaced; start-first falls back to stop-first when a fixed host port forbids it",
    },
  },
} as const;
