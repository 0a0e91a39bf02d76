import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseImageReference } from "./reference";

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

const DOCKER_HUB_KEYS = ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];

export function dockerConfigPath(env: Record<string, string | undefined>): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker");
  return join(dir, "config.json");
}

/** Strips scheme and path so `https://host:5000/v2/` and `host:5000` match. */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
}

/**
 * Finds credentials for a registry host in a Docker client config (`auths` entries with
 * `auth` = base64(user:password), or explicit username/password, or identitytoken).
 * Credential helpers (credsStore) are not supported.
 */
export function findRegistryAuth(config: unknown, registry: string | undefined): RegistryAuth | undefined {
  const auths = (config as { auths?: Record<string, Record<string, string>> })?.auths;
  if (!auths || typeof auths !== "object") return undefined;
  const wanted = registry ? [registry] : DOCKER_HUB_KEYS;
  for (const [key, entry] of Object.entries(auths)) {
    if (!wanted.some((w) => hostOf(key) === hostOf(w))) continue;
    if (!entry || typeof entry !== "object") continue;
    const serveraddress = registry ?? "https://index.docker.io/v1/";
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      if (i < 0) continue;
      return { username: decoded.slice(0, i), password: decoded.slice(i + 1), serveraddress };
    }
    if (entry.username) return { username: entry.username, password: entry.password ?? "", serveraddress };
  }
  return undefined;
}

/**
 * The X-Registry-Auth header value: URL-safe base64 of the JSON auth object, WITH padding
 * (the engine decodes with Go's padded base64.URLEncoding; unpadded input loses the tail).
 */
export function encodeRegistryAuth(auth: RegistryAuth | undefined): string {
  return Buffer.from(JSON.stringify(auth ?? {}))
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

/** Reads the client config and returns the header for pulling/pushing `imageRef`. */
export function registryAuthHeader(imageRef: string, env: Record<string, string | undefined> = process.env): string {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(dockerConfigPath(env), "utf8"));
  } catch {
    config = undefined;
  }
  return encodeRegistryAuth(findRegistryAuth(config, parseImageReference(imageRef).registry));
}
