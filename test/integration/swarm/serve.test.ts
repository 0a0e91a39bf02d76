/**
 * `deployster serve --swarm` on a 3-node Swarm lab (scripts/swarm-lab.sh), through the
 * compiled binary and a real Caddy: instances spread over nodes and routed at
 * `<node address>:<published port>`; a v1→v2 rollout under load; a never-ready version
 * leaves the old one serving, and a DELETE during its rollout cancels it; tasks with their real exit codes; ctl and deployctl; serve
 * SIGKILLed mid-rollout resumes; a drained node and a killed dockerd are failed over.
 * Tests run in order and build on each other (one lab for the file: ~2 s up, ~6 s down).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCaddy, type Caddy } from "../../support/caddy";
import { startLab, type Lab } from "../../support/lab";
import { makeDeployctlLink, runBinary } from "../ctl/harness";
import { BIN, PASSWORD, PREFIX, settled, startServe, TestScope, units, waitFor, type Serve, type UnitJson } from "../server/harness";
import { startLoad } from "../server/load";

const scope = new TestScope("swarm");
const SVC = "swapp";
const DOMAIN = "swarm.test";
const HOST = `${SVC}.${DOMAIN}`;
let lab: Lab;
let caddy: Caddy;
let s: Serve;
let link: { path: string; dir: string } | undefined;
/** A Docker client config holding the lab registry's credentials (the registry requires them). */
let dockerConfig: string;
const REGISTRY_AUTH = "swuser:swpass";

const serveArgs = () => [
  "--swarm", "--registry-url", lab.registry, "--caddy-admin", caddy.adminUrl, "--domain", DOMAIN,
  "--health-timeout", "10s", "--task-timeout", "3s",
];
const serveEnv = () => ({ DOCKER_HOST: lab.dockerHost, DOCKER_CONFIG: dockerConfig, DEPLOYSTER_SWARM_WATCH_MS: "500", DEPLOYSTER_DRAIN_MS: "500" });
const startSwarmServe = () => startServe({ scope, args: serveArgs(), env: serveEnv() });

async function upstreams(): Promise<string[]> {
  const r = await fetch(`${caddy.adminUrl}/id/deployster-proxy-${HOST}/upstreams`);
  if (r.status === 404) return [];
  return ((await r.json()) as { dial: string }[]).map((u) => u.dial).sort();
}

async function nodeAddresses(): Promise<Map<string, string>> {
  const nodes = await lab.docker.json<any[]>("GET", "/nodes");
  return new Map(nodes.map((n) => [n.ID, n.Status.Addr]));
}

/** The dials units say the instances run at (machine_id's address : host_port). */
async function unitDials(us: UnitJson[]): Promise<string[]> {
  const addr = await nodeAddresses();
  return us.map((u) => `${addr.get(u.machine_id)}:${u.host_port}`).sort();
}

/** All `count` units of `version` launched and routed, the router holding exactly their dials. */
async function allServing(version: string, count: number, not?: (u: UnitJson) => boolean): Promise<UnitJson[] | undefined> {
  const us = await units(s, SVC);
  if (us.length !== count || !us.every((u) => u.version === version && u.current_state === "launched" && u.routed)) return undefined;
  if (not && us.some(not)) return undefined;
  const dials = await unitDials(us);
  return JSON.stringify(await upstreams()) === JSON.stringify(dials) ? us : undefined;
}

async function task(command: string): Promise<{ status: number; body: string }> {
  const r = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command } });
  return { status: r.status, body: await r.text() };
}

async function swarmServices(component: string): Promise<string[]> {
  const list = await lab.docker.json<any[]>("GET", "/services", { query: { filters: { label: [`deployster.component=${component}`] } } });
  return list.map((x) => x.Spec.Name);
}

beforeAll(async () => {
  await scope.tag(SVC, ["v1", "v2", "v3", "never-ready", "slow"]);
  lab = await startLab({ name: "sws", net: 226, registryAuth: REGISTRY_AUTH });
  dockerConfig = mkdtempSync(join(tmpdir(), "swtest-config-"));
  const auth = Buffer.from(REGISTRY_AUTH).toString("base64");
  writeFileSync(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [lab.registry]: { auth } } }));
  await lab.push(...["v1", "v2", "v3", "never-ready", "slow"].map((v) => `${PREFIX}/${SVC}:${v}`));
  caddy = await startCaddy();
  s = await startSwarmServe();
}, 180_000);

afterAll(async () => {
  if (s) expect(await s.stop()).toBe(0);
  await caddy?.stop();
  if (link) rmSync(link.dir, { recursive: true, force: true });
  if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
  await lab?.stop();
  expect(await scope.cleanup()).toEqual([]);
}, 180_000);

test("--swarm on an engine that is no Swarm manager (a worker): one clear line, exit 1", async () => {
  const worker = lab.dockerHost.replace(/n1\.sock$/, "n2.sock");
  const r = await runBinary([BIN, "serve", "--swarm", "--listen", "127.0.0.1:0", "--password", "x"], { DOCKER_HOST: worker }, 30_000);
  expect(r.code).toBe(1);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).toContain(`--swarm: the engine at ${worker} is a Swarm worker, not a manager`);
});

