/**
 * Turns the serve flags (as cac hands them over) into a checked ServeConfig. Every mistake
 * is a UserError with one line: a server that starts must start the way it was asked to
 * (no silent fallback to plain HTTP, no public default password).
 */
import { createPrivateKey, type KeyObject, randomBytes, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { defaultSecretsRoot } from "./config-dir";
import { isIP } from "node:net";
import { UserError } from "../errors";
import { parseDuration } from "./duration";
import { type LimitOptions, resolveLimits, type ServeLimits } from "./limits";
import { parseScopeLabels } from "./labels";

export interface ServeOptions extends LimitOptions {
  listen?: string;
  dockerHubUsername?: string;
  registryUrl?: string;
  username?: string;
  password?: string;
  cert?: string;
  key?: string;
  caddyAdmin?: string;
  domain?: string;
  containerPort?: number | string;
  healthPath?: string;
  healthTimeout?: string;
  taskTimeout?: string;
  publishHost?: string;
  instanceHost?: string;
  /** cac's `--no-heal` sets heal: false. */
  heal?: boolean;
  swarm?: boolean;
  configDir?: string;
  verbose?: boolean;
}

export interface ServeConfig {
  hostname: string;
  port: number;
  /** `--registry-url` when given, else `--docker-hub-username`. */
  imagePrefix: string;
  username: string;
  password: string;
  /** True when no password was given and a random one was generated (printed once). */
  passwordGenerated: boolean;
  tls?: { cert: string; key: string };
  caddyAdmin?: string;
  domain?: string;
  containerPort: number;
  healthPath?: string;
  healthTimeoutMs: number;
  taskTimeoutMs: number;
  publishHost: string;
  /** Where this server reaches the engine's published ports when it cannot reach its containers (another host or network namespace). */
  instanceHost?: string;
  /** Restart an instance that dies after going live (default); false: unroute it and leave it down. */
  heal: boolean;
  /** Instances and tasks are Swarm services (the engine must be a Swarm manager). */
  swarm: boolean;
  /** `--config-dir`: per-service environment and secrets, read at every boot. */
  configDir?: string;
  /** Where the engine's secret files are written (DEPLOYSTER_SECRETS_DIR, default /run/deployster/secrets). */
  secretsRoot: string;
  /** Extra labels on (and required of) every container this server manages. */
  scopeLabels: Record<string, string>;
  limits: ServeLimits;
  verbose: boolean;
}

/** `HOST:PORT`, `:PORT` (all interfaces) or `[v6]:PORT`. */
export function parseListen(text: string): { hostname: string; port: number } {
  const s = String(text).trim();
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UserError(`--listen: "${s}" is not HOST:PORT or :PORT (e.g. 127.0.0.1:3000 or :3000)`);
  const hostname = m[1] ?? (m[2] || "0.0.0.0");
  return { hostname, port };
}

function durationOption(flag: string, text: string | undefined, fallback: string): number {
  const ms = parseDuration(text ?? fallback);
  if (ms === undefined || ms <= 0) throw new UserError(`${flag}: "${text}" is not a duration like 30s, 5m or 1h30m`);
  return ms;
}

function readPem(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UserError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Both files readable, the certificate and key parse, and the key belongs to the certificate. */
export function loadTls(certPath: string | undefined, keyPath: string | undefined): { cert: string; key: string } | undefined {
  if (!certPath && !keyPath) return undefined;
  if (!certPath) throw new UserError("--key needs --cert (HTTPS needs both; refusing to serve plain HTTP)");
  if (!keyPath) throw new UserError("--cert needs --key (HTTPS needs both; refusing to serve plain HTTP)");
  const cert = readPem("--cert", certPath);
  const key = readPem("--key", keyPath);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new UserError(`--cert: ${certPath} is not a PEM certificate (${(err as Error).message})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new UserError(`--key: ${keyPath} is not a PEM private key (${(err as Error).message})`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new UserError(`--key: ${keyPath} does not belong to the certificate ${certPath}`);
  return { cert, key };
}

function checkUrl(flag: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`${flag}: "${text}" is not a URL (e.g. http://127.0.0.1:2019)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UserError(`${flag}: "${text}" must be an http(s) URL`);
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** An existing directory (made absolute), or undefined when not given. */
function checkConfigDir(dir: string | undefined): string | undefined {
  if (dir === undefined || dir === "") return undefined;
  const abs = resolve(String(dir));
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {}
  if (!isDir) throw new UserError(`--config-dir: ${abs} is not a directory`);
  return abs;
}

export function resolveServeConfig(o: ServeOptions, env: Record<string, string | undefined> = process.env): ServeConfig {
  const { hostname, port } = parseListen(o.listen ?? "0.0.0.0:3000");
  const registry = (o.registryUrl ?? "").trim().replace(/^https?:\/\//, "").replace(/\/+$/, "");
  const prefix = registry || (o.dockerHubUsername ?? "deployster").trim();
  if (!/^[a-z0-9]([a-z0-9._:/-]*[a-z0-9])?$/i.test(prefix)) {
    throw new UserError(`${registry ? "--registry-url" : "--docker-hub-username"}: "${prefix}" cannot prefix an image name`);
  }
  const username = o.username ?? "deployster";
  if (!username || username.includes(":")) throw new UserError("--username must be non-empty and contain no colon");
  const given = o.password ?? env.DEPLOYSTER_PASSWORD;
  if (given !== undefined && String(given) === "") throw new UserError("--password / DEPLOYSTER_PASSWORD must not be empty");
  const password = given !== undefined ? String(given) : randomBytes(18).toString("base64url");
  const caddyAdmin = o.caddyAdmin ? checkUrl("--caddy-admin", String(o.caddyAdmin)) : undefined;
  const domain = o.domain ? String(o.domain).trim().replace(/^\.+|\.+$/g, "") : undefined;
  if (caddyAdmin && !domain) throw new UserError("--caddy-admin needs --domain (instances are routed as <service>.<domain>)");
  if (domain && !caddyAdmin) throw new UserError("--domain needs --caddy-admin (the router that serves <service>.<domain>)");
  if (domain && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(domain)) throw new UserError(`--domain: "${domain}" is not a domain name`);
  const containerPort = Number(o.containerPort ?? 3000);
  if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) {
    throw new UserError(`--container-port: "${o.containerPort}" is not a port number`);
  }
  const healthPath = o.healthPath ? String(o.healthPath) : undefined;
  if (healthPath !== undefined && !healthPath.startsWith("/")) throw new UserError(`--health-path: "${healthPath}" must start with /`);
  const publishHost = String(o.publishHost ?? "127.0.0.1");
  if (!isIP(publishHost)) throw new UserError(`--publish-host: "${publishHost}" is not an IP address`);
  const instanceHost = o.instanceHost === undefined ? undefined : String(o.instanceHost);
  if (instanceHost !== undefined && !isIP(instanceHost)) throw new UserError(`--instance-host: "${instanceHost}" is not an IP address`);
  let scopeLabels: Record<string, string>;
  try {
    scopeLabels = parseScopeLabels(env.DEPLOYSTER_SERVE_LABELS);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  return {
    hostname,
    port,
    imagePrefix: prefix,
    username,
    password,
    passwordGenerated: given === undefined,
    tls: loadTls(o.cert, o.key),
    caddyAdmin,
    domain,
    containerPort,
    healthPath,
    healthTimeoutMs: durationOption("--health-timeout", o.healthTimeout, "5m"),
    taskTimeoutMs: durationOption("--task-timeout", o.taskTimeout, "10m"),
    publishHost,
    instanceHost,
    heal: o.heal !== false,
    swarm: !!o.swarm,
    configDir: checkConfigDir(o.configDir),
    secretsRoot: defaultSecretsRoot(env),
    scopeLabels,
    limits: resolveLimits(o),
    verbose: !!o.verbose,
  };
}
