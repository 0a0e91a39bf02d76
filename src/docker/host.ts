import { readFileSync } from "node:fs";
import { join } from "node:path";
import { homedir } from "node:os";

export type DockerHost =
  | { kind: "unix"; socketPath: string; target: string }
  | { kind: "tcp"; baseUrl: string; hostname: string; port: number; tls?: TlsFiles; target: string };

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  verify: boolean;
}

export const DEFAULT_SOCKET = "/var/run/docker.sock";

/**
 * Reads DOCKER_HOST (unix:// or tcp://; default the local socket). TLS is on when
 * DOCKER_TLS_VERIFY is set non-empty or DOCKER_CERT_PATH is given; the server's certificate
 * is verified whenever DOCKER_TLS_VERIFY is non-empty, whatever its value (the docker CLI's
 * rule); files come from
 * DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), default ~/.docker. Pure apart from reading
 * the certificate files, which `readFile` lets tests replace.
 */
export function parseDockerHost(
  env: Record<string, string | undefined>,
  readFile: (p: string) => string = (p) => readFileSync(p, "utf8"),
): DockerHost {
  const raw = (env.DOCKER_HOST ?? "").trim();
  if (raw === "") return { kind: "unix", socketPath: DEFAULT_SOCKET, target: `unix://${DEFAULT_SOCKET}` };
  if (raw.startsWith("unix://")) {
    const socketPath = raw.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw new Error(`DOCKER_HOST: unix socket path must be absolute: ${raw}`);
    return { kind: "unix", socketPath, target: raw };
  }
  if (raw.startsWith("tcp://")) {
    const url = new URL(raw.replace(/^tcp:/, "http:"));
    const certPath = env.DOCKER_CERT_PATH || join(env.HOME || homedir(), ".docker");
    const tlsOn = !!(env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH);
    // As the docker CLI: any non-empty DOCKER_TLS_VERIFY verifies, "0" and "false" included.
    const verify = !!env.DOCKER_TLS_VERIFY;
    const port = Number(url.port || (tlsOn ? 2376 : 2375));
    const tryRead = (name: string) => {
      try {
        return readFile(join(certPath, name));
      } catch {
        return undefined;
      }
    };
    const tls = tlsOn ? { ca: tryRead("ca.pem"), cert: tryRead("cert.pem"), key: tryRead("key.pem"), verify } : undefined;
    const scheme = tlsOn ? "https" : "http";
    return { kind: "tcp", baseUrl: `${scheme}://${url.hostname}:${port}`, hostname: url.hostname, port, tls, target: raw };
  }
  throw new Error(`DOCKER_HOST: unsupported scheme (use unix:// or tcp://): ${raw}`);
}
