// The Swarm mode of scripts/bench/rollout.ts (`bun scripts/bench/rollout.ts --swarm [reps]`),
// on a 3-node lab (scripts/swarm-lab.sh, brought up and removed here), in one run:
//   (a) a 3-instance v1→v2 rollout: `deployster serve --swarm` (POST deploy with
//       destroy_previous, routed through Caddy, until `live`) vs `docker service update
//       --update-order start-first --update-parallelism 3` of an equivalent 3-replica service
//       (same images from the lab registry, host-mode port, a HEALTHCHECK every 250 ms),
//       until 3 new tasks run and no old one does.                 target ≤ 0.6 × Swarm
//       A bounded load generator sends requests through Caddy during deployster's rollouts.
//                                                                  target 0 failed
//   (b) failover: a worker running an instance has its dockerd killed; from the kill, the
//       seconds until Swarm reports 3 running tasks off that node (Swarm's own reschedule)
//       and until serve has all 3 instances ready and routed again.
//                                                                  target ≤ Swarm + 5 s
// Everything is removed at the end (the lab with its nodes, Caddy, serve, the image tags).
import { join, resolve } from "node:path";
import { DockerClient } from "../../src/docker/client";
import { removeImage, tagImage } from "../../src/docker/images";
import { startCaddy, type Caddy } from "../../test/support/caddy";
import { startLab, type Lab } from "../../test/support/lab";
import { freePort } from "../../test/support/registry";
import { startLoad, type LoadStats } from "../../test/integration/server/load";
import { fmtMs, median, ratio, timed, pollEvery } from "./stats";

const ROOT = resolve(import.meta.dir, "../..");
const BIN = join(ROOT, "bin/deployster");
const RUN = Math.random().toString(36).slice(2, 6);
const PREFIX = `benchswarm${RUN}`;
const SVC = "app";
const DOMAIN = "bench-swarm.local";
const PASSWORD = `bench-${RUN}`;
/** Pause between unrouting an old instance and stopping it (serve's default is 1000 ms). */
const DRAIN_MS = 500;
const auth = { authorization: `Basic ${Buffer.from(`deployster:${PASSWORD}`).toString("base64")}` };

const poll = pollEvery(100);