test("without the registry's credentials (DOCKER_CONFIG) a deploy fails with the reason", async () => {
  const empty = mkdtempSync(join(tmpdir(), "swtest-noauth-"));
  const other = await startServe({ scope, args: serveArgs(), env: { ...serveEnv(), DOCKER_CONFIG: empty } });
  try {
    expect((await other.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1" } })).status).toBe(201);
    const rec = await settled(other, SVC, "v1", 30_000);
    expect(rec.state).toBe("failed");
    expect(rec.reason).toContain(`The image ${lab.registry}/${SVC}:v1 is not available`);
    expect(await swarmServices("serve-instance")).toEqual([]);
  } finally {
    expect(await other.stop()).toBe(0);
    rmSync(empty, { recursive: true, force: true });
  }
}, 60_000);

test("v1 ×3: instances on ≥ 2 nodes, routed at <node address>:<published port>", async () => {
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v1", instance_count: 3 } })).status).toBe(201);
  expect((await settled(s, SVC, "v1")).state).toBe("live");
  const us = await waitFor("3 routed v1 units", () => allServing("v1", 3), 30_000, 200);
  const nodes = await nodeAddresses();
  for (const u of us) expect(nodes.has(u.machine_id)).toBe(true);
  expect(new Set(us.map((u) => u.machine_id)).size).toBeGreaterThanOrEqual(2);
  const r = await fetch(`http://127.0.0.1:${caddy.httpPort}/`, { headers: { host: HOST } });
  expect((await r.text()).trim()).toBe("v1");
}, 90_000);

test("v1→v2 under load: zero failed requests, then only v2 answers", async () => {
  const load = startLoad({ port: caddy.httpPort, host: HOST, expect: ["v1", "v2"], concurrency: 3 });
  await Bun.sleep(300);
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v2", destroy_previous: true } })).status).toBe(201);
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "v3", destroy_previous: true } })).status).toBe(409);
  expect((await settled(s, SVC, "v2")).state).toBe("live");
  await waitFor("3 routed v2 units", () => allServing("v2", 3), 30_000, 200);
  const mark = Date.now();
  await Bun.sleep(500);
  const stats = await load.stop();
  console.log(`swarm v1→v2: ${stats.total} requests, ${stats.failed} failed, ${stats.retried} retried`);
  expect(stats.failures).toEqual([]);
  const after = stats.samples.filter((x) => x.at > mark);
  expect(after.length).toBeGreaterThan(0);
  expect(after.every((x) => x.body === "v2")).toBe(true);
  expect(await swarmServices("serve-instance")).toHaveLength(3);
}, 120_000);

test("a never-ready version fails after --health-timeout; v2 keeps serving", async () => {
  const load = startLoad({ port: caddy.httpPort, host: HOST, expect: ["v2"], concurrency: 2 });
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "never-ready", destroy_previous: true } })).status).toBe(201);
  const rec = await settled(s, SVC, "never-ready", 60_000);
  const stats = await load.stop();
  expect(rec.state).toBe("failed");
  expect(rec.reason).toContain("was not ready after 10s");
  expect(rec.log_tail.join("\n")).toContain("waiting for a database that never comes");
  expect(stats.failures).toEqual([]);
  expect(await waitFor("v2 serving alone", () => allServing("v2", 3), 30_000, 200)).toHaveLength(3);
}, 90_000);

test("DELETE of a version while its rollout runs cancels the rollout at once; v2 keeps serving", async () => {
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "never-ready", destroy_previous: true } })).status).toBe(201);
  await waitFor("a never-ready instance booting", async () => (await units(s, SVC)).some((u) => u.version === "never-ready"), 20_000);
  const t0 = Date.now();
  const r = await s.call("DELETE", `/v1/services/${SVC}/deploys/never-ready`);
  const took = Date.now() - t0;
  expect(r.status).toBe(204);
  // Waiting for the rollout to fail by itself would take the 10 s health timeout.
  expect(took).toBeLessThan(6_000);
  expect(s.output()).toContain("cancelled (its version is being destroyed)");
  expect((await units(s, SVC)).filter((u) => u.version === "never-ready")).toEqual([]);
  expect(await waitFor("v2 serving alone", () => allServing("v2", 3), 30_000, 200)).toHaveLength(3);
}, 90_000);

test("tasks run as Swarm jobs: output, exit 0 and 3, 124 on timeout; no job service is left", async () => {
  const ok = await task("echo hello from the cluster");
  expect(ok.status).toBe(200);
  expect(ok.body).toBe("hello from the cluster\n\nExited (0) \n");
  const three = await task("echo failing; exit 3");
  expect(three.body).toBe("failing\n\nExited (3) \n");
  const slow = await task("echo started; sleep 30");
  expect(slow.body).toStartWith("started\n");
  expect(slow.body).toEndWith("\nExited (124) The task timed out after 3s. Forcefully removing container.\n");
  await waitFor("no task service left", async () => (await swarmServices("serve-task")).length === 0, 10_000, 200);
}, 90_000);

