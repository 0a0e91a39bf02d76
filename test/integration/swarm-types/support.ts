/**
 * Helpers for the Swarm type tests: the compiled binary against a lab manager, a recording
 * proxy of the manager's socket (to prove a plan only reads), and a router that follows a
 * service's running tasks (Caddy, upstreams synced from GET /tasks).
 */
import { join } from "node:path";
import type { DockerClient } from "../../../src/docker/client";
import { BIN } from "../../support/binary";

export interface BinaryResult {
  code: number;
  out: string;
  err: string;
}

/** bin/deployster in `cwd` against `dockerHost`, with the workspace's own conf dir (and `extraEnv`). */
export async function runBinary(args: string[], cwd: string, dockerHost: string, extraEnv: Record<string, string> = {}, timeoutMs = 120_000): Promise<BinaryResult> {
  const env = { ...process.env, DOCKER_HOST: dockerHost, CONF_DIR: join(cwd, ".deployster-conf"), ...extraEnv };
  const proc = Bun.spawn([BIN, ...args], { cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out, err };
}

/** A unix-socket proxy in front of an engine socket that records `METHOD /path` of every request. */
export function startRecordingProxy(socketPath: string, engineSocket: string) {
  const calls: string[] = [];
  const server = Bun.serve({
    unix: socketPath,
    async fetch(req) {
      const url = new URL(req.url);
      calls.push(`${req.method} ${url.pathname}`);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(`http://docker${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body, unix: engineSocket } as RequestInit);
      return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
    },
  });
  return { calls, dockerHost: `unix://${socketPath}`, stop: () => server.stop(true) };
}

/** `addr:port` of every running task of a service (host-mode port `target`), optionally only those whose image contains `image`. */
export async function readTaskEndpoints(d: DockerClient, service: string, target = 80, image?: string): Promise<string[]> {
  const [tasks, nodes] = await Promise.all([
    d.json<any[]>("GET", "/tasks", { query: { filters: { service: [service], "desired-state": ["running"] } } }),
    d.json<any[]>("GET", "/nodes"),
  ]);
  const addr = new Map(nodes.map((n) => [n.ID, n.Status?.Addr]));
  const out = new Set<string>();
  for (const t of tasks) {
    if (t.Status?.State !== "running") continue;
    if (image && !String(t.Spec?.ContainerSpec?.Image).includes(image)) continue;
    const p = (t.Status?.PortStatus?.Ports ?? []).find((x: any) => x.TargetPort === target);
    if (p && addr.get(t.NodeID)) out.add(`${addr.get(t.NodeID)}:${p.PublishedPort}`);
  }
  return [...out].sort();
}

/** Points Caddy's srv0 at `upstreams` (retrying dials elsewhere for up to 3 s). */
export async function routeTo(adminUrl: string, upstreams: string[]): Promise<void> {
  const route = {
    handle: [
      {
        handler: "reverse_proxy",
        upstreams: upstreams.map((dial) => ({ dial })),
        load_balancing: { selection_policy: { policy: "round_robin" }, try_duration: "3s", try_interval: "50ms" },
      },
    ],
  };
  const res = await fetch(`${adminUrl}/config/apps/http/servers/srv0/routes`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([route]),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`caddy PATCH routes: ${res.status} ${await res.text()}`);
}

/** Keeps Caddy's upstreams equal to the service's running tasks, every `everyMs`, until stopped. */
export function followService(d: DockerClient, adminUrl: string, service: string, everyMs = 100) {
  let stopped = false;
  let current = "";
  const changes: string[][] = [];
  const loop = (async () => {
    while (!stopped) {
      const eps = await readTaskEndpoints(d, service);
      if (eps.length && eps.join(",") !== current) {
        await routeTo(adminUrl, eps);
        current = eps.join(",");
        changes.push(eps);
      }
      await Bun.sleep(everyMs);
    }
  })();
  return {
    changes,
    stop: async () => {
      stopped = true;
      return await loop;
    },
  };
}
