/**
 * Instance facts: what every instance (and task) finds in its environment about itself, as
 * the host's /etc/environment gave the original's units. Config files cannot set these
 * names (DEPLOYSTER_* is reserved), so an app can trust them.
 */
export interface FactsOptions {
  service: string;
  version: string;
  /** The deploy's timestamp (instances only). */
  timestamp?: string;
  /** The instance number (instances) or the task's container name (tasks). */
  instance?: string;
  task?: string;
  /** The address the instance's port is published on (engine: --instance-host, else --publish-host; Swarm: its node's address). */
  hostIp?: string;
  containerPort?: number;
  /** The host port the container port is published on, when chosen before the start. */
  publishedPort?: number;
  /** Swarm: the node's ID and hostname too, from Swarm's templates. */
  swarm?: boolean;
}

export function instanceFacts(o: FactsOptions): Record<string, string> {
  const f: Record<string, string> = { DEPLOYSTER_SERVICE: o.service, DEPLOYSTER_VERSION: o.version };
  if (o.timestamp) f.DEPLOYSTER_TIMESTAMP = o.timestamp;
  if (o.instance) f.DEPLOYSTER_INSTANCE = o.instance;
  if (o.task) f.DEPLOYSTER_TASK = o.task;
  if (o.hostIp) f.DEPLOYSTER_HOST_IP = o.hostIp;
  if (o.containerPort) f.DEPLOYSTER_PORT = String(o.containerPort);
  if (o.publishedPort) f.DEPLOYSTER_PUBLISHED_PORT = String(o.publishedPort);
  if (o.swarm) {
    f.DEPLOYSTER_NODE_ID = "{{.Node.ID}}";
    f.DEPLOYSTER_NODE_HOSTNAME = "{{.Node.Hostname}}";
  }
  return f;
}

/** `NAME=value` lines for a container's Env: the configuration, then the facts (which win). */
export function envList(config: Record<string, string> | undefined, facts: Record<string, string>): string[] {
  return Object.entries({ ...config, ...facts }).map(([k, v]) => `${k}=${v}`);
}