function sh(argv: string[], env: Record<string, string>, allowFail = false): string {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  if (p.exitCode !== 0 && !allowFail) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${p.stderr.toString().trim()}`);
  return p.stdout.toString().trim();
}

interface Serve {
  url: string;
  proc: ReturnType<typeof Bun.spawn>;
}

async function startSwarmServe(lab: Lab, caddy: Caddy): Promise<Serve> {
  const port = freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("DEPLOYSTER_")) env[k] = v;
  Object.assign(env, { DOCKER_HOST: lab.dockerHost, DEPLOYSTER_DRAIN_MS: String(DRAIN_MS) });
  const proc = Bun.spawn(
    [BIN, "serve", "--swarm", "--listen", `127.0.0.1:${port}`, "--password", PASSWORD, "--registry-url", lab.registry, "--caddy-admin", caddy.adminUrl, "--domain", DOMAIN],
    { env, stdout: "ignore", stderr: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  await poll("deployster serve --swarm", async () => ((await fetch(`${url}/v1/version`, { headers: auth })).ok ? true : undefined), 30_000);
  return { url, proc };
}

async function api(s: Serve, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${s.url}${path}`, { method, headers: { ...auth, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, location: r.headers.get("location"), body: text ? JSON.parse(text) : undefined };
}

async function deployAndWait(s: Serve, version: string, destroyPrevious: boolean, instances: number): Promise<void> {
  const r = await api(s, "POST", `/v1/services/${SVC}/deploys`, { deploy: { version, destroy_previous: destroyPrevious, instance_count: instances } });
  if (r.status !== 201) throw new Error(`deploy ${version}: ${r.status}`);
  const rec = await poll(`deploy ${version}`, async () => {
    const d = (await api(s, "GET", r.location)).body.deploy;
    return d.state === "rolling" ? undefined : d;
  });
  if (rec.state !== "live") throw new Error(`deploy ${version} ${rec.state}: ${rec.reason}`);
}

/** 3 launched, routed units of `version`, none on `avoid`; the router holds exactly their dials. */
async function serving(s: Serve, lab: Lab, caddy: Caddy, version: string, avoid?: string): Promise<true | undefined> {
  const us: any[] = (await api(s, "GET", `/v1/services/${SVC}/units`)).body.units;
  if (us.length !== 3 || !us.every((u) => u.version === version && u.current_state === "launched" && u.routed && u.machine_id !== avoid)) return undefined;
  const nodes = await lab.docker.json<any[]>("GET", "/nodes");
  const addr = new Map(nodes.map((n) => [n.ID, n.Status.Addr]));
  const dials = us.map((u) => `${addr.get(u.machine_id)}:${u.host_port}`).sort();
  const r = await fetch(`${caddy.adminUrl}/id/deployster-proxy-${SVC}.${DOMAIN}/upstreams`);
  const up = ((await r.json()) as { dial: string }[]).map((u) => u.dial).sort();
  return JSON.stringify(up) === JSON.stringify(dials) ? true : undefined;
}

async function deploysterRollout(s: Serve, lab: Lab, caddy: Caddy): Promise<{ ms: number; load: LoadStats }> {
  await deployAndWait(s, "v1", false, 3);
  await poll("v1 serving", () => serving(s, lab, caddy, "v1"));
  const load = startLoad({ port: caddy.httpPort, host: `${SVC}.${DOMAIN}`, expect: ["v1", "v2"], concurrency: 3 });
  await Bun.sleep(300);
  const [ms] = await timed(() => deployAndWait(s, "v2", true, 0));
  await Bun.sleep(300);
  const stats = await load.stop();
  if ((await api(s, "DELETE", `/v1/services/${SVC}/deploys/v2`)).status !== 204) throw new Error("destroy v2 failed");
  return { ms, load: stats };
}

function imageOf(t: any): string {
  return String(t?.Spec?.ContainerSpec?.Image ?? "").replace(/@sha256:.*/, "");
}

async function swarmRollout(lab: Lab): Promise<number> {
  const env = { DOCKER_HOST: lab.dockerHost };
  const name = `benchswarm-${RUN}-${Math.random().toString(36).slice(2, 6)}`;
  const [v1, v2] = [`${lab.registry}/${SVC}:v1`, `${lab.registry}/${SVC}:v2`];
  sh([
    "docker", "service", "create", "--detach", "--quiet", "--name", name, "--replicas", "3",
    "--publish", "mode=host,target=3000",
    "--health-cmd", "wget -q -O /dev/null http://127.0.0.1:3000/ || exit 1",
    "--health-interval", "250ms", "--health-timeout", "1s", "--health-retries", "1", "--health-start-period", "0s",
    "--update-order", "start-first", "--update-parallelism", "3", "--update-delay", "0s", v1,
  ], env);
  const tasks = () => lab.docker.json<any[]>("GET", "/tasks", { query: { filters: { service: [name] } } });
  try {
    await poll("swarm v1", async () => ((await tasks()).filter((t) => t.Status?.State === "running" && imageOf(t) === v1).length === 3 ? true : undefined));
    await Bun.sleep(300);
    const [ms] = await timed(async () => {
      sh(["docker", "service", "update", "--detach", "--quiet", "--image", v2, name], env);
      await poll("swarm v2", async () => {
        const ts = await tasks();
        const fresh = ts.filter((t) => imageOf(t) === v2 && t.Status?.State === "running" && t.DesiredState === "running").length;
        const old = ts.filter((t) => imageOf(t) === v1 && ["running", "starting", "preparing", "assigned", "accepted", "pending"].includes(t.Status?.State)).length;
        return fresh === 3 && old === 0 ? true : undefined;
      }, 120_000, 50);
    });
    return ms;
  } finally {
    sh(["docker", "service", "rm", name], env, true);
  }
}

/** Kills the dockerd of a worker running an instance; seconds until Swarm, then serve, have all 3 back. */
async function failover(s: Serve, lab: Lab, caddy: Caddy): Promise<{ swarmMs: number; serveMs: number; load: LoadStats }> {
  await deployAndWait(s, "v1", false, 3);
  await poll("v1 serving", () => serving(s, lab, caddy, "v1"));
  const us: any[] = (await api(s, "GET", `/v1/services/${SVC}/units`)).body.units;
  const nodes = await lab.docker.json<any[]>("GET", "/nodes");
  const victim = nodes.find((n) => n.Spec.Role === "worker" && us.some((u) => u.machine_id === n.ID));
  if (!victim) throw new Error("no worker runs an instance");
  const n = lab.nodeAddresses.indexOf(victim.Status.Addr) + 1;
  const load = startLoad({ port: caddy.httpPort, host: `${SVC}.${DOMAIN}`, expect: ["v1"], concurrency: 2 });
  const t0 = performance.now();
  await lab.nodeStop(n, "KILL");
  let swarmMs = 0;
  const swarmBack = poll("Swarm's reschedule", async () => {
    const services = await lab.docker.json<any[]>("GET", "/services", { query: { filters: { label: [`deployster.service=${SVC}`] } } });
    const ts = await lab.docker.json<any[]>("GET", "/tasks", { query: { filters: { service: services.map((x) => x.ID), "desired-state": ["running"] } } });
    const ok = ts.filter((t) => t.Status?.State === "running" && t.NodeID !== victim.ID).length === 3;
    if (ok) swarmMs = performance.now() - t0;
    return ok ? true : undefined;
  }, 120_000, 100);
  await poll("serve's failover", () => serving(s, lab, caddy, "v1", victim.ID), 120_000, 100);
  const serveMs = performance.now() - t0;
  await swarmBack;
  const stats = await load.stop();
  await lab.nodeStart(n);
  await poll("node back", async () => ((await lab.docker.json<any[]>("GET", "/nodes")).every((x) => x.Status.State === "ready") ? true : undefined));
  if ((await api(s, "DELETE", `/v1/services/${SVC}/deploys/v1`)).status !== 204) throw new Error("destroy v1 failed");
  return { swarmMs, serveMs, load: stats };
}

export async function runSwarmBench(reps: number): Promise<void> {
  const main = DockerClient.fromEnv({});
  for (const v of ["v1", "v2"]) await tagImage(main, `deployster/app:${v}`, `${PREFIX}/${SVC}`, v);
  const lab = await startLab({ name: "bsw", net: 228 });
  let caddy: Caddy | undefined;
  let s: Serve | undefined;
  try {
    await lab.push(`${PREFIX}/${SVC}:v1`, `${PREFIX}/${SVC}:v2`);
    caddy = await startCaddy();
    s = await startSwarmServe(lab, caddy);
    console.log(`swarm rollout benchmark: lab up in ${lab.upSeconds.toFixed(1)} s, ${reps} repetition(s), 3 instances v1→v2, start-first, serve's drain ${DRAIN_MS} ms, failover watch every 1 s (default)`);
    const ds: { ms: number; load: LoadStats }[] = [];
    const sw: number[] = [];
    for (let i = 0; i < reps; i++) {
      for (const who of i % 2 === 0 ? ["deployster", "swarm"] : ["swarm", "deployster"]) {
        if (who === "deployster") {
          const r = await deploysterRollout(s, lab, caddy);
          ds.push(r);
          console.log(`  #${i + 1} deployster ${fmtMs(r.ms).padStart(9)}   through Caddy: ${r.load.total} requests, ${r.load.failed} failed`);
        } else {
          const ms = await swarmRollout(lab);
          sw.push(ms);
          console.log(`  #${i + 1} swarm      ${fmtMs(ms).padStart(9)}`);
        }
      }
    }
    const f = await failover(s, lab, caddy);
    const dMs = median(ds.map((r) => r.ms));
    const sMs = median(sw);
    const fails = ds.reduce((n, r) => n + r.load.failed, 0);
    const reqs = ds.reduce((n, r) => n + r.load.total, 0);
    console.log("");
    console.log("                                   deployster     baseline      ratio   target");
    console.log(`rollout 3× v1→v2 (median of ${reps})     ${fmtMs(dMs).padStart(9)}    ${fmtMs(sMs).padStart(9)}      ${ratio(dMs, sMs).padStart(5)}   ≤ 0.60 × docker service update --update-order start-first`);
    console.log(`failover (dockerd killed)          ${fmtMs(f.serveMs).padStart(9)}    ${fmtMs(f.swarmMs).padStart(9)}   ${`+${((f.serveMs - f.swarmMs) / 1000).toFixed(1)} s`.padStart(8)}   ≤ Swarm's reschedule + 5 s (ready and routed vs Swarm's tasks running)`);
    console.log(`failed requests during rollouts    ${String(fails).padStart(9)}          n/a              0 (of ${reqs} through Caddy)`);
    console.log(`failed requests during failover    ${String(f.load.failed).padStart(9)}          n/a              goal 0 (of ${f.load.total} through Caddy)`);
  } finally {
    if (s) {
      s.proc.kill("SIGTERM");
      await s.proc.exited;
    }
    await caddy?.stop();
    const down = await lab.stop();
    console.log(`lab down in ${down.toFixed(1)} s`);
    for (const v of ["v1", "v2"]) await removeImage(main, `${PREFIX}/${SVC}:${v}`).catch(() => {});
  }
}
