/**
 * Secrets (--config-dir) on Swarm: each secret file becomes a Docker secret named by its
 * content digest, `<service>-<NAME>-<digest>`, so a changed file is a new secret that the
 * next deploy's instances get (rotation) while running instances keep the one they started
 * with. Secrets are created once and shared by every instance and task with that content;
 * pruning removes those of the service that no Swarm service references any more (the
 * manager refuses to remove a secret in use, which pruning relies on too).
 */
import { createHash } from "node:crypto";
import type { DockerClient } from "../../../docker/client";
import { LABEL_COMPONENT, LABEL_MANAGED } from "../../../docker/labels";
import { inspectSwarmObject, listSwarmObjects } from "../../../docker/secrets";
import type { ConfigDir, ServiceConfig } from "../../config-dir";
import { LABEL_SERVICE } from "../../labels";

export const COMPONENT_SECRET = "serve-secret";
const enc = encodeURIComponent;

/** A Swarm secret name (at most 64 characters, alphanumeric at both ends): `<service>-<NAME>-<digest>`. */
export function swarmSecretName(service: string, name: string, digest: string): string {
  const full = `${service}-${name}-${digest}`;
  if (full.length <= 64 && /[A-Za-z0-9]$/.test(full)) return full;
  const short = createHash("sha256").update(`${service}\u0000${name}`).digest("hex").slice(0, 8);
  return `${service.slice(0, 20).replace(/[^A-Za-z0-9]+$/, "")}-${short}-${digest}`;
}

/** A service's secret references (its ContainerSpec.Secrets), creating the secrets that are missing. */
export async function ensureSwarmSecrets(d: DockerClient, c: ServiceConfig, scope: Record<string, string>): Promise<Record<string, unknown>[]> {
  const refs: Record<string, unknown>[] = [];
  for (const s of c.secrets) {
    const name = swarmSecretName(c.service, s.name, s.digest);
    let id = (await inspectSwarmObject(d, "secrets", name))?.ID;
    if (!id) {
      const labels = { ...scope, [LABEL_MANAGED]: "true", [LABEL_COMPONENT]: COMPONENT_SECRET, [LABEL_SERVICE]: c.service };
      const res = await d.request("POST", "/secrets/create", { body: { Name: name, Labels: labels, Data: s.data.toString("base64") }, okStatuses: [409] });
      const text = await res.text();
      // 409: created meanwhile by a concurrent boot or task.
      id = res.status === 409 ? (await inspectSwarmObject(d, "secrets", name))?.ID : (JSON.parse(text) as { ID?: string }).ID;
      if (!id) throw new Error(`the Swarm secret ${name} could not be created`);
    }
    refs.push({ SecretID: id, SecretName: name, File: { Name: s.name, UID: "0", GID: "0", Mode: 0o444 } });
  }
  return refs;
}

/** Removes the service's secrets that nothing references (and no boot holds); returns their names. */
export async function pruneSwarmSecrets(d: DockerClient, service: string | undefined, scope: Record<string, string>, holds?: ConfigDir): Promise<string[]> {
  const labels = [`${LABEL_MANAGED}=true`, `${LABEL_COMPONENT}=${COMPONENT_SECRET}`, ...Object.entries(scope).map(([k, v]) => `${k}=${v}`)];
  if (service !== undefined) labels.push(`${LABEL_SERVICE}=${service}`);
  const secrets = await listSwarmObjects(d, "secrets", { labels });
  const removed: string[] = [];
  for (const s of secrets) {
    const name = String(s?.Spec?.Name ?? "");
    const digest = name.slice(name.lastIndexOf("-") + 1);
    if (holds?.isHeld(String(s?.Spec?.Labels?.[LABEL_SERVICE] ?? ""), digest)) continue;
    // 400 (InvalidArgument): still in use by a service: it stays.
    const status = await d.call("DELETE", `/secrets/${enc(s.ID)}`, { okStatuses: [400, 404, 409] });
    if (status < 300) removed.push(name);
  }
  return removed;
}
