/**
 * A service's configuration from `serve --config-dir DIR`, read at every boot:
 *
 *   DIR/<service>.env              variables of every version (dotenv, ./dotenv.ts)
 *   DIR/<service>.<version>.env    variables of one version (override the above)
 *   DIR/<service>.secrets/<NAME>   secret files, mounted read-only at /run/secrets/<NAME>
 *
 * Missing files mean nothing to add. The digest names the whole configuration (names and
 * content) so an instance can carry it in a label: equal digests, equal configuration.
 * Names of variables starting with DEPLOYSTER_ are refused: those are the instance facts.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { HttpError } from "../http";
import { isValidName } from "../validate";
import { DotenvError, parseDotenv } from "./dotenv";

/** Files larger than this are refused (a dotenv file or a secret; Swarm secrets allow 500 KB). */
export const MAX_FILE_BYTES = 500 * 1024;
/** At most this many secrets per service. */
export const MAX_SECRETS = 100;
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface ConfigItem {
  name: string;
  /** sha256 of the service, the name and the value (16 hex): tells a change, never the value. */
  digest: string;
  /** The file it comes from. */
  source: string;
}

export interface SecretFile extends ConfigItem {
  data: Buffer;
}

export interface ServiceConfig {
  service: string;
  version: string;
  env: Record<string, string>;
  variables: ConfigItem[];
  secrets: SecretFile[];
  /** The configuration's digest (16 hex); the same for the same names and content. */
  digest: string;
}

/** Raised for a configuration that cannot be used: the deploy or task is a 400. */
export class ConfigError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

function sha(...parts: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\u0000");
  return h.digest("hex").slice(0, 16);
}

/** The file's text, undefined when it does not exist; a ConfigError when it cannot be used. */
function readSmall(path: string): Buffer | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!st.isFile()) throw new ConfigError(`${path}: is not a regular file`);
  if (st.size > MAX_FILE_BYTES) throw new ConfigError(`${path}: is larger than ${MAX_FILE_BYTES} bytes`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function readEnvFile(path: string): { name: string; value: string }[] {
  const data = readSmall(path);
  if (!data) return [];
  try {
    const entries = parseDotenv(data.toString("utf8"), path);
    const reserved = entries.find((e) => e.name.startsWith("DEPLOYSTER_"));
    if (reserved) throw new DotenvError(path, reserved.line, `${reserved.name}: names starting with DEPLOYSTER_ are reserved for the instance facts`);
    return entries;
  } catch (err) {
    if (err instanceof DotenvError) throw new ConfigError(`The configuration is not valid: ${err.message}`);
    throw err;
  }
}

function readSecrets(dir: string, service: string): SecretFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    throw new ConfigError(`${dir}: cannot be read (${code === "ENOTDIR" ? "not a directory" : code ?? "error"})`);
  }
  // Dot files are left out (editors' swap files, `..data` links of mounted secret volumes).
  const visible = names.filter((n) => !n.startsWith(".")).sort();
  if (visible.length > MAX_SECRETS) throw new ConfigError(`${dir}: more than ${MAX_SECRETS} secrets`);
  return visible.map((name) => {
    const path = join(dir, name);
    if (!SECRET_NAME.test(name)) throw new ConfigError(`${path}: a secret's name must match ${SECRET_NAME.source}`);
    const data = readSmall(path)!;
    return { name, data, digest: sha(service, name, data), source: path };
  });
}

/** Reads the configuration of `service` at `version` from `dir` (a ConfigError when unusable). */
export function loadServiceConfig(dir: string, service: string, version: string, o: { serviceWide?: boolean } = {}): ServiceConfig {
  // Names reach file paths: only names the API accepts (no `/`, no leading dot).
  if (!isValidName(service) || (!o.serviceWide && !isValidName(version))) throw new ConfigError("The service name or version is not valid.");
  const env: Record<string, string> = {};
  const source: Record<string, string> = {};
  const files = [join(dir, `${service}.env`), ...(o.serviceWide ? [] : [join(dir, `${service}.${version}.env`)])];
  for (const file of files) {
    for (const e of readEnvFile(file)) {
      env[e.name] = e.value;
      source[e.name] = file;
    }
  }
  const variables = Object.keys(env)
    .sort()
    .map((name) => ({ name, digest: sha(service, name, env[name]!), source: source[name]! }));
  const secrets = readSecrets(join(dir, `${service}.secrets`), service);
  const digest = sha(...variables.map((v) => `env ${v.name} ${v.digest}`), ...secrets.map((s) => `secret ${s.name} ${s.digest}`));
  return { service, version, env, variables, secrets, digest };
}

/** The API's view: names and digests, never values. */
export function describeConfig(c: ServiceConfig): Record<string, unknown> {
  return {
    service: c.service,
    version: c.version,
    digest: c.digest,
    variables: c.variables.map(({ name, digest, source }) => ({ name, digest, source })),
    secrets: c.secrets.map(({ name, digest, source }) => ({ name, digest, source, path: `/run/secrets/${name}` })),
  };
}
