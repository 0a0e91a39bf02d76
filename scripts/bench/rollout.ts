#!/usr/bin/env bun
// Benchmark for `deployster serve`, side by side in one run on the same engine and
// images:
//   (a) a 3-instance v1→v2 rollout, start-first, with readiness-equivalent health checks:
//       deployster (POST deploy with destroy_previous, routed through Caddy) until the deploy
//       is `live` (all new instances ready and routed, all old ones drained and removed)
//       vs `docker service update --image ... --update-order start-first` on a single-node
//       Swarm (initialised here, left at the end) until 3 new tasks run healthy and no old
//       one runs.                                                    target ≤ 1.0 × Swarm
//       A bounded load generator on 127.0.0.1 sends requests through Caddy the whole time
//       of deployster's rollouts and counts failures.                 target 0
//       (Swarm's routing mesh is not reachable on 127.0.0.1 here: its ingress DNAT needs
//       route_localnet, and only loopback is allowed as a load target, so Swarm's rollout is
//       timed without load; its service still publishes port 3000 through the mesh.)
//   (b) a task `echo hi`: POST /v1/services/<s>/tasks (whole streamed body) vs
//       `docker run --rm <image> echo hi`.                            target ≤ 1.2 × docker run
// Each measurement is repeated (alternating which side goes first); medians are shown.
// Readiness: deployster probes the container port (TCP) polling at 50 ms…1 s; Swarm runs a
// HEALTHCHECK `wget http://127.0.0.1:3000/` every 250 ms (its tasks stay `starting` until
// healthy, which is what start-first waits for). Update parallelism: all 3 at once on both.
// Everything carries deployster.test=bench-rollout and is removed at the end.
// Usage: bun scripts/bench/rollout.ts [repetitions=3]  (needs bin/deployster, fixture image app)
//        bun scripts/bench/rollout.ts --swarm [repetitions=3]: the same rollout on a 3-node
//        Swarm lab, deployster serve --swarm vs Swarm's own update, and failover
//        (scripts/bench/rollout-swarm.ts; needs root for the lab)
import { resolve, join } from "node:path";
import { DockerClient } from "../../src/docker/client";
import { listContainers, removeContainer } from "../../src/docker/containers";
import { inspectImage, removeImage, tagImage } from "../../src/docker/images";
import { startCaddy, type Caddy } from "../../test/support/caddy";
import { freePort } from "../../test/support/registry";
import { startLoad, type LoadStats } from "../../test/integration/server/load";
import { fmtMs, median, ratio, timed, pollEvery } from "./stats";

const SWARM_MODE = process.argv.includes("--swarm");
const REPS = Number(process.argv.slice(2).filter((a) => a !== "--swarm")[0] ?? 3);
const ROOT = resolve(import.meta.dir, "../..");
const BIN = join(ROOT, "bin/deployster");
const LABEL = "deployster.test=bench-rollout";
const RUN = Math.random().toString(36).slice(2, 6);
const PREFIX = `benchrollout${RUN}`;
const SVC = "app";
const DOMAIN = "bench.local";
const PASSWORD = `bench-${RUN}`;
const docker = DockerClient.fromEnv();

