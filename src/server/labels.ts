/**
 * The labels of what serve creates. The engine is the only state: everything a restarted
 * server needs to know about an instance is in its labels. Also the scope labels
 * (DEPLOYSTER_SERVE_LABELS) that tell this server's containers from another's.
 */
import { LABEL_COMPONENT, LABEL_MANAGED } from "../docker/labels";

export const LABEL_SERVICE = "deployster.service";
export const LABEL_VERSION = "deployster.version";
export const LABEL_TIMESTAMP = "deployster.timestamp";
export const LABEL_INSTANCE = "deployster.instance";
/** Container port the app listens on (recorded so a changed --container-port keeps old instances routable). */
export const LABEL_PORT = "deployster.port";
/** Name of the old instance this new one replaces (crash-safe pairing). */
export const LABEL_REPLACES = "deployster.replaces";
/** The deploy this instance belongs to: how many instances, whether it retires the previous version. */
export const LABEL_COUNT = "deployster.deploy.count";
export const LABEL_DESTROY_PREVIOUS = "deployster.deploy.destroy-previous";
/** `version:timestamp` of the version this deploy replaces. */
export const LABEL_PREVIOUS = "deployster.deploy.previous";
/** ISO time the deploy was accepted (orders deploys; timestamps are user-supplied). */
export const LABEL_STARTED_AT = "deployster.deploy.started-at";
/** `version:timestamp` this deploy rolled back from (POST rollback). */
export const LABEL_ROLLBACK_OF = "deployster.deploy.rollback-of";
/** Compact JSON of the service's earlier deploy records, as known when this deploy started. */
export const LABEL_HISTORY = "deployster.deploy.history";
/** Digest of the configuration (--config-dir) an instance or task was started with; never a value. */
export const LABEL_CONFIG_DIGEST = "deployster.config-digest";

export const COMPONENT_INSTANCE = "serve-instance";
export const COMPONENT_TASK = "serve-task";

/** Labels every container of this server carries: the managed marker, the scope labels, the component. */
export function baseLabels(scope: Record<string, string>, component: string): Record<string, string> {
  return { ...scope, [LABEL_MANAGED]: "true", [LABEL_COMPONENT]: component };
}

/** Engine label filters selecting this server's instances (of one service when given). */
export function instanceFilters(scope: Record<string, string>, service?: string): string[] {
  const f = [`${LABEL_MANAGED}=true`, `${LABEL_COMPONENT}=${COMPONENT_INSTANCE}`, ...Object.entries(scope).map(([k, v]) => `${k}=${v}`)];
  if (service !== undefined) f.push(`${LABEL_SERVICE}=${service}`);
  return f;
}

/** Parses DEPLOYSTER_SERVE_LABELS ("k=v,k2=v2"): labels added to, and required on, every container. */
export function parseScopeLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? "").split(",")) {
    const p = part.trim();
    if (!p) continue;
    const i = p.indexOf("=");
    if (i <= 0) throw new Error(`DEPLOYSTER_SERVE_LABELS: "${p}" is not KEY=VALUE`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}
