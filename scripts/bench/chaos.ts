#!/usr/bin/env bun
// Chaos benchmark of `deployster serve`: what breaks after a deploy went live, under
// continuous load through a real Caddy (a bounded load generator, 4 workers, GET / with
// Host: <service>.<domain> on 127.0.0.1; the instances are on loopback or, for (c), on the
// lab's own address).
//   (a) `docker kill` of one of 3 live instances         goal: 0 failed, ≤ 10 s
//   (b) Caddy restarted (SIGKILL, then its initial config) goal: routes back ≤ 5 s
//   (c) dockerd restarted (SIGTERM, then start), on a lab engine of our own
//       (scripts/swarm-lab.sh, one plain dockerd in a network namespace; the main dockerd
//       is never touched)                                 goal: ≤ 30 s after the engine is back
//   (d) SIGKILL of serve mid-rollout (v1 → slow, 3 instances; serve started again on the
//       same address)                                     goal: 0 failed
// For each: requests sent and failed, and seconds until every instance is ready and routed
// again (units all launched and routed, Caddy's upstreams exactly theirs). Failures are
// split by time where a component was down on purpose (Caddy not listening, every instance
// gone with its dockerd): no proxy can answer then. Prints figures; no assertions.
// Everything carries deployster.test=bench-chaos-<run> and is removed at the end.
// Usage: bun scripts/bench/chaos.ts   (needs bin/deployster, fixture images app:v1/slow, root for the lab)
import { DockerClient } from "../../src/docker/client";
import { startCaddy, type Caddy } from "../../test/support/caddy";
import { startLab, type Lab } from "../../test/support/lab";
import { startLoad, type Load, type LoadStats } from "../../test/integration/server/load";
import { freePort } from "../../test/support/registry";
import { cleanUp, pollUntil, startServeProcess, tagVersions, type ServeProcess, type ServeProcessOptions } from "./serve-process";

const RUN = Math.random().toString(36).slice(2, 6);
const LABEL = `deployster.test=bench-chaos-${RUN}`;
const PREFIX = `benchchaos${RUN}`;
const DOMAIN = "chaos.local";
const SVC = "chaos";
const LAB_SVC = "chaoslab";
const N = 3;
const docker = DockerClient.fromEnv();

interface Unit {
  container_id: string;
  version: string;
  current_state: string;
  routed: boolean | null;
  host_port: number | null;
}

async function upstreams(caddy: Caddy, service: string): Promise<string[]> {
  const r = await fetch(`${caddy.adminUrl}/id/deployster-proxy-${service}.${DOMAIN}/upstreams`, { signal: AbortSignal.timeout(2000) });
  if (r.status !== 200) return [];
  return ((await r.json()) as { dial: string }[]).map((u) => u.dial).sort();
}

/** Every instance (of `version`) launched and routed, and Caddy routes exactly them. */
async function allServing(s: ServeProcess, caddy: Caddy, service: string, host: string, version: string): Promise<boolean> {
  const r = await s.json<{ units: Unit[] }>("GET", `/v1/services/${service}/units`);
  if (r.status !== 200) return false;
  const us = r.body.units;
  const dials = us.map((u) => `${host}:${u.host_port}`).sort();
  return us.length === N && us.every((u) => u.version === version && u.current_state === "launched" && u.routed === true) && JSON.stringify(await upstreams(caddy, service)) === JSON.stringify(dials);
}

async function waitServing(s: ServeProcess, caddy: Caddy, service: string, host: string, version: string, timeoutMs = 120_000): Promise<number> {
  await pollUntil(`${service} serving`, async () => ((await allServing(s, caddy, service, host, version).catch(() => false)) ? true : undefined), timeoutMs, 50);
  return Date.now();
}