function sh(argv: string[], allowFail = false): string {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0 && !allowFail) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${p.stderr.toString().trim()}`);
  return p.stdout.toString().trim();
}

const poll = pollEvery(50);

// ---- deployster side ---------------------------------------------------------------------

interface Server {
  url: string;
  proc: ReturnType<typeof Bun.spawn>;
}

const auth = { authorization: `Basic ${Buffer.from(`deployster:${PASSWORD}`).toString("base64")}` };

async function startServer(caddy: Caddy): Promise<Server> {
  const port = freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("DEPLOYSTER_")) env[k] = v;
  env.DEPLOYSTER_SERVE_LABELS = LABEL;
  const proc = Bun.spawn(
    [BIN, "serve", "--listen", `127.0.0.1:${port}`, "--password", PASSWORD, "--docker-hub-username", PREFIX, "--caddy-admin", caddy.adminUrl, "--domain", DOMAIN],
    { env, stdout: "ignore", stderr: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  await poll("deployster serve", async () => ((await fetch(`${url}/v1/version`, { headers: auth })).ok ? true : undefined), 30_000);
  return { url, proc };
}

async function api(s: Server, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${s.url}${path}`, {
    method,
    headers: { ...auth, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function deployAndWait(s: Server, version: string, destroyPrevious: boolean, instances: number): Promise<void> {
  const res = await api(s, "POST", `/v1/services/${SVC}/deploys`, { deploy: { version, destroy_previous: destroyPrevious, instance_count: instances } });
  if (res.status !== 201) throw new Error(`deploy ${version}: ${res.status} ${await res.text()}`);
  const location = res.headers.get("location")!;
  const state = await poll(`deploy ${version}`, async () => {
    const r = (await (await api(s, "GET", location)).json()) as { deploy: { state: string; reason: string } };
    return r.deploy.state === "rolling" ? undefined : r.deploy;
  });
  if (state.state !== "live") throw new Error(`deploy ${version} ${state.state}: ${state.reason}`);
}

async function deploysterRollout(s: Server, caddy: Caddy): Promise<{ ms: number; load: LoadStats }> {
  await deployAndWait(s, "v1", false, 3);
  const load = startLoad({ port: caddy.httpPort, host: `${SVC}.${DOMAIN}`, expect: ["v1", "v2"], concurrency: 4 });
  await Bun.sleep(300);
  const [ms] = await timed(() => deployAndWait(s, "v2", true, 0));
  await Bun.sleep(300);
  const stats = await load.stop();
  const d = await api(s, "DELETE", `/v1/services/${SVC}/deploys/v2`);
  if (d.status !== 204) throw new Error(`destroy: ${d.status}`);
  return { ms, load: stats };
}

async function deploysterTask(s: Server): Promise<number> {
  const [ms, body] = await timed(async () => (await api(s, "POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo hi" } })).text());
  if (body !== "hi\n\nExited (0) \n") throw new Error(`task: unexpected body ${JSON.stringify(body)}`);
  return ms;
}

// ---- Swarm side ----------------------------------------------------------------------------

async function swarmTasks(service: string): Promise<any[]> {
  return docker.json("GET", "/tasks", { query: { filters: { service: [service] } } });
}

function imageOf(t: any): string {
  return String(t?.Spec?.ContainerSpec?.Image ?? "").replace(/@sha256:.*/, "");
}

async function swarmRollout(): Promise<{ ms: number; load?: LoadStats }> {
  const name = `benchrollout-${RUN}-${Math.random().toString(36).slice(2, 6)}`;
  const port = freePort();
  const v1 = `${PREFIX}/${SVC}:v1`;
  const v2 = `${PREFIX}/${SVC}:v2`;
  sh([
    "docker", "service", "create", "--detach", "--quiet", "--no-resolve-image",
    "--name", name, "--replicas", "3",
    "--publish", `published=${port},target=3000`,
    "--health-cmd", "wget -q -O /dev/null http://127.0.0.1:3000/ || exit 1",
    "--health-interval", "250ms", "--health-timeout", "1s", "--health-retries", "1", "--health-start-period", "0s",
    "--update-order", "start-first", "--update-parallelism", "3", "--update-delay", "0s",
    "--label", LABEL, "--container-label", "deployster.managed=true", "--container-label", LABEL,
    v1,
  ]);
  try {
    await poll("swarm v1", async () => {
      const ts = await swarmTasks(name);
      return ts.filter((t) => t.Status?.State === "running" && imageOf(t) === v1).length === 3 ? true : undefined;
    });
    await Bun.sleep(300);
    const [ms] = await timed(async () => {
      sh(["docker", "service", "update", "--detach", "--quiet", "--no-resolve-image", "--image", v2, name]);
      await poll("swarm v2", async () => {
        const ts = await swarmTasks(name);
        const fresh = ts.filter((t) => imageOf(t) === v2 && t.Status?.State === "running" && t.DesiredState === "running").length;
        const oldRunning = ts.filter((t) => imageOf(t) === v1 && ["running", "starting", "preparing", "assigned", "accepted", "pending"].includes(t.Status?.State)).length;
        return fresh === 3 && oldRunning === 0 ? true : undefined;
      });
    });
    return { ms };
  } finally {
    sh(["docker", "service", "rm", name], true);
    await poll("swarm service containers to go", async () => ((await listContainers(docker, { all: true, labels: [`com.docker.swarm.service.name=${name}`] })).length === 0 ? true : undefined), 60_000, 200).catch(() => {});
  }
}

function dockerRun(): number {
  const t0 = performance.now();
  const out = sh(["docker", "run", "--rm", "--label", "deployster.managed=true", "--label", LABEL, `${PREFIX}/${SVC}:v1`, "echo", "hi"]);
  const ms = performance.now() - t0;
  if (out !== "hi") throw new Error(`docker run: ${out}`);
  return ms;
}