test("a client that disconnects from a task: its job service is removed", async () => {
  const ctl = new AbortController();
  const res = await s.call("POST", `/v1/services/${SVC}/tasks`, { task: { version: "v1", command: "echo started; sleep 60" } }, { signal: ctl.signal });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let seen = "";
  while (!seen.includes("started")) seen += new TextDecoder().decode((await reader.read()).value);
  expect(await swarmServices("serve-task")).toHaveLength(1);
  ctl.abort();
  await waitFor("the job service removed", async () => (await swarmServices("serve-task")).length === 0, 10_000, 200);
}, 60_000);

test("ctl deploy --wait and deployctl list on the cluster", async () => {
  const env = { DEPLOYSTER_URL: s.url, DEPLOYSTER_PASSWORD: PASSWORD };
  const r = await runBinary([BIN, "ctl", "deploy", SVC, "v3", "--wait"], env);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out.trimEnd().split("\n").at(-1)).toMatch(new RegExp(`^Deploy live: ${SVC} v3 \\(.+\\), 3/3 instances ready$`));
  const us = await waitFor("3 routed v3 units", () => allServing("v3", 3), 30_000, 200);
  link = makeDeployctlLink();
  const l = await runBinary([link.path, "list", SVC], env);
  expect(l.code).toBe(0);
  const lines = l.out.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^# {4}Version {4}Current state {4}Desired state {4}Machine ID +Timestamp$/);
  expect(lines).toHaveLength(5);
  for (const [n, u] of us.entries()) {
    expect(lines[n + 2]).toMatch(new RegExp(`^${u.instance}    v3         launched         launched         ${u.machine_id}    \\S+$`));
  }
}, 120_000);

test("serve SIGKILLed mid-rollout: a new serve resumes it from the cluster's labels", async () => {
  expect((await s.call("POST", `/v1/services/${SVC}/deploys`, { deploy: { version: "slow", destroy_previous: true } })).status).toBe(201);
  await Bun.sleep(1500);
  await s.kill();
  s = await startSwarmServe();
  await waitFor("the resumption notice", async () => /swapp slow:\S+: unfinished rollout found; resuming/.test(s.output()), 5000);
  expect((await settled(s, SVC, "slow", 60_000)).state).toBe("live");
  await waitFor("3 routed slow units, v3 gone", () => allServing("slow", 3), 30_000, 200);
  expect(await swarmServices("serve-instance")).toHaveLength(3);
}, 120_000);

test("drain a node under load: its instances move, are re-routed; failed requests counted", async () => {
  const before = await units(s, SVC);
  const victim = before[0]!.machine_id;
  const load = startLoad({ port: caddy.httpPort, host: HOST, expect: ["slow"], concurrency: 2 });
  const node = await lab.docker.json<any>("GET", `/nodes/${victim}`);
  const started = Date.now();
  await lab.docker.call("POST", `/nodes/${victim}/update`, {
    query: { version: node.Version.Index },
    body: { ...node.Spec, Availability: "drain" },
  });
  await waitFor("instances off the drained node, routed", () => allServing("slow", 3, (u) => u.machine_id === victim), 60_000, 200);
  const seconds = (Date.now() - started) / 1000;
  await Bun.sleep(1000);
  const stats = await load.stop();
  console.log(`swarm drain: every instance ready and routed again after ${seconds.toFixed(1)} s; ${stats.total} requests, ${stats.failed} failed`);
  expect(stats.failures).toEqual([]);
  const again = await lab.docker.json<any>("GET", `/nodes/${victim}`);
  await lab.docker.call("POST", `/nodes/${victim}/update`, { query: { version: again.Version.Index }, body: { ...again.Spec, Availability: "active" } });
}, 120_000);

test("kill a node's dockerd: the instance count is back, ready and routed", async () => {
  const nodes = await lab.docker.json<any[]>("GET", "/nodes");
  const us = await units(s, SVC);
  // A worker that runs an instance (the manager must stay up to answer).
  const worker = nodes.find((n) => n.Spec.Role === "worker" && us.some((u) => u.machine_id === n.ID))!;
  expect(worker).toBeDefined();
  const n = lab.nodeAddresses.indexOf(worker.Status.Addr) + 1;
  const started = Date.now();
  await lab.nodeStop(n, "KILL");
  try {
    await waitFor("instances rescheduled off the dead node, routed", () => allServing("slow", 3, (u) => u.machine_id === worker.ID), 90_000, 250);
    console.log(`swarm failover: dockerd of node ${n} killed → 3 instances ready and routed again after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The deploy record says where each instance runs now.
    const now = await units(s, SVC);
    const rec = await settled(s, SVC, "slow");
    expect(rec.instances.map((x: any) => x.machine_id).sort()).toEqual(now.map((u) => u.machine_id).sort());
    expect(rec.instances.some((x: any) => x.machine_id === worker.ID)).toBe(false);
  } finally {
    await lab.nodeStart(n);
  }
}, 150_000);