async function deployLive(s: ServeProcess, service: string, version: string, destroyPrevious: boolean): Promise<void> {
  const r = await s.call("POST", `/v1/services/${service}/deploys`, { deploy: { version, instance_count: N, destroy_previous: destroyPrevious } });
  if (r.status !== 201) throw new Error(`deploy ${service} ${version}: ${r.status} ${await r.text()}`);
  const state = await pollUntil(`${service} ${version}`, async () => {
    const d = await s.json("GET", `/v1/services/${service}/deploys/${version}`);
    return d.status === 200 && d.body.deploy.state !== "rolling" ? d.body.deploy : undefined;
  }, 120_000, 50);
  if (state.state !== "live") throw new Error(`deploy ${service} ${version}: ${state.state}: ${state.reason}`);
}

interface Figures {
  name: string;
  stats: LoadStats;
  recoverS: number;
  recoverFrom: string;
  goal: string;
  /** Failures inside [from, to): a component was down on purpose, or back without its state. */
  windows?: { from: number; to: number; what: string }[];
}

const results: Figures[] = [];

function report(f: Figures): void {
  results.push(f);
  let rest = f.stats.failed;
  const parts = (f.windows ?? []).map((w) => {
    const n = f.stats.samples.filter((x) => !x.ok && x.at >= w.from && x.at < w.to).length;
    rest -= n;
    return `${n} while ${w.what}`;
  });
  const split = parts.length ? ` (${[...parts, `${rest} otherwise`].join(", ")})` : "";
  console.log(`${f.name}`);
  console.log(`  requests ${f.stats.total}, failed ${f.stats.failed}${split}, retried on a closed keep-alive ${f.stats.retried}`);
  console.log(`  every instance ready and routed again ${f.recoverS.toFixed(2)} s after ${f.recoverFrom}   [goal ${f.goal}]`);
  if (f.stats.failed) console.log(`  first failures: ${JSON.stringify(f.stats.failures.slice(0, 3).map((x) => ({ status: x.status, error: x.error?.slice(0, 80) })))}`);
}

async function underLoad(caddy: Caddy, service: string, expect: string[], fn: (load: Load) => Promise<Omit<Figures, "stats">>): Promise<void> {
  const load = startLoad({ port: caddy.httpPort, host: `${service}.${DOMAIN}`, expect, concurrency: 4, timeoutMs: 20_000 });
  await Bun.sleep(1000);
  const f = await fn(load);
  await Bun.sleep(1000);
  report({ ...f, stats: await load.stop() });
}