// ---- main ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  for (const v of ["v1", "v2"]) {
    if (!(await inspectImage(docker, `deployster/app:${v}`))) throw new Error(`fixture image deployster/app:${v} missing (bash scripts/build-fixture-images.sh app)`);
    await tagImage(docker, `deployster/app:${v}`, `${PREFIX}/${SVC}`, v);
  }
  const swarmState = sh(["docker", "info", "--format", "{{.Swarm.LocalNodeState}}"]);
  const weInit = swarmState === "inactive";
  if (weInit) sh(["docker", "swarm", "init", "--advertise-addr", "127.0.0.1"]);
  else if (swarmState !== "active") throw new Error(`the engine's Swarm state is ${swarmState}`);
  const caddy = await startCaddy();
  let server: Server | undefined;
  try {
    server = await startServer(caddy);
    console.log(`rollout benchmark: ${REPS} repetition(s), 3 instances v1→v2, start-first; Swarm ${weInit ? "initialised for this run" : "already active"}`);
    const ds: { ms: number; load: LoadStats }[] = [];
    const sw: { ms: number; load?: LoadStats }[] = [];
    for (let i = 0; i < REPS; i++) {
      const order = i % 2 === 0 ? ["deployster", "swarm"] : ["swarm", "deployster"];
      for (const who of order) {
        if (who === "deployster") {
          const r = await deploysterRollout(server, caddy);
          ds.push(r);
          console.log(`  #${i + 1} deployster ${fmtMs(r.ms).padStart(9)}   under load through Caddy: ${r.load.total} requests, ${r.load.failed} failed (${r.load.retried} resent once on a closed keep-alive connection)`);
        } else {
          const r = await swarmRollout();
          sw.push(r);
          console.log(`  #${i + 1} swarm      ${fmtMs(r.ms).padStart(9)}`);
        }
      }
    }
    const taskReps = Math.max(5, REPS * 2);
    const apiTask: number[] = [];
    const runTask: number[] = [];
    await deploysterTask(server); // warm-up (image inspected, code paths loaded)
    dockerRun();
    for (let i = 0; i < taskReps; i++) {
      if (i % 2 === 0) {
        apiTask.push(await deploysterTask(server));
        runTask.push(dockerRun());
      } else {
        runTask.push(dockerRun());
        apiTask.push(await deploysterTask(server));
      }
    }
    const dMs = median(ds.map((r) => r.ms));
    const sMs = median(sw.map((r) => r.ms));
    const aMs = median(apiTask);
    const rMs = median(runTask);
    const fails = ds.reduce((n, r) => n + r.load.failed, 0);
    const reqs = ds.reduce((n, r) => n + r.load.total, 0);
    const resent = ds.reduce((n, r) => n + r.load.retried, 0);
    console.log("");
    console.log("                                   deployster     baseline      ratio   target");
    console.log(`rollout 3× v1→v2 (median of ${REPS})     ${fmtMs(dMs).padStart(9)}    ${fmtMs(sMs).padStart(9)}      ${ratio(dMs, sMs).padStart(5)}   ≤ 1.00 × swarm service update`);
    console.log(`task "echo hi" (median of ${taskReps})        ${fmtMs(aMs).padStart(9)}    ${fmtMs(rMs).padStart(9)}      ${ratio(aMs, rMs).padStart(5)}   ≤ 1.20 × docker run --rm`);
    console.log(`failed requests under load         ${String(fails).padStart(9)}          n/a              0 (of ${reqs} requests through Caddy during deployster's rollouts; ${resent} resent once after Caddy closed an idle keep-alive connection)`);
    const sample = ds.flatMap((r) => r.load.failures).slice(0, 3);
    if (sample.length) console.log(`  e.g. ${sample.map((f) => `${f.status} ${f.error ?? f.body}`).join("; ")}`);
  } finally {
    if (server) {
      server.proc.kill("SIGTERM");
      await server.proc.exited;
    }
    await caddy.stop();
    for (const c of await listContainers(docker, { all: true, labels: [LABEL] })) await removeContainer(docker, c.Id, { force: true });
    if (weInit) sh(["docker", "swarm", "leave", "--force"], true);
    for (const v of ["v1", "v2"]) await removeImage(docker, `${PREFIX}/${SVC}:${v}`).catch(() => {});
  }
}

const run = SWARM_MODE ? async () => (await import("./rollout-swarm")).runSwarmBench(REPS) : main;
await run().catch((err) => {
  console.error(`benchmark failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
