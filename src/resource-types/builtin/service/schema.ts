/** deployster/docker-service: the config schema (Draft-4 compatible, unknown keys rejected). */
import { DURATION_SCHEMA, HEALTHCHECK_SCHEMA } from "../common/duration";
import { DOCKER_NAME_SCHEMA, networksSchema, SCALAR_SCHEMA, STRING_MAP_SCHEMA } from "../common/config-schema";

const PORT_NUMBER = { type: "integer", minimum: 1, maximum: 65535 } as const;
const STRING_OR_LIST = { type: ["string", "array"], items: { type: "string" } } as const;
/** `0.5` CPUs; memory as bytes or `<n>[kmg]` (binary units, like docker's --memory). */
const CPUS = { type: ["number", "string"], minimum: 0, pattern: "^[0-9]+(\\.[0-9]+)?$" } as const;
const MEMORY = { type: ["integer", "string"], minimum: 0, pattern: "^[0-9]+([bkmgBKMG]i?[bB]?)?$" } as const;
const LIMITS = { type: "object", additionalProperties: false, properties: { cpus: CPUS, memory: MEMORY } } as const;

/** Docker's reference grammar without a digest: `[host[:port]/]component(/component)*[:tag]`. */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
export const IMAGE_REFERENCE_PATTERN = `^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`;

/** `3000` or `3000/udp` (host mode, a port chosen per node), or the object form. */
export const SERVICE_PORT_PATTERN = "^(\\d{1,5})(?:/(tcp|udp|sctp))?$";

function updateSchema(what: string) {
  return {
    type: "object",
    additionalProperties: false,
    description: `How Swarm ${what} the tasks (defaults: parallelism 1, order start-first, monitor 5s)`,
    properties: {
      parallelism: { type: "integer", minimum: 0 },
      delay: DURATION_SCHEMA,
      order: { enum: ["start-first", "stop-first"] },
      failure_action: { enum: ["rollback", "pause", "continue"] },
      monitor: DURATION_SCHEMA,
      max_failure_ratio: { type: "number", minimum: 0, maximum: 1 },
    },
  } as const;
}

const MOUNT_OBJECT = {
  type: ["string", "object"],
  pattern: "^([^:]+):(/[^:]*)(?::(ro|rw))?$",
  additionalProperties: false,
  required: ["type", "target"],
  properties: {
    type: { enum: ["volume", "bind", "tmpfs"] },
    source: { type: "string", minLength: 1 },
    target: { type: "string", pattern: "^/" },
    read_only: { type: "boolean" },
  },
} as const;

/** A secret/config reference: its object name, or {source, target, uid, gid, mode}. */
function fileRefSchema(what: string) {
  return {
    type: "array",
    description: `${what} to mount: {source, target, uid, gid, mode} (or just the source); the source is the object's name, e.g. '{{ db_pass.state.name }}', which changes with its content, so give a target (it defaults to the source)`,
    items: {
      type: ["string", "object"],
      minLength: 1,
      additionalProperties: false,
      required: ["source"],
      properties: {
        source: { type: "string", minLength: 1 },
        target: { type: "string", minLength: 1 },
        uid: { type: "string", pattern: "^[0-9]+$" },
        gid: { type: "string", pattern: "^[0-9]+$" },
        mode: { type: "integer", minimum: 0, maximum: 511 },
      },
    },
  } as const;
}

export const serviceConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["image"],
  properties: {
    name: { ...DOCKER_NAME_SCHEMA, maxLength: 63, description: "Service name (default: the resource name)" },
    image: {
      type: "string",
      maxLength: 512,
      pattern: IMAGE_REFERENCE_PATTERN,
      description: "Image reference ([registry[:port]/]path[:tag], no digest): apply pins it to the registry's digest",
    },
    mode: { enum: ["replicated", "global"], description: "replicated (default) or global (one task per eligible node)" },
    replicas: { type: "integer", minimum: 0, description: "Tasks of a replicated service (default 1)" },
    command: STRING_OR_LIST,
    args: STRING_OR_LIST,
    env: {
      type: ["object", "array"],
      additionalProperties: SCALAR_SCHEMA,
      items: { type: "string", pattern: "^[^=]+=" },
      description: "KEY: value map, or a list of KEY=value",
    },
    secret_env: { type: "array", items: { type: "string", minLength: 1 }, description: "env keys whose values are masked in all output" },
    ports: {
      type: "array",
      description: "Published ports. mode host (default): each task's port on its node, chosen by Swarm unless published is set; mode ingress: the routing mesh (needs IPVS on every node)",
      items: {
        type: ["string", "integer", "object"],
        pattern: SERVICE_PORT_PATTERN,
        minimum: 1,
        maximum: 65535,
        additionalProperties: false,
        required: ["target"],
        properties: {
          target: PORT_NUMBER,
          published: PORT_NUMBER,
          protocol: { enum: ["tcp", "udp", "sctp"] },
          mode: { enum: ["host", "ingress"] },
        },
      },
    },
    endpoint_mode: { enum: ["vip", "dnsrr"], description: "vip (default: a virtual IP per network) or dnsrr (tasks.<name> round robin)" },
    networks: networksSchema("overlay network names, or a map name → {aliases}"),
    mounts: { type: "array", items: MOUNT_OBJECT },
    secrets: fileRefSchema("Secrets"),
    configs: fileRefSchema("Configs"),
    labels: { ...STRING_MAP_SCHEMA, description: "Labels of the service" },
    container_labels: { ...STRING_MAP_SCHEMA, description: "Labels of its containers" },
    placement: {
      type: "object",
      additionalProperties: false,
      properties: {
        constraints: { type: "array", items: { type: "string", pattern: "^\\S+\\s*(==|!=)\\s*\\S+$" } },
        preferences: {
          type: "array",
          items: { type: "object", additionalProperties: false, required: ["spread"], properties: { spread: { type: "string", minLength: 1 } } },
        },
        max_replicas_per_node: { type: "integer", minimum: 0 },
      },
    },
    resources: { type: "object", additionalProperties: false, properties: { limits: LIMITS, reservations: LIMITS } },
    healthcheck: HEALTHCHECK_SCHEMA,
    update_config: updateSchema("updates"),
    rollback_config: updateSchema("rolls back"),
    restart_policy: {
      type: "object",
      additionalProperties: false,
      properties: {
        condition: { enum: ["none", "on-failure", "any"] },
        delay: DURATION_SCHEMA,
        max_attempts: { type: "integer", minimum: 0 },
        window: DURATION_SCHEMA,
      },
    },
    stop_grace_period: DURATION_SCHEMA,
    stop_signal: { type: "string", pattern: "^(SIG)?[A-Z0-9]+$", description: "Signal that stops a task (default: the image's, else SIGTERM)" },
    user: { type: "string" },
    working_dir: { type: "string" },
    hostname: { type: "string" },
    converge_timeout: { ...DURATION_SCHEMA, description: "How long apply waits for every task to run the new spec (default 5m)" },
  },
} as const;