let caddy: Caddy | undefined;
let serve: ServeProcess | undefined;
let labServe: ServeProcess | undefined;
let lab: Lab | undefined;
const refs: string[] = [];
try {
  refs.push(...(await tagVersions(docker, "deployster/app:v1", PREFIX, SVC, ["v1"])), ...(await tagVersions(docker, "deployster/app:slow", PREFIX, SVC, ["slow"])));
  caddy = await startCaddy();
  const c = caddy;
  const serveOptions: ServeProcessOptions = {
    password: `chaos-${RUN}`,
    prefix: PREFIX,
    labels: LABEL,
    port: freePort(),
    args: ["--caddy-admin", c.adminUrl, "--domain", DOMAIN, "--health-timeout", "30s"],
    env: { DEPLOYSTER_DRAIN_MS: "300" },
  };
  serve = await startServeProcess(serveOptions);
  await deployLive(serve, SVC, "v1", false);
  await waitServing(serve, c, SVC, "127.0.0.1", "v1");
  console.log(`chaos: ${N} instances of ${SVC} behind Caddy, load of 4 workers\n`);

  await underLoad(c, SVC, ["v1"], async () => {
    const victim = (await serve!.json<{ units: Unit[] }>("GET", `/v1/services/${SVC}/units`)).body.units[0]!;
    const t0 = Date.now();
    await docker.call("POST", `/containers/${victim.container_id}/kill`, { query: { signal: "SIGKILL" } });
    // Wait for the death to be seen before waiting for the recovery.
    await pollUntil("the victim to be unrouted", async () => ((await upstreams(c, SVC)).includes(`127.0.0.1:${victim.host_port}`) ? undefined : true), 10_000, 10);
    const t1 = await waitServing(serve!, c, SVC, "127.0.0.1", "v1");
    return { name: "(a) docker kill of one live instance", recoverS: (t1 - t0) / 1000, recoverFrom: "the kill", goal: "0 failed, ≤ 10 s" };
  });

  await underLoad(c, SVC, ["v1"], async () => {
    const t0 = Date.now();
    await c.restart();
    const up = Date.now();
    const t1 = await waitServing(serve!, c, SVC, "127.0.0.1", "v1");
    return { name: "(b) Caddy restarted with its initial configuration", recoverS: (t1 - t0) / 1000, recoverFrom: `the kill (Caddy itself took ${((up - t0) / 1000).toFixed(2)} s to listen again)`, goal: "≤ 5 s",
      windows: [
        { from: t0 - 5000, to: up, what: "Caddy was down" },
        { from: up, to: t1, what: "the new Caddy had no routes yet (it answers an empty 200)" },
      ],
    };
  });

  await underLoad(c, SVC, ["v1", "slow"], async () => {
    const r = await serve!.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "slow", destroy_previous: true } });
    if (r.status !== 201) throw new Error(`deploy slow: ${r.status}`);
    await Bun.sleep(1500);
    const rec = (await serve!.json("GET", `/v1/services/${SVC}/deploys/slow`)).body.deploy;
    const t0 = Date.now();
    await serve!.kill();
    serve = await startServeProcess(serveOptions);
    await pollUntil("slow live", async () => {
      const d = await serve!.json("GET", `/v1/services/${SVC}/deploys/slow`);
      return d.status === 200 && d.body.deploy.state !== "rolling" ? d.body.deploy.state : undefined;
    }, 120_000, 50);
    const t1 = await waitServing(serve!, c, SVC, "127.0.0.1", "slow");
    return { name: `(d) SIGKILL of serve mid-rollout (v1 → slow; killed while the record said ${rec.state}, instances ${rec.instances.map((i: any) => i.state).join("/")})`, recoverS: (t1 - t0) / 1000, recoverFrom: "the SIGKILL", goal: "0 failed" };
  });

  // (c) on a lab engine of our own.
  lab = await startLab({ name: "healc", net: 215, nodes: 1, swarm: false });
  const node = lab.nodeAddresses[0]!;
  refs.push(...(await tagVersions(docker, "deployster/app:v1", PREFIX, LAB_SVC, ["v1"])));
  await lab.push(`${PREFIX}/${LAB_SVC}:v1`);
  labServe = await startServeProcess({
    password: `chaos-${RUN}`,
    prefix: PREFIX,
    labels: LABEL,
    args: ["--registry-url", lab.registry, "--publish-host", node, "--instance-host", node, "--health-path", "/", "--health-timeout", "30s", "--caddy-admin", c.adminUrl, "--domain", DOMAIN],
    env: { DOCKER_HOST: lab.dockerHost, DEPLOYSTER_DRAIN_MS: "300" },
  });
  await deployLive(labServe, LAB_SVC, "v1", false);
  await waitServing(labServe, c, LAB_SVC, node, "v1");
  await underLoad(c, LAB_SVC, ["v1"], async () => {
    const t0 = Date.now();
    await lab!.nodeStop(1, "TERM");
    await lab!.nodeStart(1);
    const back = Date.now();
    const t1 = await waitServing(labServe!, c, LAB_SVC, node, "v1");
    return {
      name: `(c) dockerd restarted (lab engine; down for ${((back - t0) / 1000).toFixed(2)} s with every instance)`,
      recoverS: (t1 - back) / 1000,
      recoverFrom: "the engine's return",
      goal: "≤ 30 s after the engine is back",
      windows: [{ from: t0 - 1000, to: t1, what: "the engine and every instance were down or starting" }],
    };
  });
  console.log(`\nserve still running after (c): ${labServe.proc.exitCode === null}`);
} catch (err) {
  console.error(`chaos failed: ${(err as Error).stack ?? err}`);
  for (const s of [serve, labServe]) if (s) console.error(s.output().split("\n").slice(-25).join("\n"));
  process.exitCode = 1;
} finally {
  if (labServe) await labServe.stop();
  if (serve) await serve.stop();
  await caddy?.stop();
  await lab?.stop().catch((err) => console.error(`lab down: ${(err as Error).message}`));
  await cleanUp(docker, LABEL, refs);
}
