/**
 * The configuration directory of a server (`serve --config-dir`): loads a service's
 * configuration at every boot, and keeps the engine's secret files.
 *
 * Engine secrets: each configuration's secrets are written once, to
 * `<secrets root>/<scope>/<service>/<digest>/<NAME>` (the root and every level above the
 * digest are 0700, so no other user of the host can read them; the digest directory and
 * its files are world-readable so that a container running as any user can read its
 * `/run/secrets`), and that directory is bind-mounted read-only at /run/secrets. One
 * directory per configuration digest: a running instance keeps the secrets it started with
 * until it is retired, and a directory goes (pruneEngine) once no container of the service
 * carries its digest. `<scope>` separates servers with different scope labels on one host.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadServiceConfig, type ServiceConfig } from "./load";

export { ConfigError, describeConfig, loadServiceConfig, type ServiceConfig } from "./load";
export { envList, instanceFacts } from "./facts";


export class ConfigDir {
  private readonly root: string;
  /** Configurations being booted (digest keys per service), which pruning must leave alone. */
  private readonly holds = new Map<string, number>();

  constructor(
    readonly dir: string,
    secretsRoot: string,
    scope: Record<string, string>,
  ) {
    const scopeKey = createHash("sha256").update(JSON.stringify(Object.entries(scope).sort())).digest("hex").slice(0, 12);
    this.root = join(secretsRoot, scopeKey);
  }

  load(service: string, version: string, o?: { serviceWide?: boolean }): ServiceConfig {
    return loadServiceConfig(this.dir, service, version, o);
  }

  /** Marks a configuration as in use until `release` (a boot or a task between writing its secrets and creating its container). */
  hold(service: string, digest: string): () => void {
    const key = `${service}/${digest}`;
    this.holds.set(key, (this.holds.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.holds.get(key) ?? 1) - 1;
      if (n <= 0) this.holds.delete(key);
      else this.holds.set(key, n);
    };
  }

  isHeld(service: string, digest: string): boolean {
    return this.holds.has(`${service}/${digest}`);
  }

  /** Engine: writes the secrets of `c` (once per digest); the directory to mount, undefined when there are none. */
  writeEngineSecrets(c: ServiceConfig): string | undefined {
    if (c.secrets.length === 0) return undefined;
    const serviceDir = join(this.root, c.service);
    for (const d of [join(this.root, ".."), this.root, serviceDir]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      chmodSync(d, 0o700);
    }
    const target = join(serviceDir, c.digest);
    if (readdirSync(serviceDir).includes(c.digest)) return target;
    const tmp = join(serviceDir, `.tmp-${randomBytes(6).toString("hex")}`);
    mkdirSync(tmp, { mode: 0o700 });
    try {
      for (const s of c.secrets) writeFileSync(join(tmp, s.name), s.data, { mode: 0o444 });
      chmodSync(tmp, 0o755);
      // Atomic: a directory named by its digest is always complete.
      renameSync(tmp, target);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!readdirSync(serviceDir).includes(c.digest)) throw err;
    }
    return target;
  }

  /** Engine: the services that have secret directories. */
  engineServices(): string[] {
    try {
      return readdirSync(this.root).filter((n) => !n.startsWith("."));
    } catch {
      return [];
    }
  }

  /** Engine: removes the secret directories of `service` whose digest no container carries and no boot holds. */
  pruneEngine(service: string, inUse: Set<string>): string[] {
    const serviceDir = join(this.root, service);
    let names: string[];
    try {
      names = readdirSync(serviceDir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const n of names) {
      if (n.startsWith(".tmp-") || inUse.has(n) || this.isHeld(service, n)) continue;
      rmSync(join(serviceDir, n), { recursive: true, force: true });
      removed.push(n);
    }
    return removed;
  }
}

/** Where the engine's secret files live by default: /run (a tmpfs, never on disk) for root, else the temp dir. */
export function defaultSecretsRoot(env: Record<string, string | undefined>): string {
  if (env.DEPLOYSTER_SECRETS_DIR) return env.DEPLOYSTER_SECRETS_DIR;
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? "/run/deployster/secrets" : join(env.TMPDIR || "/tmp", `deployster-${uid}`, "secrets");
}
