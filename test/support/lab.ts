/**
 * The Swarm lab (scripts/swarm-lab.sh) for tests: N dockerds in their own network namespaces
 * on this machine, a registry on the host's lab address. Each test file names its own lab
 * (LAB_NAME, LAB_NET) so it never meets a lab someone else is running.
 *
 *   const lab = await startLab({ name: "swt", net: 221 });
 *   await lab.push("deployster-fixture/web:1");   // → `${lab.registry}/web:1`
 *   ... lab.docker (a client of the manager) ...
 *   await lab.stop();
 */
import { join } from "node:path";
import { DockerClient } from "../../src/docker/client";
import { parseDockerHost } from "../../src/docker/host";
import { ROOT } from "./binary";

export const LAB_SCRIPT = join(ROOT, "scripts/swarm-lab.sh");

export interface LabOptions {
  /** LAB_NAME: prefix of namespaces, links, files ([a-z][a-z0-9]{0,7}). */
  name: string;
  /** LAB_NET: the lab range is 10.<net>.0.0/16. */
  net: number;
  nodes?: number;
  /** false: plain engines, no Swarm. */
  swarm?: boolean;
  /** "user:password": the lab registry requires basic auth. */
  registryAuth?: string;
}

export interface Lab {
  name: string;
  /** DOCKER_HOST of node 1 (the manager when swarm). */
  dockerHost: string;
  /** "10.<net>.0.1:5000" */
  registry: string;
  /** The host's own address on the lab link, and the link's name. */
  hostAddress: string;
  link: string;
  nodeAddresses: string[];
  docker: DockerClient;
  /** Seconds `up` took. */
  upSeconds: number;
  env: Record<string, string>;
  run(...args: string[]): Promise<string>;
  push(...images: string[]): Promise<string[]>;
  nodeStop(n: number, signal?: "KILL" | "TERM"): Promise<void>;
  nodeStart(n: number): Promise<void>;
  /** `down`; returns its seconds. Safe to call twice. */
  stop(): Promise<number>;
}

/** Runs swarm-lab.sh with the lab's environment; throws with its stderr on failure. */
export async function runLabScript(env: Record<string, string>, args: string[]): Promise<string> {
  const p = Bun.spawn(["bash", LAB_SCRIPT, ...args], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`swarm-lab.sh ${args.join(" ")} exited ${code}:\n${err}${out}`);
  return out;
}

export function labEnv(options: LabOptions): Record<string, string> {
  return {
    LAB_NAME: options.name,
    LAB_NET: String(options.net),
    LAB_NODES: String(options.nodes ?? 3),
    LAB_SWARM: options.swarm === false ? "0" : "1",
    LAB_REGISTRY_AUTH: options.registryAuth ?? "",
  };
}

/** `up` (after a `down` of anything a crashed earlier run left), parsing its exports. */
export async function startLab(options: LabOptions): Promise<Lab> {
  const env = labEnv(options);
  await runLabScript(env, ["down"]);
  const started = performance.now();
  let out: string;
  try {
    out = await runLabScript(env, ["up"]);
  } catch (err) {
    await runLabScript(env, ["down"]).catch(() => {});
    throw err;
  }
  const upSeconds = (performance.now() - started) / 1000;
  const exports = Object.fromEntries(
    [...out.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!] as [string, string]),
  );
  const dockerHost = exports.DOCKER_HOST;
  const registry = exports.DEPLOYSTER_LAB_REGISTRY;
  if (!dockerHost || !registry) throw new Error(`swarm-lab.sh up printed no exports:\n${out}`);
  let stopped = false;
  const lab: Lab = {
    name: options.name,
    dockerHost,
    registry,
    hostAddress: `10.${options.net}.0.1`,
    link: `${options.name}-host`,
    nodeAddresses: Array.from({ length: options.nodes ?? 3 }, (_, i) => `10.${options.net}.0.${11 + i}`),
    docker: new DockerClient(parseDockerHost({ DOCKER_HOST: dockerHost })),
    upSeconds,
    env,
    run: (...args) => runLabScript(env, args),
    push: async (...images) => (await runLabScript(env, ["push", ...images])).trim().split("\n"),
    nodeStop: async (n, signal = "KILL") => void (await runLabScript(env, ["node-stop", String(n), signal])),
    nodeStart: async (n) => void (await runLabScript(env, ["node-start", String(n)])),
    stop: async () => {
      if (stopped) return 0;
      stopped = true;
      const t = performance.now();
      await runLabScript(env, ["down"]);
      return (performance.now() - t) / 1000;
    },
  };
  return lab;
}
